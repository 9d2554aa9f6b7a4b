package wal

import (
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
)

// RecoveryReport says what [Open] found and what it changed.
type RecoveryReport struct {
	Segments    int         // segment files in the log after recovery
	FirstPos    uint64      // first position held after recovery
	LastPos     uint64      // last position held after recovery (FirstPos-1 if none)
	TornTail    *Truncation // torn tail cut from the last segment, if any
	Repair      *Truncation // mid-log corruption cut because Options.Repair was set, if any
	Dropped     []string    // segment files set aside (renamed to *.broken) by Repair
	Recreated   string      // segment created again by Repair in place of one with an invalid header, if any
	RemovedTemp []string    // leftover temporary files of an interrupted segment creation, removed
}

// Truncation describes a segment cut short by recovery.
type Truncation struct {
	Segment string // segment file name
	Offset  int64  // the segment now ends here
	Bytes   int64  // bytes removed
	Pos     uint64 // position of the first record not kept
	Copy    string // file name of the copy of the segment taken before cutting
	Err     error  // what was invalid at Offset
}

// segmentScan is what scanning one segment found.
type segmentScan struct {
	hdr       segmentHeader
	headerErr error  // invalid or incomplete header (errTruncated if incomplete)
	size      int64  // file size
	end       int64  // offset after the last valid record
	lastPos   uint64 // position of the last valid record (first-1 if none)
	fail      error  // decoding failure at end, nil if the segment ended cleanly
	torn      bool   // fail can be a torn write: nothing valid follows it
}

// recover lists the segments, validates them in order, cuts a torn tail,
// repairs or refuses corruption, and opens the last segment for appending.
func (l *Log) recover() error {
	segs, taken, err := l.listSegments()
	if err != nil {
		return err
	}
	if len(segs) == 0 {
		f, err := l.createSegment(segmentHeader{number: 1, firstPos: 1})
		if err != nil {
			return err
		}
		f.Close()
		segs = []segment{{name: segmentName(1), number: 1, firstPos: 1, dataOff: SegmentHeaderSize}}
	}
	expected, prevNum := segs[0].firstPos, uint64(0)
	var hdr segmentHeader // of the last segment
	end := int64(0)       // of the records of the last segment
	for i := 0; i < len(segs); i++ {
		s := &segs[i]
		need := uint64(0) // the records must reach it: the next segment starts after it
		if i+1 < len(segs) {
			need = segs[i+1].firstPos - 1
		}
		sc, err := l.scanSegment(*s, expected, prevNum, need, i == len(segs)-1)
		if err != nil {
			return err
		}
		if sc.headerErr != nil {
			segs, err = l.recoverHeader(segs, i, expected, prevNum, sc, taken)
			if err != nil {
				return err
			}
			hdr = segmentHeader{version: FormatVersion, number: prevNum + 1, firstPos: expected, mark: expected - 1}
			end = SegmentHeaderSize
			break
		}
		s.number, s.dataOff = sc.hdr.number, headerSize(sc.hdr.version)
		if sc.fail != nil {
			segs, err = l.recoverRecords(segs, i, sc, taken)
			if err != nil {
				return err
			}
		}
		expected, prevNum, end, hdr = sc.lastPos+1, sc.hdr.number, sc.end, sc.hdr
		hdr.mark = min(hdr.mark, sc.lastPos) // lowered by a repair cut
	}
	return l.openActive(segs, expected-1, end, hdr)
}

// listSegments returns the segment files sorted by first position and the set
// of names in the directory, removing leftovers of interrupted creations.
func (l *Log) listSegments() ([]segment, map[string]bool, error) {
	names, err := l.fs.ReadDir(l.dir)
	if err != nil {
		return nil, nil, fmt.Errorf("wal: list %s: %w", l.dir, err)
	}
	taken := make(map[string]bool, len(names))
	var segs []segment
	var removed []string
	for _, n := range names {
		taken[n] = true
		if base, ok := strings.CutSuffix(n, tempSuffix); ok {
			if _, ok := parseSegmentName(base); ok {
				if err := l.fs.Remove(l.path(n)); err != nil {
					return nil, nil, fmt.Errorf("wal: remove leftover %s: %w", n, err)
				}
				removed = append(removed, n)
			}
			continue
		}
		if first, ok := parseSegmentName(n); ok {
			segs = append(segs, segment{name: n, firstPos: first})
		}
	}
	if len(removed) > 0 {
		if err := l.syncDir(); err != nil {
			return nil, nil, fmt.Errorf("wal: %w", err)
		}
		l.report.RemovedTemp = removed
		l.opts.Logf("wal: removed leftover temporary segment files %v", removed)
	}
	slices.SortFunc(segs, func(a, b segment) int { return cmpUint(a.firstPos, b.firstPos) })
	return segs, taken, nil
}

func cmpUint(a, b uint64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// scanSegment reads one segment's header and records. expected is the
// position its first record must hold, prevNum the number of the previous
// segment (0 for the first one) and need the position its records must reach
// (0 for the last segment: its successor's first position minus one). I/O
// errors are returned; what is invalid in the file is described in the
// result.
func (l *Log) scanSegment(s segment, expected, prevNum, need uint64, last bool) (segmentScan, error) {
	var sc segmentScan
	f, err := l.fs.OpenFile(l.path(s.name), os.O_RDONLY, 0)
	if err != nil {
		return sc, fmt.Errorf("wal: open segment %s: %w", s.name, err)
	}
	defer f.Close()
	if sc.size, err = f.Size(); err != nil {
		return sc, fmt.Errorf("wal: stat segment %s: %w", s.name, err)
	}
	sc.hdr, err = readSegmentHeader(f, sc.size)
	switch {
	case errors.Is(err, ErrVersion):
		return sc, fmt.Errorf("wal: segment %s: %w", s.name, err)
	case errors.Is(err, errTruncated) || errors.Is(err, errHeader):
		sc.headerErr = err
		return sc, nil
	case err != nil:
		return sc, fmt.Errorf("wal: segment %s: %w", s.name, err)
	}
	if sc.hdr.firstPos != s.firstPos || s.firstPos != expected || (prevNum != 0 && sc.hdr.number != prevNum+1) {
		sc.headerErr = fmt.Errorf("%w: header says segment %d starting at position %d; expected segment %d starting at %d",
			errHeader, sc.hdr.number, sc.hdr.firstPos, prevNum+1, expected)
		return sc, nil
	}
	if sc.hdr.badSlots > 0 {
		l.opts.Logf("wal: segment %s: a mark slot is invalid and was ignored (a mark write torn by a crash, or damage)", s.name)
	}
	if err := l.scanRecords(f, s, &sc, need, last); err != nil {
		return sc, fmt.Errorf("wal: segment %s: %w", s.name, err)
	}
	return sc, nil
}

// scanRecords reads the records of segment s, whose header sc holds, up to
// the first invalid one, and decides whether a failure can be a torn tail:
// only in the last segment, past every record a mark says was synced, with
// no valid frame after it. Records that end (in zeros or at the end of the
// file) short of need or of the mark are a failure too, never a tear.
func (l *Log) scanRecords(f File, s segment, sc *segmentScan, need uint64, last bool) error {
	scn := newScanner(f, sc.size, headerSize(sc.hdr.version), sc.hdr.firstPos, scanVerify)
	for {
		_, err := scn.scan()
		if err == nil {
			continue
		}
		sc.end, sc.lastPos = scn.off, scn.next-1
		if err != io.EOF && !isDecodeError(err) {
			return err
		}
		if err != io.EOF {
			sc.fail = err
		}
		break
	}
	switch {
	case sc.fail == nil && sc.lastPos < sc.hdr.mark:
		sc.fail = fmt.Errorf("%w: the records end at position %d (zeros or the end of the file follow), but the segment's mark says every record up to position %d was synced",
			errLost, sc.lastPos, sc.hdr.mark)
	case sc.fail == nil && sc.lastPos < need:
		sc.fail = fmt.Errorf("%w: the records end at position %d, but the next segment starts at position %d",
			errLost, sc.lastPos, need+1)
	case sc.fail != nil && last && sc.lastPos >= sc.hdr.mark && !errors.Is(sc.fail, errPosition):
		found, err := validFrameAfter(f, sc.end, sc.size, scn.next)
		if err != nil {
			return err
		}
		sc.torn = !found
	}
	return nil
}

// recoverHeader handles segment i whose header is invalid or incomplete.
// Every segment is created under a temporary name, its header fdatasynced,
// and only then renamed into place (and the directory fsynced), so no crash
// leaves a segment with a short header under its name: whatever is wrong
// with a header is corruption, refused, or with Repair, segments i and
// later are set aside (renamed *.broken) and segment i created again. It
// returns the segments that remain.
func (l *Log) recoverHeader(segs []segment, i int, expected, prevNum uint64, sc segmentScan, taken map[string]bool) ([]segment, error) {
	s := segs[i]
	if !l.opts.Repair {
		return nil, &CorruptError{Segment: s.name, Offset: 0, Pos: expected, Err: sc.headerErr}
	}
	dropped, err := l.setAside(segs[i:], taken)
	if err != nil {
		return nil, err
	}
	f, err := l.createSegment(segmentHeader{number: prevNum + 1, firstPos: expected})
	if err != nil {
		return nil, err
	}
	f.Close()
	l.report.Dropped = append(l.report.Dropped, dropped...)
	l.report.Recreated = segmentName(expected)
	l.report.Repair = &Truncation{Segment: s.name, Pos: expected, Bytes: sc.size, Err: sc.headerErr}
	l.opts.Logf("wal: repair: segment %s has an invalid header (%v): set aside %v and created %s; the log now ends at position %d",
		s.name, sc.headerErr, dropped, l.report.Recreated, expected-1)
	return append(segs[:i], segment{name: segmentName(expected), number: prevNum + 1, firstPos: expected, dataOff: SegmentHeaderSize}), nil
}

// recoverRecords handles segment i that ended with an invalid record, or
// short of what must be there: a torn tail of the last segment is cut;
// corruption is refused, or with Repair cut and the later segments set
// aside. It returns the segments that remain.
func (l *Log) recoverRecords(segs []segment, i int, sc segmentScan, taken map[string]bool) ([]segment, error) {
	s := segs[i]
	if !sc.torn && !l.opts.Repair {
		return nil, &CorruptError{Segment: s.name, Offset: sc.end, Pos: sc.lastPos + 1, Err: sc.fail}
	}
	cp, err := l.cut(s.name, sc.end, sc.hdr, sc.lastPos, taken)
	if err != nil {
		return nil, err
	}
	t := &Truncation{Segment: s.name, Offset: sc.end, Bytes: sc.size - sc.end, Pos: sc.lastPos + 1, Copy: cp, Err: sc.fail}
	if sc.torn {
		l.report.TornTail = t
		l.opts.Logf("wal: torn tail: cut segment %s at offset %d (%d bytes, from position %d: %v); copy kept as %s",
			s.name, t.Offset, t.Bytes, t.Pos, t.Err, cp)
		return segs, nil
	}
	dropped, err := l.setAside(segs[i+1:], taken)
	if err != nil {
		return nil, err
	}
	l.report.Repair = t
	l.report.Dropped = append(l.report.Dropped, dropped...)
	l.opts.Logf("wal: repair: corruption in segment %s at offset %d (position %d: %v): cut %d bytes (copy %s), set aside %v",
		s.name, t.Offset, t.Pos, t.Err, t.Bytes, cp, dropped)
	return segs[:i+1], nil
}

// openActive opens the last segment, whose header is hdr and whose records
// end at offset end (zeros the log preallocated may follow), for appending
// (without preallocating in a version 1 segment, without marks before
// version 3) and fdatasyncs it and the directory, so that every recovered
// record counts as durable. The directory sync matters after a crash in the
// middle of a segment roll: the new segment's name may not be durable yet,
// and records appended to it after recovery would vanish with it at the next
// power loss.
func (l *Log) openActive(segs []segment, lastPos uint64, end int64, hdr segmentHeader) error {
	s := segs[len(segs)-1]
	f, err := l.fs.OpenFile(l.path(s.name), os.O_WRONLY, 0)
	if err != nil {
		return fmt.Errorf("wal: open segment %s: %w", s.name, err)
	}
	size, err := f.Size()
	if err == nil {
		err = l.syncFile(f)
	}
	if err == nil {
		err = l.syncDir()
	}
	if err != nil {
		f.Close()
		return fmt.Errorf("wal: open segment %s: %w", s.name, err)
	}
	l.active, l.activeNum = f, s.number
	l.segs = segs
	l.segStart, l.segBytes, l.writeOff, l.zeroEnd = s.dataOff, end, end, size
	l.noZeros = hdr.version < 2
	l.setMarks(hdr)
	l.lastPos, l.writtenPos, l.syncedPos = lastPos, lastPos, lastPos
	l.report.Segments = len(segs)
	l.report.FirstPos, l.report.LastPos = segs[0].firstPos, lastPos
	return nil
}
