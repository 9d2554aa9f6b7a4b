package wal_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/brookmq/brook/wal"
)

func TestAppendReplayReopen(t *testing.T) {
	for _, tc := range []struct {
		name    string
		policy  wal.FsyncPolicy
		segSize int64
		n       int
	}{
		{"always one segment", wal.FsyncAlways, 0, 100},
		{"always small segments", wal.FsyncAlways, 200, 100},
		{"everysec small segments", wal.FsyncEverySec, 300, 60},
		{"no one record per segment", wal.FsyncNo, 1, 20},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fsys := newFS(1)
			o := wal.Options{Fsync: tc.policy, SegmentSize: tc.segSize}
			l := openT(t, fsys, o)
			if l.FirstPos() != 1 || l.LastPos() != 0 {
				t.Fatalf("new log: FirstPos %d LastPos %d, want 1 0", l.FirstPos(), l.LastPos())
			}
			appendN(t, l, tc.n)
			replayAll(t, l)
			closeT(t, l)

			l = openT(t, fsys.DropUnsynced(), o)
			defer closeT(t, l)
			if first, last := replayAll(t, l); first != 1 || last != uint64(tc.n) {
				t.Fatalf("after reopen: records %d..%d, want 1..%d", first, last, tc.n)
			}
			if r := l.Recovery(); r.TornTail != nil || r.Repair != nil {
				t.Fatalf("clean log reported %+v", r)
			}
			appendN(t, l, 5)
			replayAll(t, l)
		})
	}
}

func TestReplayFrom(t *testing.T) {
	fsys := newFS(2)
	l := openT(t, fsys, wal.Options{SegmentSize: 150})
	defer closeT(t, l)
	appendN(t, l, 40)
	for _, from := range []uint64{0, 1, 2, 17, 39, 40, 41, 100} {
		want := max(from, 1)
		var got []uint64
		err := l.Replay(from, func(pos uint64, rec []byte) error {
			got = append(got, pos)
			return nil
		})
		if err != nil {
			t.Fatalf("Replay(%d): %v", from, err)
		}
		wantN := max(0, 41-int(want))
		if len(got) != wantN || (wantN > 0 && got[0] != want) {
			t.Fatalf("Replay(%d): got %d records starting %v, want %d from %d", from, len(got), got[:min(1, len(got))], wantN, want)
		}
	}
	stop := errors.New("stop")
	if err := l.Replay(1, func(uint64, []byte) error { return stop }); err != stop {
		t.Fatalf("Replay with failing fn: %v, want the fn's error", err)
	}
}

func TestTruncateFront(t *testing.T) {
	fsys := newFS(3)
	o := wal.Options{SegmentSize: 200}
	l := openT(t, fsys, o)
	appendN(t, l, 50)
	if err := l.TruncateFront(30); err != nil {
		t.Fatalf("TruncateFront: %v", err)
	}
	first := l.FirstPos()
	if first > 30 || first == 1 {
		t.Fatalf("FirstPos after TruncateFront(30) = %d, want in (1, 30]", first)
	}
	if err := l.Replay(first-1, func(uint64, []byte) error { return nil }); !errors.Is(err, wal.ErrCompacted) {
		t.Fatalf("Replay before FirstPos: %v, want ErrCompacted", err)
	}
	if err := l.TruncateFront(1000); err != nil {
		t.Fatalf("TruncateFront past the end: %v", err)
	}
	if l.FirstPos() > 51 {
		t.Fatalf("the active segment was deleted: FirstPos %d", l.FirstPos())
	}
	appendN(t, l, 3)
	first, _ = replayAll(t, l)
	closeT(t, l)

	l = openT(t, fsys.DropUnsynced(), o)
	defer closeT(t, l)
	if f, last := replayAll(t, l); f != first || last != 53 {
		t.Fatalf("after reopen: %d..%d, want %d..53", f, last, first)
	}
}

func TestLimitsAndClose(t *testing.T) {
	fsys := newFS(4)
	l := openT(t, fsys, wal.Options{MaxRecordSize: 10})
	if _, err := l.Append(make([]byte, 11)); !errors.Is(err, wal.ErrTooLarge) {
		t.Fatalf("Append over MaxRecordSize: %v, want ErrTooLarge", err)
	}
	if l.LastPos() != 0 {
		t.Fatalf("rejected append changed LastPos to %d", l.LastPos())
	}
	pos, err := l.Append(make([]byte, 10))
	if err != nil || pos != 1 {
		t.Fatalf("Append at the limit: %d, %v", pos, err)
	}
	if _, err := l.Append(nil); err != nil {
		t.Fatalf("Append empty record: %v", err)
	}
	closeT(t, l)
	if err := l.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	ctx := context.Background()
	for name, err := range map[string]error{
		"Append":        func() error { _, err := l.Append(nil); return err }(),
		"Sync":          l.Sync(),
		"Wait future":   l.Wait(ctx, 3),
		"TruncateFront": l.TruncateFront(1),
		"Replay":        l.Replay(0, func(uint64, []byte) error { return nil }),
	} {
		if !errors.Is(err, wal.ErrClosed) {
			t.Errorf("%s after Close: %v, want ErrClosed", name, err)
		}
	}
	if err := l.Wait(ctx, 2); err != nil {
		t.Errorf("Wait for a record Close made durable: %v", err)
	}
}

func TestParseFsyncPolicy(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want wal.FsyncPolicy
		ok   bool
	}{
		{"always", wal.FsyncAlways, true},
		{"everysec", wal.FsyncEverySec, true},
		{"no", wal.FsyncNo, true},
		{"EverySec", wal.FsyncEverySec, true},
		{"every sec", 0, false},
		{"", 0, false},
	} {
		got, err := wal.ParseFsyncPolicy(tc.in)
		if (err == nil) != tc.ok || got != tc.want {
			t.Errorf("ParseFsyncPolicy(%q) = %v, %v", tc.in, got, err)
		}
		if tc.ok && got.String() != strings.ToLower(tc.in) {
			t.Errorf("%v.String() = %q", got, got.String())
		}
	}
}

func TestWaitContext(t *testing.T) {
	l := openT(t, newFS(5), wal.Options{})
	defer closeT(t, l)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := l.Wait(ctx, 10); !errors.Is(err, context.Canceled) {
		t.Fatalf("Wait for a future record with a cancelled context: %v", err)
	}
	if err := l.Wait(ctx, 0); err != nil {
		t.Fatalf("Wait(0): %v", err)
	}
}

// TestReplayWhileAppending replays while another goroutine appends and rolls
// segments: Replay sees a consistent prefix of the log.
func TestReplayWhileAppending(t *testing.T) {
	l := openT(t, newFS(6), wal.Options{SegmentSize: 300})
	defer closeT(t, l)
	appendN(t, l, 10)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for range 200 {
			if _, err := l.Append(payload(l.LastPos() + 1)); err != nil {
				t.Error(err)
				return
			}
		}
	}()
	for range 20 {
		next := uint64(1)
		err := l.Replay(0, func(pos uint64, rec []byte) error {
			if pos != next || string(rec) != string(payload(pos)) {
				return fmt.Errorf("record %d (%q) where %d was expected", pos, rec, next)
			}
			next++
			return nil
		})
		if err != nil || next <= 10 {
			t.Fatalf("Replay while appending: %v, %d records", err, next-1)
		}
	}
	<-done
}

// TestReplayViewSizes replays records smaller than, as large as and larger
// than the 64 KiB read buffer, after a reopen (so they come from the file),
// with Replay and ReplayView: both see the same bytes, and Replay's copies
// stay intact after the replay.
func TestReplayViewSizes(t *testing.T) {
	sizes := []int{0, 1, 100, 64<<10 - 16, 64 << 10, 64<<10 + 1, 200 << 10, 7, 64 << 10, 3 << 20, 5}
	rec := func(i int) []byte {
		b := make([]byte, sizes[i])
		for j := range b {
			b[j] = byte(i*31 + j*7)
		}
		return b
	}
	fsys := newFS(9)
	o := wal.Options{MaxRecordSize: 4 << 20}
	l := openT(t, fsys, o)
	for i := range sizes {
		if _, err := l.Append(rec(i)); err != nil {
			t.Fatalf("Append: %v", err)
		}
	}
	closeT(t, l)
	l = openT(t, fsys, o)
	defer closeT(t, l)
	var kept [][]byte
	if err := l.Replay(0, func(_ uint64, b []byte) error { kept = append(kept, b); return nil }); err != nil {
		t.Fatalf("Replay: %v", err)
	}
	n := 0
	err := l.ReplayView(0, func(pos uint64, b []byte) error {
		if int(pos) != n+1 || string(b) != string(rec(n)) {
			return fmt.Errorf("record %d (%d bytes) differs from record %d as appended (%d bytes)", pos, len(b), n+1, sizes[n])
		}
		n++
		return nil
	})
	if err != nil || n != len(sizes) {
		t.Fatalf("ReplayView: %v after %d records of %d", err, n, len(sizes))
	}
	for i, b := range kept {
		if string(b) != string(rec(i)) {
			t.Fatalf("Replay's copy of record %d changed", i+1)
		}
	}
}
