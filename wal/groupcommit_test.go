package wal_test

import (
	"context"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/brookmq/brook/wal"
)

// TestGroupCommit holds the first fsync open, appends from n goroutines
// meanwhile (Append must not wait for it), then releases it: all n records
// must share one more fsync.
func TestGroupCommit(t *testing.T) {
	const n = 32
	fsys := newFS(9)
	l := openT(t, fsys, wal.Options{})
	defer closeT(t, l)
	entered, release := make(chan struct{}), make(chan struct{})
	var once sync.Once
	fsys.SetSyncHook(func(string) { once.Do(func() { close(entered); <-release }) })
	before := l.Stats()

	first, err := l.Append(payload(1))
	if err != nil {
		t.Fatal(err)
	}
	<-entered // the flusher is inside the fsync of record 1
	var appended, waited sync.WaitGroup
	errs := make(chan error, n)
	for range n {
		appended.Add(1)
		waited.Add(1)
		go func() {
			defer waited.Done()
			pos, err := l.Append([]byte("concurrent"))
			appended.Done()
			if err == nil {
				err = l.Wait(context.Background(), pos)
			}
			errs <- err
		}()
	}
	appended.Wait() // every Append returned while the fsync was blocked
	close(release)
	if err := l.Wait(context.Background(), first); err != nil {
		t.Fatal(err)
	}
	waited.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	st := l.Stats()
	if recs, syncs := st.Appends-before.Appends, st.Syncs-before.Syncs; recs != n+1 || syncs != 2 {
		t.Fatalf("%d records took %d fsyncs, want %d records in 2", recs, syncs, n+1)
	}
}

// TestConcurrentAppenders appends and waits from many goroutines: every
// record gets a distinct position, all are durable and replay in order. (On
// faultfs an fsync is instant, so how many are shared is left to chance here;
// TestGroupCommit pins it down.)
func TestConcurrentAppenders(t *testing.T) {
	const goroutines, each = 16, 50
	fsys := newFS(10)
	l := openT(t, fsys, wal.Options{SegmentSize: 4096})
	var wg sync.WaitGroup
	for range goroutines {
		wg.Go(func() {
			for range each {
				pos, err := l.Append([]byte("x"))
				if err == nil {
					err = l.Wait(context.Background(), pos)
				}
				if err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	st := l.Stats()
	closeT(t, l)
	if st.Appends != goroutines*each {
		t.Fatalf("stats %+v, want %d appends", st, goroutines*each)
	}
	t.Logf("%d records, %d fsyncs (%.1f records/fsync)", st.Appends, st.Syncs, float64(st.Appends)/float64(st.Syncs))
	l = openT(t, fsys.DropUnsynced(), wal.Options{})
	defer closeT(t, l)
	n := 0
	if err := l.Replay(0, func(pos uint64, rec []byte) error { n++; return nil }); err != nil || n != goroutines*each {
		t.Fatalf("replayed %d records (%v), want %d", n, err, goroutines*each)
	}
}

// TestFsyncPolicies checks when each policy syncs, in a bubble where the
// once-a-second timer of everysec runs on fake time.
func TestFsyncPolicies(t *testing.T) {
	for _, tc := range []struct {
		policy      wal.FsyncPolicy
		syncedAfter time.Duration // when the background sync covers a record; 0: at once, -1: never
	}{
		{wal.FsyncAlways, 0},
		{wal.FsyncEverySec, time.Second},
		{wal.FsyncNo, -1},
	} {
		t.Run(tc.policy.String(), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				fsys := newFS(11)
				l := openT(t, fsys, wal.Options{Fsync: tc.policy})
				appendN(t, l, 3) // Wait returned: written to the OS at least
				durable := func() uint64 {
					c := openT(t, fsys.DropUnsynced(), wal.Options{})
					defer closeT(t, c)
					return c.LastPos()
				}
				if got, want := durable(), map[bool]uint64{true: 3, false: 0}[tc.syncedAfter == 0]; got != want {
					t.Fatalf("after Wait, %d records survive a power loss, want %d", got, want)
				}
				time.Sleep(time.Second)
				synctest.Wait()
				if got, want := durable(), map[bool]uint64{true: 0, false: 3}[tc.syncedAfter < 0]; got != want {
					t.Fatalf("a second later, %d records survive a power loss, want %d", got, want)
				}
				syncs := l.Stats().Syncs
				time.Sleep(5 * time.Second)
				synctest.Wait()
				if l.Stats().Syncs != syncs {
					t.Fatalf("idle log kept syncing: %d then %d", syncs, l.Stats().Syncs)
				}
				if err := l.Sync(); err != nil {
					t.Fatal(err)
				}
				if got := durable(); got != 3 {
					t.Fatalf("after Sync, %d records survive a power loss, want 3", got)
				}
				closeT(t, l)
			})
		})
	}
}
