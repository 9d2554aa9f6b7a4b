package wal_test

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"path"
	"slices"
	"strings"
	"testing"

	"github.com/brookmq/brook/wal"
	"github.com/brookmq/brook/wal/faultfs"
)

// segName is the file name of the segment starting at firstPos.
func segName(firstPos uint64) string { return fmt.Sprintf("%020d.wal", firstPos) }

// frameStarts returns the offset of each record in a segment holding the
// records first..first+n-1 made by payload, and the offset after the last.
func frameStarts(first uint64, n int) []int64 {
	offs := []int64{wal.SegmentHeaderSize}
	for i := range n {
		offs = append(offs, offs[i]+wal.RecordHeaderSize+int64(len(payload(first+uint64(i)))))
	}
	return offs
}

// buildLog writes n records on a fresh file system, syncs and closes.
func buildLog(t *testing.T, n int, segSize int64) *faultfs.FS {
	t.Helper()
	fsys := newFS(10)
	l := openT(t, fsys, wal.Options{SegmentSize: segSize})
	appendN(t, l, n)
	closeT(t, l)
	return fsys
}

func readT(t *testing.T, fsys *faultfs.FS, name string) []byte {
	t.Helper()
	b, err := fsys.ReadFile(path.Join(dir, name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestCutEveryOffset cuts the only segment at every byte offset, with
// marks saying no record (0), some (2) or every record (n) was synced. A cut
// past the mark is a torn tail: recovery must keep exactly the records
// wholly before the cut, report the torn tail, keep a copy, and append after
// it safely. A cut into the header or into records the mark covers is
// corruption: refused where the records stop.
func TestCutEveryOffset(t *testing.T) {
	const n = 5
	full := readT(t, buildLog(t, n, 0), segName(1))
	offs := frameStarts(1, n)
	if int64(len(full)) <= offs[n] {
		t.Fatalf("segment is %d bytes, want %d and the preallocated zeros", len(full), offs[n])
	}
	if !bytes.Equal(full[offs[n]:], make([]byte, int64(len(full))-offs[n])) {
		t.Fatal("preallocated space is not zeros")
	}
	for _, mark := range []uint64{0, 2, n} {
		seg := withMarks(full[:offs[n]], mark, mark)
		for cut := range len(seg) + 1 {
			checkCut(t, seg[:cut], offs, mark)
		}
	}
}

// checkCut opens a log whose only segment is seg, a log of records made by
// payload with marks at mark, cut short; offs are the offsets of its records.
func checkCut(t *testing.T, seg []byte, offs []int64, mark uint64) {
	t.Helper()
	cut, n := len(seg), len(offs)-1
	fsys := newFS(uint64(cut))
	if err := fsys.WriteFile(path.Join(dir, segName(1)), seg); err != nil {
		t.Fatal(err)
	}
	want := 0
	for want < n && offs[want+1] <= int64(cut) {
		want++
	}
	l, err := wal.Open(dir, wal.Options{FS: fsys, Preallocate: 256}) // small: the test reopens 1,000 times
	if cut < wal.SegmentHeaderSize || uint64(want) < mark {
		wantOff, wantPos := offs[want], uint64(want+1)
		if cut < wal.SegmentHeaderSize {
			wantOff, wantPos = 0, 1
		}
		var ce *wal.CorruptError
		if !errors.As(err, &ce) || ce.Segment != segName(1) || ce.Offset != wantOff || ce.Pos != wantPos {
			t.Fatalf("cut at %d, mark %d: Open: %v; want a *CorruptError at offset %d position %d", cut, mark, err, wantOff, wantPos)
		}
		return
	}
	if err != nil {
		t.Fatalf("cut at %d, mark %d: Open: %v", cut, mark, err)
	}
	if l.LastPos() != uint64(want) {
		t.Fatalf("cut at %d: LastPos %d, want %d", cut, l.LastPos(), want)
	}
	replayAll(t, l)
	r := l.Recovery()
	if int64(cut) == offs[want] {
		if r.TornTail != nil {
			t.Fatalf("cut at %d, a record boundary: reported torn tail %+v", cut, r.TornTail)
		}
	} else {
		tt := r.TornTail
		if tt == nil || tt.Offset != offs[want] || tt.Bytes != int64(cut)-offs[want] || tt.Pos != uint64(want+1) {
			t.Fatalf("cut at %d: torn tail %+v, want offset %d pos %d", cut, tt, offs[want], want+1)
		}
		if cp := readT(t, fsys, tt.Copy); !bytes.Equal(cp, seg) {
			t.Fatalf("cut at %d: the copy %s does not hold the segment as found", cut, tt.Copy)
		}
	}
	// Trimmed before appending: a new record survives a reopen.
	appendN(t, l, 1)
	closeT(t, l)
	l = openT(t, fsys.DropUnsynced(), wal.Options{})
	if l.LastPos() != uint64(want+1) || l.Recovery().TornTail != nil {
		t.Fatalf("cut at %d: after append and reopen LastPos %d (want %d), report %+v", cut, l.LastPos(), want+1, l.Recovery())
	}
	replayAll(t, l)
	closeT(t, l)
}

// TestFlipEveryBit flips each bit of a log of two segments: a flip in the
// first segment or its header must be refused with the exact segment, offset
// and position; a flip in the last record may be treated as a torn tail
// (reported); nothing corrupted may be accepted.
func TestFlipEveryBit(t *testing.T) {
	const n = 6
	segSize := frameStarts(1, 3)[3] // three records per segment
	base := buildLog(t, n, segSize)
	for _, seg := range []struct {
		first uint64
		last  bool
	}{{1, false}, {4, true}} {
		data := readT(t, base, segName(seg.first))
		offs := frameStarts(seg.first, 3)
		for bit := range len(data) * 8 {
			fsys := base.DropUnsynced()
			name := path.Join(dir, segName(seg.first))
			if err := fsys.FlipBit(name, int64(bit/8), uint(bit%8)); err != nil {
				t.Fatal(err)
			}
			checkFlip(t, fsys, seg.first, seg.last, offs, int64(bit/8))
		}
	}
}

func checkFlip(t *testing.T, fsys *faultfs.FS, first uint64, last bool, offs []int64, at int64) {
	t.Helper()
	if at >= 32 && at < wal.SegmentHeaderSize { // a mark slot: a hint, ignored when invalid
		l, err := wal.Open(dir, wal.Options{FS: fsys})
		if err != nil {
			t.Fatalf("flip at %s+%d (a mark slot): Open: %v", segName(first), at, err)
		}
		defer closeT(t, l)
		if r := l.Recovery(); l.LastPos() != 6 || r.TornTail != nil || r.Repair != nil {
			t.Fatalf("flip at %s+%d (a mark slot): LastPos %d, report %+v", segName(first), at, l.LastPos(), r)
		}
		replayAll(t, l)
		return
	}
	rec := 0 // index of the record holding the flipped byte
	for rec < len(offs)-2 && offs[rec+1] <= at {
		rec++
	}
	wantOff, wantPos := offs[rec], first+uint64(rec)
	if at < wal.SegmentHeaderSize {
		wantOff, wantPos = 0, first
	}
	l, err := wal.Open(dir, wal.Options{FS: fsys})
	if err == nil {
		defer closeT(t, l)
		tt := l.Recovery().TornTail
		lastRec := last && rec == len(offs)-2 && at >= wal.SegmentHeaderSize
		if !lastRec || tt == nil || tt.Pos != wantPos || tt.Offset != wantOff || l.LastPos() != wantPos-1 {
			t.Fatalf("flip at %s+%d accepted: LastPos %d, torn tail %+v", segName(first), at, l.LastPos(), tt)
		}
		replayAll(t, l)
		return
	}
	var ce *wal.CorruptError
	if !errors.As(err, &ce) || !errors.Is(err, wal.ErrCorrupt) {
		t.Fatalf("flip at %s+%d: %v, want a *CorruptError", segName(first), at, err)
	}
	if ce.Segment != segName(first) || ce.Offset != wantOff || ce.Pos != wantPos {
		t.Fatalf("flip at %s+%d: %v, want offset %d position %d", segName(first), at, err, wantOff, wantPos)
	}
	if msg := err.Error(); !strings.Contains(msg, fmt.Sprintf("segment %s offset %d (position %d)", ce.Segment, ce.Offset, ce.Pos)) {
		t.Fatalf("the error does not say where: %q", msg)
	}
}

// header builds a segment header with the given fields and a valid CRC, as
// doc.go specifies it: 32 bytes for versions 1 and 2; for version 3
// followed by the two mark slots, both holding firstPos-1 as in a new
// segment.
func header(version uint32, number, firstPos uint64) []byte {
	b := make([]byte, 32, wal.SegmentHeaderSize)
	copy(b, "BROOKWAL")
	binary.LittleEndian.PutUint32(b[8:], version)
	binary.LittleEndian.PutUint64(b[12:], number)
	binary.LittleEndian.PutUint64(b[20:], firstPos)
	binary.LittleEndian.PutUint32(b[28:], crc32.Checksum(b[:28], crc32.MakeTable(crc32.Castagnoli)))
	if version >= 3 {
		b = append(b, markSlot(b, firstPos-1)...)
		b = append(b, markSlot(b, firstPos-1)...)
	}
	return b
}

// markSlot builds a 16-byte mark slot saying every record up to pos was
// synced, for the segment whose header starts with the 32 bytes of hdr.
func markSlot(hdr []byte, pos uint64) []byte {
	s := make([]byte, 16)
	binary.LittleEndian.PutUint64(s, pos)
	c := crc32.New(crc32.MakeTable(crc32.Castagnoli))
	c.Write(hdr[:32])
	c.Write(s[:12])
	binary.LittleEndian.PutUint32(s[12:], c.Sum32())
	return s
}

// withMarks returns seg (a version 3 segment) with its mark slots set to
// m0 and m1.
func withMarks(seg []byte, m0, m1 uint64) []byte {
	seg = bytes.Clone(seg)
	copy(seg[32:], markSlot(seg, m0))
	copy(seg[48:], markSlot(seg, m1))
	return seg
}

// TestSegmentCases damages whole segments of a log of three segments holding
// records 1-3, 4-6, 7-9.
func TestSegmentCases(t *testing.T) {
	segSize := frameStarts(1, 3)[3]
	s2, s3 := segName(4), segName(7)
	for _, tc := range []struct {
		name   string
		repair bool
		damage func(fsys *faultfs.FS) error
		want   segmentCase
	}{
		{"intact", false, nop, segmentCase{lastPos: 9}},
		// Segments are created under a temporary name and renamed once their
		// header is synced: no crash leaves one empty or with half a header.
		{"empty last segment", false, write(s3, nil), segmentCase{corrupt: s3, pos: 7}},
		{"empty last segment repaired", true, write(s3, nil), segmentCase{lastPos: 6, dropped: 1, recreate: s3}},
		{"half header in last segment", false, write(s3, []byte("BROOK")), segmentCase{corrupt: s3, pos: 7}},
		{"header without its marks in last segment", false, cut(s3, 40), segmentCase{corrupt: s3, pos: 7}},
		{"half header in last segment repaired", true, write(s3, []byte("BROOK")), segmentCase{lastPos: 6, dropped: 1, recreate: s3}},
		{"empty middle segment", false, write(s2, nil), segmentCase{corrupt: s2, pos: 4}},
		{"empty middle segment repaired", true, write(s2, nil), segmentCase{lastPos: 3, dropped: 2, recreate: s2}},
		{"garbage last segment", false, write(s3, []byte(strings.Repeat("garbage!", 20))), segmentCase{corrupt: s3}},
		{"garbage last segment repaired", true, write(s3, []byte(strings.Repeat("garbage!", 20))), segmentCase{lastPos: 6, dropped: 1, recreate: s3}},
		{"newer format version", false, write(s2, header(wal.FormatVersion+1, 2, 4)), segmentCase{version: true}},
		{"newer format version with repair", true, write(s2, header(wal.FormatVersion+1, 2, 4)), segmentCase{version: true}},
		// The records of a segment with a successor must reach it.
		{"missing middle segment", false, remove(s2), segmentCase{corrupt: segName(1), pos: 4}},
		{"wrong segment number", false, patchHeader(s3, header(wal.FormatVersion, 9, 7)), segmentCase{corrupt: s3}},
		{"header position disagrees with name", false, patchHeader(s3, header(wal.FormatVersion, 3, 8)), segmentCase{corrupt: s3}},
		{"leftover temporary file", false, write(segName(10)+".tmp", []byte("x")), segmentCase{lastPos: 9}},
		{"bad record in middle segment repaired", true, flip(s2, frameStarts(4, 3)[1]+20), segmentCase{lastPos: 4, dropped: 1}},
		// Synced records replaced by zeros are corruption, not an end.
		{"zeroed tail of last segment", false, zero(s3, frameStarts(7, 3)[1], 1<<20), segmentCase{corrupt: s3, pos: 8}},
		{"zeroed tail of last segment repaired", true, zero(s3, frameStarts(7, 3)[1], 1<<20), segmentCase{lastPos: 7}},
		{"zeroed records of last segment", false, zero(s3, frameStarts(7, 3)[0], 1<<20), segmentCase{corrupt: s3, pos: 7}},
		{"zeroed tail of middle segment", false, zero(s2, frameStarts(4, 3)[2], 1<<20), segmentCase{corrupt: s2, pos: 6}},
		{"zeroed tail of middle segment repaired", true, zero(s2, frameStarts(4, 3)[2], 1<<20), segmentCase{lastPos: 5, dropped: 1}},
		{"zeroed hole in middle segment", false, zero(s2, frameStarts(4, 3)[1], 10), segmentCase{corrupt: s2, pos: 5}},
		{"zeroed marks and tail of last segment", false, zero(s3, 40, 1<<20), segmentCase{corrupt: s3, pos: 7}},
		{"one zeroed mark slot", false, zero(s3, 32, 16), segmentCase{lastPos: 9}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fsys := buildLog(t, 9, segSize).DropUnsynced()
			if err := tc.damage(fsys); err != nil {
				t.Fatal(err)
			}
			checkSegmentCase(t, fsys, tc.repair, tc.want)
		})
	}
}

// segmentCase is the expected outcome of opening a damaged log.
type segmentCase struct {
	lastPos  uint64 // when Open succeeds
	corrupt  string // segment named by the *CorruptError, when it fails
	pos      uint64 // position named by the *CorruptError, if not 0
	version  bool   // fails with ErrVersion
	dropped  int    // segments set aside
	recreate string // segment recreated after an incomplete header
}

func checkSegmentCase(t *testing.T, fsys *faultfs.FS, repair bool, want segmentCase) {
	t.Helper()
	l, err := wal.Open(dir, wal.Options{FS: fsys, Repair: repair})
	var ce *wal.CorruptError
	switch {
	case want.version:
		if !errors.Is(err, wal.ErrVersion) {
			t.Fatalf("Open: %v, want ErrVersion", err)
		}
		return
	case want.corrupt != "":
		if !errors.As(err, &ce) || ce.Segment != want.corrupt || want.pos != 0 && ce.Pos != want.pos {
			t.Fatalf("Open: %v, want a *CorruptError naming %s (position %d)", err, want.corrupt, want.pos)
		}
		if !errors.Is(err, wal.ErrCorrupt) || !strings.Contains(err.Error(), fmt.Sprintf("discards the records from position %d to the end of the log", ce.Pos)) {
			t.Fatalf("Open: %v: does not wrap ErrCorrupt, or does not say what a repair would discard", err)
		}
		return
	case err != nil:
		t.Fatalf("Open: %v", err)
	}
	r := l.Recovery()
	if l.LastPos() != want.lastPos || len(r.Dropped) != want.dropped || r.Recreated != want.recreate {
		t.Fatalf("LastPos %d, report %+v; want %+v", l.LastPos(), r, want)
	}
	if repair && (want.dropped > 0 || want.lastPos < 9) && (r.Repair == nil || r.Repair.Copy == "" && len(r.Dropped) == 0) {
		t.Fatalf("repair not reported, or nothing kept of what it discarded: %+v", r)
	}
	replayAll(t, l)
	appendN(t, l, 2)
	closeT(t, l)
	names, _ := fsys.ReadDir(dir)
	if slices.ContainsFunc(names, func(n string) bool { return strings.HasSuffix(n, ".tmp") }) {
		t.Fatalf("temporary file left: %v", names)
	}
	l = openT(t, fsys.DropUnsynced(), wal.Options{})
	defer closeT(t, l)
	if l.LastPos() != want.lastPos+2 {
		t.Fatalf("after append and reopen: LastPos %d, want %d", l.LastPos(), want.lastPos+2)
	}
	replayAll(t, l)
}

func nop(*faultfs.FS) error { return nil }

func write(name string, data []byte) func(*faultfs.FS) error {
	return func(fsys *faultfs.FS) error { return fsys.WriteFile(path.Join(dir, name), data) }
}

func remove(name string) func(*faultfs.FS) error {
	return func(fsys *faultfs.FS) error { return fsys.Remove(path.Join(dir, name)) }
}

func zero(name string, off, n int64) func(*faultfs.FS) error {
	return func(fsys *faultfs.FS) error { return fsys.ZeroRange(path.Join(dir, name), off, n) }
}

func cut(name string, size int) func(*faultfs.FS) error {
	return func(fsys *faultfs.FS) error {
		b, err := fsys.ReadFile(path.Join(dir, name))
		if err != nil {
			return err
		}
		return fsys.WriteFile(path.Join(dir, name), b[:size])
	}
}

func flip(name string, off int64) func(*faultfs.FS) error {
	return func(fsys *faultfs.FS) error { return fsys.FlipBit(path.Join(dir, name), off, 3) }
}

func patchHeader(name string, hdr []byte) func(*faultfs.FS) error {
	return func(fsys *faultfs.FS) error {
		b, err := fsys.ReadFile(path.Join(dir, name))
		if err != nil {
			return err
		}
		copy(b, hdr)
		return fsys.WriteFile(path.Join(dir, name), b)
	}
}
