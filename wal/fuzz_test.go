package wal_test

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"path"
	"testing"

	"github.com/brookmq/brook/wal"
	"github.com/brookmq/brook/wal/faultfs"
)

// FuzzDecodeRecord checks that DecodeRecord never panics, that it only
// accepts frames that re-encode to the same bytes, and that it fails with
// io.ErrUnexpectedEOF or ErrCorrupt.
func FuzzDecodeRecord(f *testing.F) {
	f.Add(wal.AppendRecord(nil, 1, []byte("hello")))
	f.Add(wal.AppendRecord(nil, 1<<40, nil))
	f.Add(wal.AppendRecord(nil, 7, []byte("abc"))[:10])
	f.Add([]byte{0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0})
	f.Fuzz(func(t *testing.T, b []byte) {
		pos, rec, n, err := wal.DecodeRecord(b)
		if err != nil {
			if !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, wal.ErrCorrupt) {
				t.Fatalf("DecodeRecord: unexpected error kind: %v", err)
			}
			return
		}
		if again := wal.AppendRecord(nil, pos, rec); !bytes.Equal(again, b[:n]) {
			t.Fatalf("decoded (%d, %q) from %x, which encodes to %x", pos, rec, b[:n], again)
		}
	})
}

// FuzzOpenSegment opens a log whose only segment holds the fuzzed bytes:
// Open must never panic; it either refuses with ErrCorrupt or ErrVersion, or
// opens a log whose records replay and re-encode to a prefix of the file
// and, in a version 3 segment, reach the largest valid mark (synced records
// are never dropped as if they were a torn or preallocated tail).
func FuzzOpenSegment(f *testing.F) {
	var recs []byte
	for pos := uint64(1); pos <= 3; pos++ {
		recs = wal.AppendRecord(recs, pos, payload(pos))
	}
	seg := append(header(1, 1, 1), recs...)
	f.Add(seg)
	f.Add(seg[:len(seg)-5])
	f.Add(seg[:32])
	f.Add(seg[:7])
	f.Add(append(bytes.Clone(seg), bytes.Repeat([]byte{0}, 40)...))
	f.Add(header(wal.FormatVersion+1, 1, 1))
	v2 := append(header(2, 1, 1), recs...)
	f.Add(append(v2, make([]byte, 100)...)) // preallocated zeros after the records
	v3 := append(withMarks(header(3, 1, 1), 2, 3), recs...)
	f.Add(append(bytes.Clone(v3), make([]byte, 100)...))
	f.Add(v3[:len(v3)-5])                                // a cut under the mark
	f.Add(append(v3[:len(v3)-60], make([]byte, 160)...)) // zeros under the mark
	f.Add(withMarks(v3, 0, 0)[:len(v3)-5])               // a torn tail past the mark
	f.Add(v3[:40])
	f.Fuzz(func(t *testing.T, b []byte) {
		fsys := faultfs.New(1)
		if err := fsys.WriteFile(path.Join(dir, segName(1)), b); err != nil {
			t.Fatal(err)
		}
		l, err := wal.Open(dir, wal.Options{FS: fsys})
		if err != nil {
			if !errors.Is(err, wal.ErrCorrupt) && !errors.Is(err, wal.ErrVersion) {
				t.Fatalf("Open: unexpected error kind: %v", err)
			}
			return
		}
		defer l.Close()
		hdrSize := 32
		if len(b) >= 12 && binary.LittleEndian.Uint32(b[8:12]) >= 3 {
			hdrSize = wal.SegmentHeaderSize
		}
		again := bytes.Clone(b[:min(len(b), hdrSize)])
		if err := l.Replay(0, func(pos uint64, rec []byte) error {
			again = wal.AppendRecord(again, pos, rec)
			return nil
		}); err != nil {
			t.Fatalf("Replay: %v", err)
		}
		if len(b) >= hdrSize && !bytes.HasPrefix(b, again) {
			t.Fatalf("replayed records are not a prefix of the segment")
		}
		view := bytes.Clone(b[:min(len(b), hdrSize)])
		if err := l.ReplayView(0, func(pos uint64, rec []byte) error {
			view = wal.AppendRecord(view, pos, rec)
			return nil
		}); err != nil {
			t.Fatalf("ReplayView: %v", err)
		}
		if !bytes.Equal(view, again) {
			t.Fatalf("ReplayView read other records than Replay")
		}
		if m := validMark(b); l.LastPos() < m {
			t.Fatalf("opened with records up to %d, below the segment's mark %d", l.LastPos(), m)
		}
	})
}

// validMark returns the largest mark in a valid slot of the version 3
// segment b, as doc.go specifies the slots (0 if b is no such segment).
func validMark(b []byte) uint64 {
	if len(b) < wal.SegmentHeaderSize || binary.LittleEndian.Uint32(b[8:12]) != 3 {
		return 0
	}
	var m uint64
	for _, off := range []int{32, 48} {
		slot := b[off : off+16]
		if bytes.Equal(markSlot(b, binary.LittleEndian.Uint64(slot)), slot) {
			m = max(m, binary.LittleEndian.Uint64(slot))
		}
	}
	return m
}
