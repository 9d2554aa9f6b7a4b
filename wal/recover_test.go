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

// TestCutEveryOffset cuts the only segment at every byte offset: recovery
// must keep exactly the records wholly before the cut, report the torn tail,
// keep a copy, and append after it safely.
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
	full = full[:offs[n]]
	for cut := range len(full) + 1 {
		fsys := newFS(uint64(cut))
		if err := fsys.WriteFile(path.Join(dir, segName(1)), full[:cut]); err != nil {
			t.Fatal(err)
		}
		l := openT(t, fsys, wal.Options{Preallocate: 256}) // small: the test reopens 300 times
		want := 0
		for want < n && offs[want+1] <= int64(cut) {
			want++
		}
		if l.LastPos() != uint64(want) {
			t.Fatalf("cut at %d: LastPos %d, want %d", cut, l.LastPos(), want)
		}
		replayAll(t, l)
		r := l.Recovery()
		switch {
		case cut < wal.SegmentHeaderSize:
			if r.Recreated != segName(1) || r.TornTail != nil {
				t.Fatalf("cut at %d (inside the header): report %+v, want the segment recreated", cut, r)
			}
		case int64(cut) == offs[want]:
			if r.TornTail != nil {
				t.Fatalf("cut at %d, a record boundary: reported torn tail %+v", cut, r.TornTail)
			}
		default:
			tt := r.TornTail
			if tt == nil || tt.Offset != offs[want] || tt.Bytes != int64(cut)-offs[want] || tt.Pos != uint64(want+1) {
				t.Fatalf("cut at %d: torn tail %+v, want offset %d pos %d", cut, tt, offs[want], want+1)
			}
			if cp := readT(t, fsys, tt.Copy); string(cp) != string(full[:cut]) {
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

// header builds a segment header with the given fields and a valid CRC.
func header(version uint32, number, firstPos uint64) []byte {
	b := make([]byte, wal.SegmentHeaderSize)
	copy(b, "BROOKWAL")
	binary.LittleEndian.PutUint32(b[8:], version)
	binary.LittleEndian.PutUint64(b[12:], number)
	binary.LittleEndian.PutUint64(b[20:], firstPos)
	binary.LittleEndian.PutUint32(b[28:], crc32.Checksum(b[:28], crc32.MakeTable(crc32.Castagnoli)))
	return b
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
		{"empty last segment", false, write(s3, nil), segmentCase{lastPos: 6, dropped: 1, recreate: s3}},
		{"half header in last segment", false, write(s3, []byte("BROOK")), segmentCase{lastPos: 6, dropped: 1, recreate: s3}},
		{"empty middle segment", false, write(s2, nil), segmentCase{corrupt: s2}},
		{"empty middle segment repaired", true, write(s2, nil), segmentCase{lastPos: 3, dropped: 2}},
		{"garbage last segment", false, write(s3, []byte(strings.Repeat("garbage!", 20))), segmentCase{corrupt: s3}},
		{"garbage last segment repaired", true, write(s3, []byte(strings.Repeat("garbage!", 20))), segmentCase{lastPos: 6, dropped: 1}},
		{"newer format version", false, write(s2, header(wal.FormatVersion+1, 2, 4)), segmentCase{version: true}},
		{"newer format version with repair", true, write(s2, header(wal.FormatVersion+1, 2, 4)), segmentCase{version: true}},
		{"missing middle segment", false, remove(s2), segmentCase{corrupt: s3}},
		{"wrong segment number", false, patchHeader(s3, header(wal.FormatVersion, 9, 7)), segmentCase{corrupt: s3}},
		{"header position disagrees with name", false, patchHeader(s3, header(wal.FormatVersion, 3, 8)), segmentCase{corrupt: s3}},
		{"leftover temporary file", false, write(segName(10)+".tmp", []byte("x")), segmentCase{lastPos: 9}},
		{"bad record in middle segment repaired", true, flip(s2, frameStarts(4, 3)[1]+20), segmentCase{lastPos: 4, dropped: 1}},
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
		if !errors.As(err, &ce) || ce.Segment != want.corrupt {
			t.Fatalf("Open: %v, want a *CorruptError naming %s", err, want.corrupt)
		}
		return
	case err != nil:
		t.Fatalf("Open: %v", err)
	}
	r := l.Recovery()
	if l.LastPos() != want.lastPos || len(r.Dropped) != want.dropped || r.Recreated != want.recreate {
		t.Fatalf("LastPos %d, report %+v; want %+v", l.LastPos(), r, want)
	}
	if repair && want.dropped > 0 && r.Repair == nil {
		t.Fatalf("repair not reported: %+v", r)
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
