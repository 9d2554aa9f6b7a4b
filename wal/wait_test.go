package wal_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"testing/synctest"

	"github.com/brookmq/brook/wal"
)

// waitCall is a Wait running in its own goroutine.
type waitCall struct {
	done chan struct{}
	err  error
}

func startWait(ctx context.Context, l *wal.Log, pos uint64) *waitCall {
	c := &waitCall{done: make(chan struct{})}
	go func() {
		c.err = l.Wait(ctx, pos)
		close(c.done)
	}()
	return c
}

// returned reports whether c returned, once the bubble is idle.
func (c *waitCall) returned() bool {
	synctest.Wait()
	select {
	case <-c.done:
		return true
	default:
		return false
	}
}

// TestWaitPerBatch holds the fsync of record 1's batch while record 2 is
// appended, so the two are in different batches, with a Wait on each; then
// it ends that fsync in some way. Each Wait must return exactly when its own
// record is durable, or with the reason it never will be.
func TestWaitPerBatch(t *testing.T) {
	tests := []struct {
		name        string
		end         func(l *wal.Log, release func(fail bool), cancel context.CancelFunc)
		want1       error // Wait(1)
		want2       error // Wait(2)
		secondFsync bool  // record 2 is durable after the end (its batch synced)
	}{
		{name: "both synced", end: func(_ *wal.Log, release func(bool), _ context.CancelFunc) { release(false) },
			secondFsync: true},
		{name: "fsync fails", end: func(_ *wal.Log, release func(bool), _ context.CancelFunc) { release(true) },
			want1: wal.ErrPoisoned, want2: wal.ErrPoisoned},
		{name: "second waiter canceled", end: func(_ *wal.Log, release func(bool), cancel context.CancelFunc) {
			cancel()
			synctest.Wait()
			release(false)
		}, want2: context.Canceled, secondFsync: true},
		{name: "close", end: func(l *wal.Log, release func(bool), _ context.CancelFunc) {
			go l.Close()
			synctest.Wait()
			release(false)
		}, secondFsync: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				fsys := newFS(3)
				l := openT(t, fsys, wal.Options{})
				defer l.Close()
				hold, held := make(chan bool), make(chan struct{}, 1)
				fsys.SetSyncHook(func(string) {
					held <- struct{}{}
					if fail := <-hold; fail {
						fsys.FailSyncAfter(0, nil)
					}
				})
				append1 := func(pos uint64) {
					if _, err := l.Append(payload(pos)); err != nil {
						t.Fatal(err)
					}
				}
				append1(1)
				<-held // record 1's batch is in its fsync
				append1(2)
				ctx2, cancel := context.WithCancel(context.Background())
				defer cancel()
				w1, w2 := startWait(context.Background(), l, 1), startWait(ctx2, l, 2)
				if w1.returned() || w2.returned() {
					t.Fatal("a Wait returned before any fsync ended")
				}
				release := func(fail bool) {
					hold <- fail
					if !fail {
						synctest.Wait()
						select {
						case <-held: // record 2's batch is in its fsync now
						default:
							return
						}
						if !w1.returned() {
							t.Error("Wait(1) still blocked after its fsync")
						}
						if w2.returned() && w2.err == nil {
							t.Error("Wait(2) returned nil before its batch was synced")
						}
						hold <- false
					}
				}
				tt.end(l, release, cancel)
				if !w1.returned() || !w2.returned() {
					t.Fatal("a Wait is still blocked at the end")
				}
				if !errors.Is(w1.err, tt.want1) || !errors.Is(w2.err, tt.want2) {
					t.Fatalf("Wait(1), Wait(2) = %v, %v; want %v, %v", w1.err, w2.err, tt.want1, tt.want2)
				}
				if tt.secondFsync {
					if err := l.Wait(context.Background(), 2); err != nil && !errors.Is(err, wal.ErrClosed) {
						t.Fatalf("Wait(2) afterwards: %v", err)
					}
				}
				// Close fdatasyncs once more (the mark of its last sync): no
				// hook may hold that one.
				fsys.SetSyncHook(nil)
				synctest.Wait()
				select {
				case <-held:
					hold <- false
				default:
				}
			})
		})
	}
}

// TestBacklog: Backlog is the bytes appended that the flusher has not taken
// yet: while it is stuck writing the first record, the next ones pile up.
func TestBacklog(t *testing.T) {
	fsys := newFS(3)
	l := openT(t, fsys, wal.Options{Fsync: wal.FsyncNo})
	defer closeT(t, l)
	started, release := make(chan struct{}), make(chan struct{})
	var once sync.Once
	fsys.SetWriteHook(func(string) { // the flusher's first write sticks
		once.Do(func() { close(started); <-release })
	})
	if _, err := l.Append([]byte("first")); err != nil {
		t.Fatal(err)
	}
	go l.Sync() // the flusher writes at once instead of lingering
	<-started
	var pos uint64
	for i := range 3 {
		p, err := l.Append(make([]byte, 100))
		if err != nil {
			t.Fatal(err)
		}
		pos = p
		if got, want := l.Backlog(), int64((i+1)*(wal.RecordHeaderSize+100)); got != want {
			t.Fatalf("Backlog %d after %d appends behind a stuck write, want %d", got, i+1, want)
		}
	}
	close(release)
	if err := l.Wait(context.Background(), pos); err != nil {
		t.Fatal(err)
	}
	if b := l.Backlog(); b != 0 {
		t.Fatalf("Backlog %d once everything was written", b)
	}
}
