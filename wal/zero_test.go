package wal_test

import (
	"bytes"
	"encoding/binary"
	"errors"
	"path"
	"testing"

	"github.com/brookmq/brook/wal"
)

// recordOffsets returns the offset of each record frame of segment b,
// walking the length fields from the header on (frame layout: doc.go), and
// the offset after the last.
func recordOffsets(b []byte) []int64 {
	offs := []int64{wal.SegmentHeaderSize}
	for off := int64(wal.SegmentHeaderSize); off+wal.RecordHeaderSize <= int64(len(b)) && binary.LittleEndian.Uint64(b[off+8:]) != 0; {
		off += wal.RecordHeaderSize + int64(binary.LittleEndian.Uint32(b[off:]))
		offs = append(offs, off)
	}
	return offs
}

// TestZeroedSyncedTail is the reported loss: the last 97 of 200 synced
// records of the only segment replaced by zeros read as preallocated space,
// and Open returned 103 records with no word. Open must refuse, naming
// where the records stop; Repair cuts there keeping a copy, and the log then
// opens and appends as usual.
func TestZeroedSyncedTail(t *testing.T) {
	fsys := newFS(20)
	l := openT(t, fsys, wal.Options{})
	for range 20 {
		appendN(t, l, 10) // one synced batch of ten records (or a few)
	}
	closeT(t, l)
	name := segName(1)
	seg := readT(t, fsys, name)
	offs := recordOffsets(seg)
	if len(offs) != 201 {
		t.Fatalf("%d records in the segment, want 200", len(offs)-1)
	}
	if err := fsys.ZeroRange(path.Join(dir, name), offs[103], int64(len(seg))); err != nil {
		t.Fatal(err)
	}
	_, err := wal.Open(dir, wal.Options{FS: fsys})
	var ce *wal.CorruptError
	if !errors.As(err, &ce) || !errors.Is(err, wal.ErrCorrupt) || ce.Segment != name || ce.Offset != offs[103] || ce.Pos != 104 {
		t.Fatalf("Open: %v; want a *CorruptError at %s offset %d position 104", err, name, offs[103])
	}
	damaged := readT(t, fsys, name)
	l = openT(t, fsys, wal.Options{Repair: true})
	r := l.Recovery()
	if l.LastPos() != 103 || r.Repair == nil || r.Repair.Pos != 104 || r.Repair.Offset != offs[103] {
		t.Fatalf("repaired: LastPos %d, report %+v", l.LastPos(), r)
	}
	if cp := readT(t, fsys, r.Repair.Copy); !bytes.Equal(cp, damaged) {
		t.Fatalf("the copy %s does not hold the segment as found", r.Repair.Copy)
	}
	replayAll(t, l)
	appendN(t, l, 1)
	closeT(t, l)
	l = openT(t, fsys.DropUnsynced(), wal.Options{})
	defer closeT(t, l)
	if _, last := replayAll(t, l); last != 104 {
		t.Fatalf("after repair, append and reopen: log ends at %d, want 104", last)
	}
}

// TestZeroEveryRange zeros, in a log of two segments closed cleanly (every
// record synced and marked), the bytes from every offset on, over one
// byte, one frame header, or to the end of the file: Open must refuse with
// the damaged segment and an offset at or before the first zeroed record,
// or, where the zeros changed nothing a record depends on (zeros already,
// one mark slot), open every record intact.
func TestZeroEveryRange(t *testing.T) {
	const n = 6
	base := buildLog(t, n, frameStarts(1, 3)[3]) // three records per segment
	for _, first := range []uint64{1, 4} {
		name := segName(first)
		size := int64(len(readT(t, base, name)))
		for off := range size {
			for _, length := range []int64{1, wal.RecordHeaderSize, size} {
				fsys := base.DropUnsynced()
				if err := fsys.ZeroRange(path.Join(dir, name), off, length); err != nil {
					t.Fatal(err)
				}
				checkZeroed(t, fsys, name, off, length, n)
			}
		}
	}
}

func checkZeroed(t *testing.T, fsys wal.FS, name string, off, length int64, n uint64) {
	t.Helper()
	l, err := wal.Open(dir, wal.Options{FS: fsys})
	if err != nil {
		var ce *wal.CorruptError
		if !errors.As(err, &ce) || ce.Segment != name || ce.Offset > max(off, wal.SegmentHeaderSize) {
			t.Fatalf("%s zeroed from %d (%d bytes): Open: %v; want a *CorruptError in %s at or before the zeros", name, off, length, err, name)
		}
		return
	}
	defer closeT(t, l)
	if l.LastPos() != n || l.Recovery().TornTail != nil || l.Recovery().Repair != nil {
		t.Fatalf("%s zeroed from %d (%d bytes): opened with LastPos %d (want %d), report %+v", name, off, length, l.LastPos(), n, l.Recovery())
	}
	replayAll(t, l)
}
