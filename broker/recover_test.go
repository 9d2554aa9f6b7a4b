package broker_test

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/brookmq/brook/broker"
	"github.com/brookmq/brook/stream"
	"github.com/brookmq/brook/wal"
)

// history is a directory of a durable broker and the states it went
// through: states[i] after i operations.
type history struct {
	dir    string
	states []state
}

// run opens dir with o, runs n workload operations recording each state,
// and closes the broker (close) or takes a copy of the directory as a
// SIGKILL would leave it, then closes (crash). It returns the directory to
// recover: dir itself, or the copy.
func (h *history) run(t *testing.T, w *workload, o broker.Options, n int, crash bool) string {
	t.Helper()
	b := openDurable(t, h.dir, o)
	if h.states == nil {
		h.states = []state{observe(t, b)}
	}
	for range n {
		if err := w.step(context.Background(), b); err != nil {
			b.Close()
			t.Fatalf("step %d: %v", w.n, err)
		}
		h.states = append(h.states, observe(t, b))
	}
	out := h.dir
	if crash {
		out = copyDir(t, h.dir)
	}
	if err := b.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	return out
}

func (h *history) last() state { return h.states[len(h.states)-1] }

// copyDir copies a data directory (the log and the snapshots, not the lock)
// to a new temporary directory: with FsyncAlways, what a killed process
// leaves on disk is what the files hold now. A background snapshot may be
// changing the files: the copy is taken again until the directory held
// still while it was copied.
func copyDir(t *testing.T, src string) string {
	t.Helper()
	for {
		before := dirContent(t, src)
		dst := t.TempDir()
		err := copyFiles(src, dst)
		if err == nil && slices.Equal(dirContent(t, src), before) {
			return dst
		}
		if err != nil && !errors.Is(err, os.ErrNotExist) {
			t.Fatalf("copy %s: %v", src, err)
		}
	}
}

func copyFiles(src, dst string) error {
	return filepath.WalkDir(src, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, path)
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(dst, rel), 0o700)
		}
		if d.Name() == "LOCK" {
			return nil
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, rel), data, 0o600)
	})
}

// files lists the names in dir matching the glob pattern, sorted.
func files(t *testing.T, dir, pattern string) []string {
	t.Helper()
	names, err := filepath.Glob(filepath.Join(dir, pattern))
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(names)
	return names
}

// editFile applies f to the content of the file path.
func editFile(t *testing.T, path string, f func([]byte) []byte) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, f(data), 0o600); err != nil {
		t.Fatal(err)
	}
}

// recordsEnd returns where the records of a segment file end: the log
// preallocates, so zeros can follow them (frame layout: wal/doc.go).
func recordsEnd(b []byte) int {
	off := wal.SegmentHeaderSize
	for off+wal.RecordHeaderSize <= len(b) && binary.LittleEndian.Uint64(b[off+8:]) != 0 {
		off += wal.RecordHeaderSize + int(binary.LittleEndian.Uint32(b[off:]))
	}
	return off
}

// unmark sets both synced-through mark slots of segment b (format version
// 3, layout: wal/doc.go) to the position before its first record, as if no
// fdatasync had covered any of its records yet.
func unmark(b []byte) []byte {
	castagnoli := crc32.MakeTable(crc32.Castagnoli)
	for _, off := range []int{32, 48} {
		slot := b[off : off+16]
		binary.LittleEndian.PutUint64(slot, binary.LittleEndian.Uint64(b[20:28])-1)
		clear(slot[8:12])
		c := crc32.Update(crc32.Checksum(b[:32], castagnoli), castagnoli, slot[:12])
		binary.LittleEndian.PutUint32(slot[12:], c)
	}
	return b
}

// resumSnapshot recomputes a snapshot file's CRC-32C trailer after an edit.
func resumSnapshot(b []byte) []byte {
	body := b[:len(b)-4]
	return binary.LittleEndian.AppendUint32(body[:len(body):len(body)], crc32.Checksum(body, crc32.MakeTable(crc32.Castagnoli)))
}

// recoverCase prepares a damaged data directory and returns it, with the
// state Open must recover or the error it must return.
type recoverCase struct {
	name    string
	prepare func(t *testing.T) (dir string, want state, wantErr error)
	logged  string // a Logf line must contain this
	broken  int    // snapshots set aside as *.broken by a successful Open
}

// lastOp runs a workload whose last operation is an XAdd, so a cut of the
// last log record has a known effect.
func addLast(t *testing.T, h *history, w *workload, o broker.Options) string {
	t.Helper()
	h.run(t, w, o, 60, false)
	b := openDurable(t, h.dir, o)
	if _, err := b.XAdd(context.Background(), "s0", []stream.Field{{Name: "last", Value: "x"}}, broker.AddOptions{}); err != nil {
		t.Fatal(err)
	}
	h.states = append(h.states, observe(t, b))
	dir := copyDir(t, h.dir)
	b.Close()
	return dir
}

func recoverCases(o broker.Options, small broker.Options) []recoverCase {
	noSnap := o
	noSnap.Durability.SnapshotEvery = -1
	return []recoverCase{
		{name: "clean close", prepare: func(t *testing.T) (string, state, error) {
			h := &history{dir: t.TempDir()}
			h.run(t, newWorkload(1, newMsClock(1e12)), o, 100, false)
			return h.dir, h.last(), nil
		}},
		{name: "crash, log only", prepare: func(t *testing.T) (string, state, error) {
			h := &history{dir: t.TempDir()}
			dir := h.run(t, newWorkload(2, newMsClock(1e12)), noSnap, 100, true)
			if len(files(t, dir, "snap-*")) != 0 {
				t.Fatal("a snapshot was written")
			}
			return dir, h.last(), nil
		}},
		{name: "crash after snapshots, small segments", prepare: func(t *testing.T) (string, state, error) {
			h := &history{dir: t.TempDir()}
			dir := h.run(t, newWorkload(3, newMsClock(1e12)), small, 300, true)
			return dir, h.last(), nil
		}},
		// A torn write is one not synced yet: no mark covers it.
		{name: "torn last record", logged: "wal: torn tail", prepare: func(t *testing.T) (string, state, error) {
			h := &history{dir: t.TempDir()}
			dir := addLast(t, h, newWorkload(4, newMsClock(1e12)), noSnap)
			segs := files(t, dir, "wal/*.wal")
			editFile(t, segs[len(segs)-1], func(b []byte) []byte { return unmark(b[:recordsEnd(b)-3]) })
			return dir, h.states[len(h.states)-2], nil
		}},
		// Synced records lost to zeros are not a preallocated end.
		{name: "synced records zeroed at the end of the log", prepare: func(t *testing.T) (string, state, error) {
			h := &history{dir: t.TempDir()}
			dir := h.run(t, newWorkload(4, newMsClock(1e12)), noSnap, 60, false)
			segs := files(t, dir, "wal/*.wal")
			editFile(t, segs[len(segs)-1], func(b []byte) []byte {
				end := recordsEnd(b)
				clear(b[wal.SegmentHeaderSize+(end-wal.SegmentHeaderSize)/2 : end])
				return b
			})
			return dir, nil, allOf{broker.ErrCorrupt, wal.ErrCorrupt}
		}},
		{name: "zero-length segment after the last", prepare: func(t *testing.T) (string, state, error) {
			h := &history{dir: t.TempDir()}
			dir := h.run(t, newWorkload(5, newMsClock(1e12)), noSnap, 50, true)
			if err := os.WriteFile(filepath.Join(dir, "wal", fmt.Sprintf("%020d.wal", 1<<40)), nil, 0o600); err != nil {
				t.Fatal(err)
			}
			return dir, nil, allOf{broker.ErrCorrupt, wal.ErrCorrupt}
		}},
		// No crash leaves a segment with an incomplete header (its header is
		// synced before its name appears): the records it held are lost.
		{name: "the only segment zero-length", prepare: func(t *testing.T) (string, state, error) {
			h := &history{dir: t.TempDir()}
			dir := h.run(t, newWorkload(6, newMsClock(1e12)), noSnap, 50, true)
			segs := files(t, dir, "wal/*.wal")
			editFile(t, segs[0], func([]byte) []byte { return nil })
			return dir, nil, allOf{broker.ErrCorrupt, wal.ErrCorrupt}
		}},
		{name: "segment of garbage", prepare: func(t *testing.T) (string, state, error) {
			h := &history{dir: t.TempDir()}
			dir := h.run(t, newWorkload(7, newMsClock(1e12)), noSnap, 50, true)
			segs := files(t, dir, "wal/*.wal")
			editFile(t, segs[0], func(b []byte) []byte {
				for i := range b {
					b[i] = byte(i*7 + 3)
				}
				return b
			})
			return dir, nil, allOf{broker.ErrCorrupt, wal.ErrCorrupt}
		}},
		{name: "record damaged mid-log", prepare: func(t *testing.T) (string, state, error) {
			h := &history{dir: t.TempDir()}
			dir := h.run(t, newWorkload(8, newMsClock(1e12)), noSnap, 50, true)
			segs := files(t, dir, "wal/*.wal")
			editFile(t, segs[0], func(b []byte) []byte { b[recordsEnd(b)/2] ^= 0x10; return b })
			return dir, nil, allOf{broker.ErrCorrupt, wal.ErrCorrupt}
		}},
		{name: "snapshot without its log", prepare: func(t *testing.T) (string, state, error) {
			h := &history{dir: t.TempDir()}
			h.run(t, newWorkload(9, newMsClock(1e12)), o, 50, false)
			if err := os.RemoveAll(filepath.Join(h.dir, "wal")); err != nil {
				t.Fatal(err)
			}
			return h.dir, nil, broker.ErrCorrupt
		}},
		{name: "log without its snapshot", prepare: func(t *testing.T) (string, state, error) {
			h := &history{dir: t.TempDir()}
			dir := h.run(t, newWorkload(10, newMsClock(1e12)), small, 300, true)
			if len(files(t, dir, "wal/*.wal")) == 0 || filepath.Base(files(t, dir, "wal/*.wal")[0]) == fmt.Sprintf("%020d.wal", 1) {
				t.Fatal("the log was not truncated: the case tests nothing")
			}
			for _, f := range files(t, dir, "snap-*") {
				os.Remove(f)
			}
			return dir, nil, broker.ErrCorrupt
		}},
		{name: "snapshot of a newer format", prepare: func(t *testing.T) (string, state, error) {
			h := &history{dir: t.TempDir()}
			h.run(t, newWorkload(11, newMsClock(1e12)), o, 50, false)
			editFile(t, files(t, h.dir, "snap-*.snap")[0], func(b []byte) []byte { b[8] = 9; return resumSnapshot(b) })
			return h.dir, nil, broker.ErrFormatVersion
		}},
		{name: "segment of a newer format", prepare: func(t *testing.T) (string, state, error) {
			h := &history{dir: t.TempDir()}
			dir := h.run(t, newWorkload(16, newMsClock(1e12)), noSnap, 50, true)
			editFile(t, files(t, dir, "wal/*.wal")[0], func(b []byte) []byte {
				binary.LittleEndian.PutUint32(b[8:12], wal.FormatVersion+1) // header layout: wal/record.go
				binary.LittleEndian.PutUint32(b[28:32], crc32.Checksum(b[0:28], crc32.MakeTable(crc32.Castagnoli)))
				return b
			})
			return dir, nil, wal.ErrVersion
		}},
		{name: "damaged newest snapshot, older one and the whole log", logged: "damaged snapshot", broken: 1,
			prepare: func(t *testing.T) (string, state, error) {
				h := &history{dir: t.TempDir()}
				w := newWorkload(12, newMsClock(1e12))
				h.run(t, w, o, 50, false)
				older := files(t, h.dir, "snap-*.snap")[0]
				keep, err := os.ReadFile(older)
				if err != nil {
					t.Fatal(err)
				}
				h.run(t, w, o, 50, false)
				if err := os.WriteFile(older, keep, 0o600); err != nil {
					t.Fatal(err)
				}
				snaps := files(t, h.dir, "snap-*.snap")
				editFile(t, snaps[len(snaps)-1], func(b []byte) []byte { b[len(b)/2] ^= 1; return b })
				return h.dir, h.last(), nil
			}},
		{name: "truncated only snapshot, whole log", logged: "damaged snapshot", broken: 1, prepare: func(t *testing.T) (string, state, error) {
			h := &history{dir: t.TempDir()}
			h.run(t, newWorkload(13, newMsClock(1e12)), o, 50, false)
			editFile(t, files(t, h.dir, "snap-*.snap")[0], func(b []byte) []byte { return b[:len(b)/2] })
			return h.dir, h.last(), nil
		}},
		{name: "empty only snapshot, log truncated", prepare: func(t *testing.T) (string, state, error) {
			h := &history{dir: t.TempDir()}
			dir := h.run(t, newWorkload(14, newMsClock(1e12)), small, 300, true)
			snaps := files(t, dir, "snap-*.snap")
			for _, older := range snaps[:len(snaps)-1] {
				// An older snapshot can be left when Close's snapshot
				// raced a background one: the case is about the only one.
				if err := os.Remove(older); err != nil {
					t.Fatal(err)
				}
			}
			editFile(t, snaps[len(snaps)-1], func([]byte) []byte { return nil })
			if segs := files(t, filepath.Join(dir, "wal"), "*.wal"); len(segs) > 0 &&
				filepath.Base(segs[0]) == "00000000000000000001.wal" {
				// Snapshots are paced by their size, and whether one
				// truncated the log before Close depends on when the
				// background snapshot ran: a log that still starts at
				// position 1 holds every record, and recovery must fall
				// back to it and lose nothing.
				t.Log("the log was not truncated: recovery falls back to it")
				return dir, h.last(), nil
			}
			return dir, nil, broker.ErrCorrupt
		}},
		{name: "leftover temporary snapshot", prepare: func(t *testing.T) (string, state, error) {
			h := &history{dir: t.TempDir()}
			h.run(t, newWorkload(15, newMsClock(1e12)), o, 50, false)
			writeTempSnapshot(t, h.dir)
			return h.dir, h.last(), nil
		}},
	}
}

// TestRecoverDamaged opens data directories damaged in the ways a crash,
// a disk or a person can damage them: each must recover exactly or fail
// with a precise error, and a failed Open must change no file.
func TestRecoverDamaged(t *testing.T) {
	o := broker.Options{}
	small := broker.Options{Durability: broker.DurabilityOptions{SnapshotEvery: 2 << 10, SegmentSize: 1 << 10}}
	for _, tc := range recoverCases(o, small) {
		t.Run(tc.name, func(t *testing.T) {
			dir, want, wantErr := tc.prepare(t)
			var logs logLines
			opts := o
			opts.Durability.Logf = logs.logf
			before := dirContent(t, dir)
			b, err := broker.Open(dir, opts)
			if wantErr != nil {
				if !matches(err, wantErr) {
					if b != nil {
						b.Close()
					}
					t.Fatalf("Open: err = %v, want %v", err, wantErr)
				}
				if after := dirContent(t, dir); !slices.Equal(after, before) {
					t.Fatalf("a failed Open changed the directory:\nbefore %q\nafter  %q", before, after)
				}
				t.Logf("Open: %v", err)
				return
			}
			if err != nil {
				t.Fatalf("Open: %v", err)
			}
			got := observe(t, b)
			if err := b.Close(); err != nil {
				t.Fatalf("Close: %v", err)
			}
			if d := diffState(got, want); d != "" {
				t.Fatal(d)
			}
			if broken := files(t, dir, "snap-*.broken"); len(broken) != tc.broken {
				t.Fatalf("broken snapshots kept: %q, want %d", broken, tc.broken)
			}
			if tc.logged != "" && !slices.ContainsFunc(logs.lines, func(s string) bool { return strings.Contains(s, tc.logged) }) {
				t.Fatalf("no report containing %q in %q", tc.logged, logs.lines)
			}
		})
	}
}

// dirContent lists the files under dir with their sizes and a checksum,
// the lock file excepted.
func dirContent(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if errors.Is(err, os.ErrNotExist) {
			return nil // removed by a background snapshot meanwhile
		}
		if err != nil || d.IsDir() || d.Name() == "LOCK" {
			return err
		}
		f, err := os.Open(path)
		if errors.Is(err, os.ErrNotExist) {
			return nil
		}
		if err != nil {
			return err
		}
		defer f.Close()
		h := crc32.NewIEEE()
		n, err := io.Copy(h, f)
		rel, _ := filepath.Rel(dir, path)
		out = append(out, fmt.Sprintf("%s %d %08x", rel, n, h.Sum32()))
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// writeTempSnapshot leaves the temporary file of an interrupted snapshot.
func writeTempSnapshot(t *testing.T, dir string) string {
	t.Helper()
	tmp := filepath.Join(dir, fmt.Sprintf("snap-%020d.snap.tmp", 1<<50))
	if err := os.WriteFile(tmp, []byte("half a snapshot"), 0o600); err != nil {
		t.Fatal(err)
	}
	return tmp
}

// TestTempSnapshotRemoved checks that the next snapshot removes the
// temporary file an interrupted one left, and the snapshots it replaces.
func TestTempSnapshotRemoved(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	for round := range 3 {
		b := openDurable(t, dir, broker.Options{})
		if _, err := b.XAdd(ctx, "k", []stream.Field{{Name: "round", Value: fmt.Sprint(round)}}, broker.AddOptions{}); err != nil {
			t.Fatal(err)
		}
		writeTempSnapshot(t, dir)
		if err := b.Close(); err != nil {
			t.Fatal(err)
		}
		if tmp := files(t, dir, "*.tmp"); len(tmp) != 0 {
			t.Fatalf("round %d: temporary files left after a snapshot: %q", round, tmp)
		}
		if snaps := files(t, dir, "snap-*"); len(snaps) != 1 {
			t.Fatalf("round %d: snapshots %q, want one", round, snaps)
		}
	}
}

// allOf is a wanted error that must match every one of its sentinels.
type allOf []error

func (a allOf) Error() string { return fmt.Sprint([]error(a)) }

// matches reports whether err matches want, or all of want if it is allOf.
func matches(err, want error) bool {
	all, ok := want.(allOf)
	if !ok {
		return errors.Is(err, want)
	}
	for _, w := range all {
		if !errors.Is(err, w) {
			return false
		}
	}
	return true
}
