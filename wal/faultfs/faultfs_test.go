package faultfs_test

import (
	"errors"
	"io"
	"io/fs"
	"os"
	"slices"
	"syscall"
	"testing"

	"github.com/brookmq/brook/wal"
	"github.com/brookmq/brook/wal/faultfs"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

const d = "/d"

func create(t *testing.T, f *faultfs.FS, name string) wal.File {
	t.Helper()
	if err := f.MkdirAll(d, 0o700); err != nil {
		t.Fatal(err)
	}
	h, err := f.OpenFile(name, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func write(t *testing.T, h wal.File, s string) {
	t.Helper()
	if _, err := h.Write([]byte(s)); err != nil {
		t.Fatal(err)
	}
}

func content(f *faultfs.FS, name string) string {
	b, err := f.ReadFile(name)
	if errors.Is(err, fs.ErrNotExist) {
		return "<missing>"
	}
	if err != nil {
		return "<" + err.Error() + ">"
	}
	return string(b)
}

// TestCrash checks what power loss keeps: synced data under durable names.
func TestCrash(t *testing.T) {
	f := faultfs.New(1)
	h := create(t, f, d+"/a")
	write(t, h, "synced")
	if err := h.Sync(); err != nil {
		t.Fatal(err)
	}
	write(t, h, "+unsynced")
	for _, tc := range []struct {
		name string
		g    func() *faultfs.FS
		want string
	}{
		{"entry not synced", f.DropUnsynced, "<missing>"},
		{"kill keeps everything", f.Kill, "synced+unsynced"},
	} {
		if got := content(tc.g(), d+"/a"); got != tc.want {
			t.Errorf("%s: %q, want %q", tc.name, got, tc.want)
		}
	}
	if err := f.SyncDir(d); err != nil {
		t.Fatal(err)
	}
	if got := content(f.DropUnsynced(), d+"/a"); got != "synced" {
		t.Errorf("after SyncDir, DropUnsynced kept %q, want %q", got, "synced")
	}
	seen := map[string]bool{}
	for range 200 {
		got := content(f.Crash(), d+"/a")
		if len(got) < len("synced") || got != "synced+unsynced"[:len(got)] {
			t.Fatalf("Crash kept %q: not the synced data plus a prefix of the rest", got)
		}
		seen[got] = true
	}
	if len(seen) < 5 {
		t.Errorf("Crash tore at only %d distinct points in 200 tries", len(seen))
	}
	// Renames and removals are durable only after SyncDir.
	if err := f.Rename(d+"/a", d+"/b"); err != nil {
		t.Fatal(err)
	}
	if g := f.DropUnsynced(); content(g, d+"/a") != "synced" || content(g, d+"/b") != "<missing>" {
		t.Errorf("unsynced rename survived power loss")
	}
	if err := f.SyncDir(d); err != nil {
		t.Fatal(err)
	}
	if err := f.Remove(d + "/b"); err != nil {
		t.Fatal(err)
	}
	if g := f.DropUnsynced(); content(g, d+"/b") != "synced" {
		t.Errorf("unsynced removal survived power loss: %q", content(g, d+"/b"))
	}
}

// TestDeterministic checks that the same seed and calls give the same
// result.
func TestDeterministic(t *testing.T) {
	run := func() []string {
		f := faultfs.New(42)
		h := create(t, f, d+"/a")
		write(t, h, "0123456789")
		f.SyncDir(d)
		var out []string
		for range 10 {
			out = append(out, content(f.Crash(), d+"/a"))
		}
		return out
	}
	if a, b := run(), run(); !slices.Equal(a, b) {
		t.Fatalf("same seed, different results: %q and %q", a, b)
	}
}

func TestTearLastWrite(t *testing.T) {
	f := faultfs.New(2)
	h := create(t, f, d+"/a")
	write(t, h, "keep")
	h.Sync()
	write(t, h, "-torn-write")
	name, kept, ok := f.TearLastWrite()
	if !ok || name != d+"/a" || kept >= len("-torn-write") {
		t.Fatalf("TearLastWrite = %q, %d, %v", name, kept, ok)
	}
	if got := content(f, d+"/a"); got != "keep"+"-torn-write"[:kept] {
		t.Fatalf("after tearing: %q", got)
	}
	if _, _, ok := f.TearLastWrite(); ok {
		t.Fatal("tore the same write twice")
	}
}

func TestFlipBit(t *testing.T) {
	f := faultfs.New(3)
	h := create(t, f, d+"/a")
	write(t, h, "AAAA")
	h.Sync()
	f.SyncDir(d)
	if err := f.FlipBit(d+"/a", 1, 0); err != nil {
		t.Fatal(err)
	}
	if got := content(f.DropUnsynced(), d+"/a"); got != "A@AA" {
		t.Fatalf("flipped synced data: %q, want %q", got, "A@AA")
	}
	if err := f.FlipBit(d+"/a", 4, 0); err == nil {
		t.Fatal("flip past the end succeeded")
	}
	name, off, _, ok := f.FlipRandomSyncedBit(nil)
	if !ok || name != d+"/a" || off < 0 || off > 3 {
		t.Fatalf("FlipRandomSyncedBit = %q, %d, %v", name, off, ok)
	}
	if _, _, _, ok := f.FlipRandomSyncedBit(func(string) bool { return false }); ok {
		t.Fatal("flipped a bit in no file")
	}
}

func TestZeroRange(t *testing.T) {
	f := faultfs.New(4)
	h := create(t, f, d+"/a")
	write(t, h, "AAAAAA")
	h.Sync()
	f.SyncDir(d)
	write(t, h, "BB") // unsynced
	if err := f.ZeroRange(d+"/a", 4, 10); err != nil {
		t.Fatal(err)
	}
	if got := content(f, d+"/a"); got != "AAAA\x00\x00\x00\x00" {
		t.Fatalf("zeroed current content: %q", got)
	}
	if got := content(f.DropUnsynced(), d+"/a"); got != "AAAA\x00\x00" {
		t.Fatalf("zeroed synced content: %q", got)
	}
	if err := f.ZeroRange(d+"/b", 0, 1); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("ZeroRange of a missing file: %v", err)
	}
	for range 20 {
		name, off, n, ok := f.ZeroRandomSyncedRange(nil)
		if !ok || name != d+"/a" || off < 0 || n < 1 || off+n > 6 {
			t.Fatalf("ZeroRandomSyncedRange = %q, %d, %d, %v", name, off, n, ok)
		}
	}
	if _, _, _, ok := f.ZeroRandomSyncedRange(func(string) bool { return false }); ok {
		t.Fatal("zeroed a range in no file")
	}
}

func TestInjectedErrors(t *testing.T) {
	f := faultfs.New(4)
	h := create(t, f, d+"/a")
	f.FailSyncAfter(1, nil)
	if err := h.Sync(); err != nil {
		t.Fatalf("first sync: %v", err)
	}
	if err := h.Sync(); !errors.Is(err, faultfs.ErrInjected) {
		t.Fatalf("second sync: %v, want the injected error", err)
	}
	if err := h.Sync(); err != nil {
		t.Fatalf("the failure is one-shot, like Linux after a write-back error: %v", err)
	}
	f.FailDirSyncAfter(0, syscall.EIO)
	if err := f.SyncDir(d); !errors.Is(err, syscall.EIO) {
		t.Fatalf("SyncDir: %v, want EIO", err)
	}
	f.FailWriteAfter(0, nil)
	if n, err := h.Write([]byte("abcdef")); !faultfs.IsInjected(err) || n > 6 {
		t.Fatalf("Write: %d, %v", n, err)
	}
	f.SetSpace(10)
	n, err := h.Write([]byte("0123456789abcdef"))
	if !errors.Is(err, syscall.ENOSPC) || n >= 16 {
		t.Fatalf("Write past the capacity: %d, %v, want a short write and ENOSPC", n, err)
	}
	if size, _ := h.Size(); size != 10 {
		t.Fatalf("size %d after filling the disk, want 10", size)
	}
	if st := f.Stats(); st.Syncs != 3 || st.DirSyncs != 1 {
		t.Fatalf("stats %+v", st)
	}
}

func TestFileOps(t *testing.T) {
	f := faultfs.New(5)
	h := create(t, f, d+"/a")
	write(t, h, "hello world")
	if _, err := f.OpenFile(d+"/a", os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600); !errors.Is(err, fs.ErrExist) {
		t.Fatalf("O_EXCL on an existing file: %v", err)
	}
	if _, err := f.OpenFile(d+"/missing", os.O_RDONLY, 0); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("open missing: %v", err)
	}
	buf := make([]byte, 5)
	if n, err := h.ReadAt(buf, 6); n != 5 || err != nil || string(buf) != "world" {
		t.Fatalf("ReadAt = %d, %v, %q", n, err, buf)
	}
	if n, err := h.ReadAt(buf, 8); n != 3 || err != io.EOF {
		t.Fatalf("ReadAt at the end = %d, %v", n, err)
	}
	if err := h.Truncate(5); err != nil {
		t.Fatal(err)
	}
	a, err := f.OpenFile(d+"/a", os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	write(t, a, "!")
	if got := content(f, d+"/a"); got != "hello!" {
		t.Fatalf("after truncate and append: %q", got)
	}
	if _, err := a.ReadAt(buf, 0); err == nil {
		t.Fatal("read from a write-only file succeeded")
	}
	a.Close()
	if err := a.Close(); !errors.Is(err, fs.ErrClosed) {
		t.Fatalf("second Close: %v", err)
	}
	if names, err := f.ReadDir(d); err != nil || !slices.Equal(names, []string{"a"}) {
		t.Fatalf("ReadDir = %v, %v", names, err)
	}
}

// TestOverwrites checks the power-loss model for writes over synced bytes
// (a log writing into space it preallocated): a crash keeps the synced
// content plus the unsynced writes in order up to one, torn; a kill torn in
// the middle of an overwrite brings the old bytes back.
func TestOverwrites(t *testing.T) {
	f := faultfs.New(3)
	h := create(t, f, d+"/a")
	write(t, h, "00000000")
	if err := h.Sync(); err != nil {
		t.Fatal(err)
	}
	if err := f.SyncDir(d); err != nil {
		t.Fatal(err)
	}
	for _, w := range []struct {
		s   string
		off int64
	}{{"ab", 2}, {"cde", 4}, {"fg", 7}} {
		if _, err := h.WriteAt([]byte(w.s), w.off); err != nil {
			t.Fatal(err)
		}
	}
	if got := content(f, d+"/a"); got != "00abcdefg" {
		t.Fatalf("content %q", got)
	}
	// Every state in order: the writes apply as a prefix, the last one torn.
	possible := map[string]bool{}
	for _, s := range []string{"00000000", "00a00000", "00ab0000", "00abc000", "00abcd00", "00abcde0", "00abcdef", "00abcdefg"} {
		possible[s] = true
	}
	seen := map[string]bool{}
	for range 400 {
		got := content(f.Crash(), d+"/a")
		if !possible[got] {
			t.Fatalf("Crash kept %q: not the writes in order up to a torn one", got)
		}
		seen[got] = true
	}
	if len(seen) < len(possible)-1 {
		t.Errorf("Crash produced only %v", seen)
	}
	if got := content(f.DropUnsynced(), d+"/a"); got != "00000000" {
		t.Errorf("DropUnsynced kept %q", got)
	}

	// A kill in the middle of the last write ("fg" at 7, growing the file
	// by one byte): the bytes not kept are the old ones again.
	for range 20 {
		g := f.Kill()
		_, kept, ok := g.TearLastWrite()
		want := []string{"00abcde0", "00abcdef"}[kept]
		if got := content(g, d+"/a"); !ok || got != want {
			t.Fatalf("torn (kept %d, ok %v): %q, want %q", kept, ok, got, want)
		}
	}
	// A synced write is never torn.
	if err := h.Sync(); err != nil {
		t.Fatal(err)
	}
	if _, _, ok := f.Kill().TearLastWrite(); ok {
		t.Error("TearLastWrite tore a synced write")
	}
	// WriteAt on an O_APPEND file is refused, as by os.File.
	ap, err := f.OpenFile(d+"/a", os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ap.WriteAt([]byte("x"), 0); !errors.Is(err, syscall.EINVAL) {
		t.Errorf("WriteAt on O_APPEND: %v", err)
	}
}

// TestWriteHook: the hook sees every Write and WriteAt, before the write.
func TestWriteHook(t *testing.T) {
	f := faultfs.New(4)
	h := create(t, f, d+"/a")
	var seen []string
	f.SetWriteHook(func(name string) { seen = append(seen, name+"="+content(f, name)) })
	write(t, h, "ab")
	if _, err := h.WriteAt([]byte("c"), 2); err != nil {
		t.Fatal(err)
	}
	f.SetWriteHook(nil)
	write(t, h, "d")
	if want := []string{d + "/a=", d + "/a=ab"}; !slices.Equal(seen, want) {
		t.Fatalf("hook saw %q, want %q", seen, want)
	}
}
