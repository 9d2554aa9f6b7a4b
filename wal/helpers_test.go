package wal_test

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"

	"github.com/brookmq/brook/wal"
	"github.com/brookmq/brook/wal/faultfs"
)

const dir = "/data/wal"

// payloadSize is the length of every test record, so segments of a given
// size hold a known number of records.
const payloadSize = 40

// payload is the deterministic content of the record at pos.
func payload(pos uint64) []byte {
	b := fmt.Appendf(make([]byte, 0, payloadSize), "rec-%d-", pos)
	for i := len(b); i < payloadSize; i++ {
		b = append(b, byte(pos)+byte(i))
	}
	return b
}

// openT opens a log on fsys or fails the test.
func openT(t testing.TB, fsys wal.FS, o wal.Options) *wal.Log {
	t.Helper()
	o.FS = fsys
	l, err := wal.Open(dir, o)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	return l
}

// appendN appends records first..first+n-1 (with payload(pos)) and waits.
func appendN(t testing.TB, l *wal.Log, n int) {
	t.Helper()
	var last uint64
	for range n {
		pos, err := l.Append(payload(l.LastPos() + 1))
		if err != nil {
			t.Fatalf("Append: %v", err)
		}
		last = pos
	}
	if err := l.Wait(context.Background(), last); err != nil {
		t.Fatalf("Wait(%d): %v", last, err)
	}
}

// replayAll returns every record of the log, checking positions are
// consecutive and contents are payload(pos), with Replay and with
// ReplayView.
func replayAll(t testing.TB, l *wal.Log) (first, last uint64) {
	t.Helper()
	first, last = replayAllWith(t, l, l.Replay)
	if f, la := replayAllWith(t, l, l.ReplayView); f != first || la != last {
		t.Fatalf("ReplayView: records %d..%d, Replay %d..%d", f, la, first, last)
	}
	return first, last
}

func replayAllWith(t testing.TB, l *wal.Log, replay func(uint64, func(uint64, []byte) error) error) (first, last uint64) {
	t.Helper()
	first, last = l.FirstPos(), l.FirstPos()-1
	err := replay(0, func(pos uint64, rec []byte) error {
		if pos != last+1 {
			return fmt.Errorf("position %d after %d", pos, last)
		}
		if string(rec) != string(payload(pos)) {
			return fmt.Errorf("record %d holds %q, want %q", pos, rec, payload(pos))
		}
		last = pos
		return nil
	})
	if err != nil {
		t.Fatalf("Replay: %v", err)
	}
	if last != l.LastPos() {
		t.Fatalf("replayed up to %d, LastPos %d", last, l.LastPos())
	}
	return first, last
}

func closeT(t testing.TB, l *wal.Log) {
	t.Helper()
	if err := l.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
}

func newFS(seed uint64) *faultfs.FS { return faultfs.New(seed) }

// holdFirstSync makes the first file Sync from now on wait for release,
// closing entered when it starts.
func holdFirstSync(fsys *faultfs.FS) (entered, release chan struct{}) {
	entered, release = make(chan struct{}), make(chan struct{})
	var n atomic.Int32
	fsys.SetSyncHook(func(string) {
		if n.Add(1) == 1 {
			close(entered)
			<-release
		}
	})
	return entered, release
}
