package wal_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"hash/crc32"
	"os"
	"path"
	"path/filepath"
	"testing"

	"github.com/brookmq/brook/wal"
)

// frame builds a record frame as doc.go specifies it, independently of the
// package's encoder.
func frame(pos uint64, payload []byte) []byte {
	b := make([]byte, 16, 16+len(payload))
	binary.LittleEndian.PutUint32(b[0:], uint32(len(payload)))
	binary.LittleEndian.PutUint64(b[8:], pos)
	c := crc32.New(crc32.MakeTable(crc32.Castagnoli))
	c.Write(b[0:4])
	c.Write(b[8:16])
	c.Write(payload)
	binary.LittleEndian.PutUint32(b[4:], c.Sum32())
	return append(b, payload...)
}

// TestFormat checks the bytes on disk against the format in doc.go. Each
// record is its own synced batch, so the marks are known: after each
// fdatasync the next slot says what it synced, and Close syncs the last one.
func TestFormat(t *testing.T) {
	fsys := newFS(12)
	l := openT(t, fsys, wal.Options{SegmentSize: 98}) // header 64 + frames 18 + 16
	for _, rec := range []string{"ab", "", "c"} {
		pos, err := l.Append([]byte(rec))
		if err != nil {
			t.Fatal(err)
		}
		if err := l.Wait(context.Background(), pos); err != nil {
			t.Fatal(err)
		}
	}
	closeT(t, l)
	want := map[string][]byte{
		segName(1): append(append(withMarks(header(wal.FormatVersion, 1, 1), 1, 2), frame(1, []byte("ab"))...), frame(2, nil)...),
		// The active segment is preallocated: zeros up to SegmentSize.
		segName(3): append(append(withMarks(header(wal.FormatVersion, 2, 3), 3, 2), frame(3, []byte("c"))...), make([]byte, 98-81)...),
	}
	names, _ := fsys.ReadDir(dir)
	if len(names) != len(want) {
		t.Fatalf("files %v, want %d segments", names, len(want))
	}
	for name, w := range want {
		if got := readT(t, fsys, name); !bytes.Equal(got, w) {
			t.Errorf("%s:\n got %x\nwant %x", name, got, w)
		}
	}
	if got := wal.AppendRecord(nil, 1, []byte("ab")); !bytes.Equal(got, frame(1, []byte("ab"))) {
		t.Errorf("AppendRecord: %x", got)
	}
}

// TestOSFS runs the log on the real file system: permissions, reopen.
func TestOSFS(t *testing.T) {
	d := filepath.Join(t.TempDir(), "a", "wal")
	l, err := wal.Open(d, wal.Options{SegmentSize: 100})
	if err != nil {
		t.Fatal(err)
	}
	appendN(t, l, 5)
	if err := l.TruncateFront(3); err != nil {
		t.Fatal(err)
	}
	closeT(t, l)
	fi, err := os.Stat(d)
	if err != nil || fi.Mode().Perm() != 0o700 {
		t.Fatalf("directory mode %v (%v), want 0700", fi.Mode().Perm(), err)
	}
	ents, _ := os.ReadDir(d)
	for _, e := range ents {
		if info, _ := e.Info(); info.Mode().Perm() != 0o600 {
			t.Errorf("%s mode %v, want 0600", e.Name(), info.Mode().Perm())
		}
	}
	l, err = wal.Open(d, wal.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer closeT(t, l)
	if first, last := replayAll(t, l); first != 3 || last != 5 {
		t.Fatalf("reopened %d..%d, want 3..5", first, last)
	}
}

// TestFormatVersion1 reads a segment of format version 1, which never ends
// in preallocated zeros, and appends to it without preallocating: a build
// that reads only version 1 can still read it.
func TestFormatVersion1(t *testing.T) {
	fsys := newFS(13)
	v1 := append(header(1, 1, 1), frame(1, []byte("ab"))...)
	if err := fsys.WriteFile(path.Join(dir, segName(1)), v1); err != nil {
		t.Fatal(err)
	}
	l := openT(t, fsys, wal.Options{})
	if l.LastPos() != 1 {
		t.Fatalf("LastPos %d, want 1", l.LastPos())
	}
	if _, err := l.Append([]byte("c")); err != nil {
		t.Fatal(err)
	}
	if err := l.Sync(); err != nil {
		t.Fatal(err)
	}
	closeT(t, l)
	if got, want := readT(t, fsys, segName(1)), append(v1, frame(2, []byte("c"))...); !bytes.Equal(got, want) {
		t.Fatalf("version 1 segment after an append:\n got %x\nwant %x", got, want)
	}
}
