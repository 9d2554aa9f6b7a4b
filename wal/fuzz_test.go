package wal_test

import (
	"bytes"
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
// opens a log whose records replay and re-encode to a prefix of the file.
func FuzzOpenSegment(f *testing.F) {
	seg := header(1, 1, 1)
	for pos := uint64(1); pos <= 3; pos++ {
		seg = wal.AppendRecord(seg, pos, payload(pos))
	}
	f.Add(seg)
	f.Add(seg[:len(seg)-5])
	f.Add(seg[:wal.SegmentHeaderSize])
	f.Add(seg[:7])
	f.Add(append(bytes.Clone(seg), bytes.Repeat([]byte{0}, 40)...))
	f.Add(header(wal.FormatVersion+1, 1, 1))
	v2 := append(header(2, 1, 1), seg[wal.SegmentHeaderSize:]...)
	f.Add(append(v2, make([]byte, 100)...)) // preallocated zeros after the records
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
		again := bytes.Clone(b[:min(len(b), wal.SegmentHeaderSize)])
		if err := l.Replay(0, func(pos uint64, rec []byte) error {
			again = wal.AppendRecord(again, pos, rec)
			return nil
		}); err != nil {
			t.Fatalf("Replay: %v", err)
		}
		if len(b) >= wal.SegmentHeaderSize && !bytes.HasPrefix(b, again) {
			t.Fatalf("replayed records are not a prefix of the segment")
		}
	})
}
