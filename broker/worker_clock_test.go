package broker_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/brookmq/brook/broker"
)

// TestWorkerBackoffSynctest runs a worker in a synctest bubble, where time
// is fake and moves only when every goroutine waits: the delays between
// the deliveries of a failing entry are then exact figures, not timings.
// Each delay is drawn in [d/2, d] for d = MinBackoff doubled per failed
// delivery, capped at MaxBackoff; the worker reclaims it a millisecond
// after the delay (the broker counts idle time in whole milliseconds).
func TestWorkerBackoffSynctest(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b, err := broker.New(broker.Options{})
		if err != nil {
			t.Fatal(err)
		}
		defer b.Close()
		fillGroup(t, b, "jobs", "g", 1)
		var at []time.Time
		w := newWorker(t, b, "jobs", "g", "c1", func(ctx context.Context, e broker.Entry) error {
			at = append(at, time.Now())
			if len(at) < 6 {
				return errors.New("not yet")
			}
			return nil
		}, broker.WorkerOptions{MinBackoff: time.Second, MaxBackoff: 5 * time.Second, MaxDeliveries: 10, ReclaimIdle: time.Hour})
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error)
		go func() { done <- w.Run(ctx) }()
		for w.Stats().Processed == 0 {
			time.Sleep(time.Second)
		}
		cancel()
		if err := <-done; err != nil {
			t.Fatal(err)
		}
		caps := []time.Duration{time.Second, 2 * time.Second, 4 * time.Second, 5 * time.Second, 5 * time.Second}
		for i, d := range caps {
			gap := at[i+1].Sub(at[i])
			if gap < d/2 || gap > d+time.Millisecond {
				t.Errorf("delay before delivery %d: %v, want within [%v, %v]", i+2, gap, d/2, d+time.Millisecond)
			}
		}
		if st := w.Stats(); st.Retried != 5 || st.Failed != 5 || st.Processed != 1 {
			t.Errorf("Stats = %+v", st)
		}
	})
}

// TestWorkerReclaimSynctest: an entry a dead consumer left pending is
// reclaimed once idle for ReclaimIdle, at the latest half a ReclaimIdle
// later (the worker looks every half ReclaimIdle).
func TestWorkerReclaimSynctest(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b, err := broker.New(broker.Options{})
		if err != nil {
			t.Fatal(err)
		}
		defer b.Close()
		ctx := context.Background()
		fillGroup(t, b, "jobs", "g", 1)
		if _, err := b.XReadGroup(ctx, "g", "dead", []broker.ReadStream{{Key: "jobs", From: broker.Undelivered()}}, broker.GroupReadOptions{}); err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		var at time.Time
		w := newWorker(t, b, "jobs", "g", "c1", func(ctx context.Context, e broker.Entry) error {
			at = time.Now()
			return nil
		}, broker.WorkerOptions{ReclaimIdle: time.Minute})
		runCtx, cancel := context.WithCancel(ctx)
		done := make(chan error)
		go func() { done <- w.Run(runCtx) }()
		for w.Stats().Processed == 0 {
			time.Sleep(time.Second)
		}
		cancel()
		if err := <-done; err != nil {
			t.Fatal(err)
		}
		if idle := at.Sub(start); idle < time.Minute || idle > 90*time.Second {
			t.Fatalf("reclaimed after %v, want within [1m, 1m30s]", idle)
		}
	})
}

// TestWorkerGraceSynctest: a handler that outlives the grace period has its
// context cancelled exactly when the period ends.
func TestWorkerGraceSynctest(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b, err := broker.New(broker.Options{})
		if err != nil {
			t.Fatal(err)
		}
		defer b.Close()
		fillGroup(t, b, "jobs", "g", 1)
		started := make(chan struct{})
		var cancelled time.Time
		w := newWorker(t, b, "jobs", "g", "c1", func(ctx context.Context, e broker.Entry) error {
			close(started)
			select {
			case <-ctx.Done():
				cancelled = time.Now()
				return ctx.Err()
			case <-time.After(time.Hour):
				return nil
			}
		}, broker.WorkerOptions{Grace: 5 * time.Second})
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error)
		go func() { done <- w.Run(ctx) }()
		<-started
		stopped := time.Now()
		cancel()
		if err := <-done; err != nil {
			t.Fatal(err)
		}
		if got := cancelled.Sub(stopped); got != 5*time.Second {
			t.Fatalf("handler cancelled %v after the stop, want the grace period, 5s", got)
		}
		if st := w.Stats(); st.Failed != 0 || st.Pending != 1 || st.InFlight != 0 {
			t.Fatalf("Stats = %+v", st)
		}
	})
}

// TestWorkerRenewSynctest: a batch of slow handlers takes longer than
// ReclaimIdle in all, but the worker renews the entries not yet started,
// so a second worker of the group (reclaiming every half ReclaimIdle)
// never takes one: each entry is handled once, by the first worker.
func TestWorkerRenewSynctest(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b, err := broker.New(broker.Options{})
		if err != nil {
			t.Fatal(err)
		}
		defer b.Close()
		const n = 8
		fillGroup(t, b, "jobs", "g", n)
		var mu sync.Mutex
		calls := make(map[string][]string) // entry -> consumers that handled it
		handler := func(name string) broker.Handler {
			return func(ctx context.Context, e broker.Entry) error {
				mu.Lock()
				calls[e.Fields[0].Value] = append(calls[e.Fields[0].Value], name)
				mu.Unlock()
				time.Sleep(20 * time.Second)
				return nil
			}
		}
		o := broker.WorkerOptions{Batch: n, ReclaimIdle: time.Minute}
		w1 := newWorker(t, b, "jobs", "g", "w1", handler("w1"), o)
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 2)
		go func() { done <- w1.Run(ctx) }()
		for w1.Stats().InFlight == 0 {
			time.Sleep(time.Millisecond)
		}
		w2 := newWorker(t, b, "jobs", "g", "w2", handler("w2"), o) // starts once w1 holds the whole batch
		go func() { done <- w2.Run(ctx) }()
		for w1.Stats().Processed+w2.Stats().Processed < n {
			time.Sleep(time.Second)
		}
		cancel()
		if err := errors.Join(<-done, <-done); err != nil {
			t.Fatal(err)
		}
		for v, who := range calls {
			if len(who) != 1 || who[0] != "w1" {
				t.Errorf("entry %s handled by %v", v, who)
			}
		}
		if len(calls) != n {
			t.Errorf("%d entries handled, want %d", len(calls), n)
		}
	})
}
