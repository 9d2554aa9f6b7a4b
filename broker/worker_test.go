package broker_test

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/brookmq/brook/broker"
	"github.com/brookmq/brook/stream"
	"github.com/brookmq/brook/wal/faultfs"
)

// The worker tests run on the wall clock: a worker's backoffs and reclaims
// are real waits. They assert no durations; they only wait, with short
// backoffs, until what they expect has happened.

// openReal returns a broker of kind k on the wall clock.
func (k kind) openReal(t testing.TB) *broker.Broker {
	t.Helper()
	if !k.durable {
		return newBroker(t, broker.Options{})
	}
	b, err := broker.Open("/data", broker.Options{Durability: broker.DurabilityOptions{FS: faultfs.New(1), Logf: t.Logf}})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { b.Close() })
	return b
}

// fillGroup adds n entries "n"=0..n-1 to key and creates group at the start.
func fillGroup(t testing.TB, b *broker.Broker, key, group string, n int) []stream.ID {
	t.Helper()
	ctx := context.Background()
	out := make([]stream.ID, n)
	for i := range n {
		id, err := b.XAdd(ctx, key, fields("n", strconv.Itoa(i)), broker.AddOptions{})
		if err != nil {
			t.Fatal(err)
		}
		out[i] = id
	}
	if err := b.XGroupCreate(ctx, key, group, broker.GroupCreateOptions{MkStream: true}); err != nil {
		t.Fatal(err)
	}
	return out
}

// runWorker starts w.Run; stop cancels it and returns its error.
func runWorker(t testing.TB, w *broker.Worker) (stop func() error) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- w.Run(ctx) }()
	return func() error {
		cancel()
		return <-done
	}
}

// eventually waits until cond holds, failing the test after a long time
// (a hang, not a timing assertion).
func eventually(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("gave up waiting for %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

func newWorker(t testing.TB, b *broker.Broker, key, group, consumer string, h broker.Handler, o broker.WorkerOptions) *broker.Worker {
	t.Helper()
	if o.Logf == nil {
		o.Logf = t.Logf
	}
	w, err := b.NewWorker(key, group, consumer, h, o)
	if err != nil {
		t.Fatalf("NewWorker: %v", err)
	}
	return w
}

func pendingCount(t testing.TB, b *broker.Broker, key, group string) int64 {
	t.Helper()
	sum, err := b.XPending(context.Background(), key, group)
	if err != nil {
		t.Fatal(err)
	}
	return sum.Count
}

func TestWorkerAck(t *testing.T) {
	eachKind(t, func(t *testing.T, k kind) {
		for _, del := range []bool{false, true} {
			t.Run(fmt.Sprintf("AckDelete=%v", del), func(t *testing.T) {
				b := k.openReal(t)
				const n = 100
				fillGroup(t, b, "jobs", "g", n)
				var mu sync.Mutex
				seen := make(map[string]int)
				w := newWorker(t, b, "jobs", "g", "c1", func(ctx context.Context, e broker.Entry) error {
					mu.Lock()
					seen[e.Fields[0].Value]++
					mu.Unlock()
					return nil
				}, broker.WorkerOptions{Concurrency: 3, Batch: 7, AckDelete: del})
				stop := runWorker(t, w)
				eventually(t, "every entry handled", func() bool { return w.Stats().Processed == n })
				if err := stop(); err != nil {
					t.Fatalf("Run: %v", err)
				}
				if len(seen) != n {
					t.Fatalf("handled %d distinct entries, want %d", len(seen), n)
				}
				for v, c := range seen {
					if c != 1 {
						t.Fatalf("entry %s handled %d times", v, c)
					}
				}
				if p := pendingCount(t, b, "jobs", "g"); p != 0 {
					t.Fatalf("%d pending after all acknowledged", p)
				}
				wantLen := int64(n)
				if del {
					wantLen = 0
				}
				if l, _ := b.XLen(context.Background(), "jobs"); l != wantLen {
					t.Fatalf("XLen = %d, want %d", l, wantLen)
				}
				st := w.Stats()
				if st.Processed != n || st.Failed != 0 || st.InFlight != 0 || st.Lag != 0 || st.Pending != 0 {
					t.Fatalf("Stats = %+v", st)
				}
			})
		}
	})
}

func TestWorkerRetry(t *testing.T) {
	eachKind(t, func(t *testing.T, k kind) {
		b := k.openReal(t)
		const n, failures = 20, 2
		fillGroup(t, b, "jobs", "g", n)
		var mu sync.Mutex
		attempts := make(map[string]int)
		w := newWorker(t, b, "jobs", "g", "c1", func(ctx context.Context, e broker.Entry) error {
			mu.Lock()
			defer mu.Unlock()
			v := e.Fields[0].Value
			attempts[v]++
			if attempts[v] <= failures {
				return fmt.Errorf("attempt %d of %s fails", attempts[v], v)
			}
			return nil
		}, broker.WorkerOptions{Concurrency: 2, MinBackoff: time.Millisecond, MaxBackoff: 2 * time.Millisecond})
		stop := runWorker(t, w)
		eventually(t, "every entry done", func() bool { return w.Stats().Processed == n })
		if err := stop(); err != nil {
			t.Fatalf("Run: %v", err)
		}
		for v, a := range attempts {
			if a != failures+1 {
				t.Fatalf("entry %s attempted %d times, want %d", v, a, failures+1)
			}
		}
		st := w.Stats()
		if st.Failed != n*failures || st.Retried != n*failures || st.DeadLettered != 0 || st.Pending != 0 {
			t.Fatalf("Stats = %+v", st)
		}
	})
}

func TestWorkerDeadLetter(t *testing.T) {
	eachKind(t, func(t *testing.T, k kind) {
		b := k.openReal(t)
		ctx := context.Background()
		const n = 5
		ids := fillGroup(t, b, "jobs", "g", n)
		var calls atomic.Int64
		w := newWorker(t, b, "jobs", "g", "c1", func(ctx context.Context, e broker.Entry) error {
			calls.Add(1)
			return errors.New("boom " + e.Fields[0].Value)
		}, broker.WorkerOptions{MaxDeliveries: 3, MinBackoff: time.Millisecond, MaxBackoff: time.Millisecond, DeadLetterKey: "morgue"})
		stop := runWorker(t, w)
		eventually(t, "every entry dead-lettered", func() bool { return w.Stats().DeadLettered == n })
		if err := stop(); err != nil {
			t.Fatalf("Run: %v", err)
		}
		if c := calls.Load(); c != 3*n {
			t.Fatalf("%d handler calls, want %d", c, 3*n)
		}
		dead, err := b.XRange(ctx, "morgue", broker.MinID, broker.MaxID, 0)
		if err != nil || len(dead) != n {
			t.Fatalf("dead-letter stream: %d entries, %v", len(dead), err)
		}
		// Retries are jittered, so the entries reach their last delivery,
		// and the dead-letter stream, in any order: match them by ID.
		index := make(map[broker.ID]int, n)
		for i, id := range ids {
			index[id] = i
		}
		for _, e := range dead {
			d, err := broker.ParseDeadLetter(e)
			if err != nil {
				t.Fatal(err)
			}
			i, ok := index[d.Original]
			if !ok {
				t.Fatalf("dead letter of %s: not an entry of the stream, or twice", d.Original)
			}
			delete(index, d.Original)
			want := broker.DeadLetter{ID: e.ID, Stream: "jobs", Original: ids[i], Group: "g", Consumer: "c1",
				Deliveries: 3, Error: "boom " + strconv.Itoa(i), Fields: fields("n", strconv.Itoa(i))}
			if fmt.Sprint(d) != fmt.Sprint(want) {
				t.Fatalf("dead letter %d:\n got %+v\nwant %+v", i, d, want)
			}
		}
		if p := pendingCount(t, b, "jobs", "g"); p != 0 {
			t.Fatalf("%d pending after dead-lettering", p)
		}
		if l, _ := b.XLen(ctx, "jobs"); l != n {
			t.Fatalf("source XLen = %d, want %d (dead-lettering does not delete)", l, n)
		}
		st := w.Stats()
		if st.Failed != 3*n || st.Retried != 2*n || st.DeadLettered != n || st.InFlight != 0 {
			t.Fatalf("Stats = %+v", st)
		}
	})
}

func TestWorkerPanic(t *testing.T) {
	b := newBroker(t, broker.Options{})
	fillGroup(t, b, "jobs", "g", 1)
	w := newWorker(t, b, "jobs", "g", "c1", func(ctx context.Context, e broker.Entry) error {
		panic("kaboom")
	}, broker.WorkerOptions{MaxDeliveries: 1})
	stop := runWorker(t, w)
	eventually(t, "the entry dead-lettered", func() bool { return w.Stats().DeadLettered == 1 })
	if err := stop(); err != nil {
		t.Fatalf("Run: %v", err)
	}
	dead, _ := b.XRange(context.Background(), "jobs:dead", broker.MinID, broker.MaxID, 0)
	if len(dead) != 1 {
		t.Fatalf("%d dead letters in jobs:dead", len(dead))
	}
	d, err := broker.ParseDeadLetter(dead[0])
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(d.Error, "panic: kaboom\n") || !strings.Contains(d.Error, "worker_test.go") {
		t.Fatalf("dead letter error lacks the panic and its stack:\n%s", d.Error)
	}
	if st := w.Stats(); st.Failed != 1 {
		t.Fatalf("Stats = %+v", st)
	}
}

func TestWorkerPanicError(t *testing.T) {
	b := newBroker(t, broker.Options{})
	fillGroup(t, b, "jobs", "g", 1)
	errs := make(chan error, 1)
	var w *broker.Worker
	w = newWorker(t, b, "jobs", "g", "c1", func(ctx context.Context, e broker.Entry) error {
		defer func() {
			// The handler sees its own panic only through the worker;
			// here we just check it does not crash the test.
		}()
		if w.Stats().Failed == 0 {
			panic(errors.New("first"))
		}
		errs <- nil
		return nil
	}, broker.WorkerOptions{MinBackoff: time.Millisecond, MaxBackoff: time.Millisecond})
	stop := runWorker(t, w)
	<-errs
	eventually(t, "the entry acknowledged", func() bool { return w.Stats().Processed == 1 })
	if err := stop(); err != nil {
		t.Fatalf("Run: %v", err)
	}
	if st := w.Stats(); st.Failed != 1 || st.Retried != 1 {
		t.Fatalf("Stats = %+v", st)
	}
}

// TestWorkerGracefulStop stops a worker while handlers run: they finish
// within the grace period and are acknowledged; the entries of the batch
// not started are released for reclaiming at once.
func TestWorkerGracefulStop(t *testing.T) {
	b := newBroker(t, broker.Options{})
	ctx := context.Background()
	fillGroup(t, b, "jobs", "g", 8)
	started := make(chan string, 8)
	finish := make(chan struct{})
	w := newWorker(t, b, "jobs", "g", "c1", func(ctx context.Context, e broker.Entry) error {
		started <- e.Fields[0].Value
		<-finish
		return nil
	}, broker.WorkerOptions{Concurrency: 2, Batch: 4, ReclaimIdle: time.Hour, Grace: time.Hour})
	stop := runWorker(t, w)
	<-started
	<-started // both goroutines hold a batch of 4 and run its first entry
	eventually(t, "8 entries in flight", func() bool { return w.Stats().InFlight == 8 })
	errc := make(chan error, 1)
	go func() { errc <- stop() }()
	eventually(t, "the stop to be seen", func() bool {
		// Run is stopping once its read context ended; the handlers are
		// still blocked, so nothing is settled yet.
		return w.Stats().InFlight == 8
	})
	close(finish)
	if err := <-errc; err != nil {
		t.Fatalf("Run: %v", err)
	}
	st := w.Stats()
	if st.InFlight != 0 {
		t.Fatalf("Stats after Run = %+v", st)
	}
	// Handled: the two started, plus any a goroutine started before it saw
	// the stop; the rest is released: idle for ReclaimIdle at once.
	released, err := b.XPendingRange(ctx, "jobs", "g", broker.PendingOptions{MinIdle: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	if int64(len(released)) != 8-st.Processed || st.Processed < 2 {
		t.Fatalf("%d processed, %d released, want 8 in all", st.Processed, len(released))
	}
	if p := pendingCount(t, b, "jobs", "g"); p != int64(len(released)) {
		t.Fatalf("%d pending, %d released", p, len(released))
	}
}

// TestWorkerGraceExpires: a handler still running when the grace period
// ends has its context cancelled; returning its error releases the entry
// without counting a failure.
func TestWorkerGraceExpires(t *testing.T) {
	b := newBroker(t, broker.Options{})
	ctx := context.Background()
	fillGroup(t, b, "jobs", "g", 1)
	started := make(chan struct{})
	w := newWorker(t, b, "jobs", "g", "c1", func(ctx context.Context, e broker.Entry) error {
		close(started)
		<-ctx.Done()
		return ctx.Err()
	}, broker.WorkerOptions{ReclaimIdle: time.Hour, Grace: -1})
	stop := runWorker(t, w)
	<-started
	if err := stop(); err != nil {
		t.Fatalf("Run: %v", err)
	}
	st := w.Stats()
	if st.Failed != 0 || st.Processed != 0 || st.InFlight != 0 || st.Pending != 1 {
		t.Fatalf("Stats = %+v", st)
	}
	released, _ := b.XPendingRange(ctx, "jobs", "g", broker.PendingOptions{MinIdle: time.Hour})
	if len(released) != 1 || released[0].Deliveries != 1 {
		t.Fatalf("released = %+v, want the entry, delivered once", released)
	}
}

// TestWorkerConcurrency: Concurrency handlers run at once (each waits until
// all are inside).
func TestWorkerConcurrency(t *testing.T) {
	b := newBroker(t, broker.Options{})
	const n = 4
	fillGroup(t, b, "jobs", "g", n)
	var inside atomic.Int64
	all := make(chan struct{})
	w := newWorker(t, b, "jobs", "g", "c1", func(ctx context.Context, e broker.Entry) error {
		if inside.Add(1) == n {
			close(all)
		}
		select {
		case <-all:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	}, broker.WorkerOptions{Concurrency: n, Batch: 1})
	stop := runWorker(t, w)
	eventually(t, "all handled", func() bool { return w.Stats().Processed == n })
	if err := stop(); err != nil {
		t.Fatalf("Run: %v", err)
	}
}

// TestWorkerReclaims: entries a dead consumer left pending are reclaimed
// once idle for ReclaimIdle; one delivered more than MaxDeliveries times
// goes to the dead-letter stream without running the handler.
func TestWorkerReclaims(t *testing.T) {
	b := newBroker(t, broker.Options{})
	ctx := context.Background()
	ids := fillGroup(t, b, "jobs", "g", 3)
	if _, err := b.XReadGroup(ctx, "g", "dead", []broker.ReadStream{{Key: "jobs", From: broker.Undelivered()}}, broker.GroupReadOptions{}); err != nil {
		t.Fatal(err)
	}
	five := uint64(5)
	if _, err := b.XClaim(ctx, "jobs", "g", "dead", ids[2:], broker.ClaimOptions{RetryCount: &five}); err != nil {
		t.Fatal(err)
	}
	var handled sync.Map
	w := newWorker(t, b, "jobs", "g", "c1", func(ctx context.Context, e broker.Entry) error {
		handled.Store(e.ID, true)
		return nil
	}, broker.WorkerOptions{ReclaimIdle: 5 * time.Millisecond, MaxDeliveries: 3})
	stop := runWorker(t, w)
	eventually(t, "reclaimed", func() bool { st := w.Stats(); return st.Processed == 2 && st.DeadLettered == 1 })
	if err := stop(); err != nil {
		t.Fatalf("Run: %v", err)
	}
	if _, ok := handled.Load(ids[2]); ok {
		t.Fatal("the handler ran on an entry past MaxDeliveries")
	}
	dead, _ := b.XRange(ctx, "jobs:dead", broker.MinID, broker.MaxID, 0)
	d, err := broker.ParseDeadLetter(dead[0])
	if err != nil || d.Original != ids[2] || d.Deliveries != 6 || !strings.Contains(d.Error, "without an outcome") {
		t.Fatalf("dead letter %+v, %v", d, err)
	}
}

func TestWorkerErrors(t *testing.T) {
	b := newBroker(t, broker.Options{})
	ctx := context.Background()
	nop := func(context.Context, broker.Entry) error { return nil }
	w := newWorker(t, b, "missing", "g", "c", nop, broker.WorkerOptions{})
	if err := w.Run(ctx); !errors.Is(err, broker.ErrNoStream) {
		t.Fatalf("Run on a missing key: %v", err)
	}
	fillGroup(t, b, "jobs", "g", 0)
	w = newWorker(t, b, "jobs", "other", "c", nop, broker.WorkerOptions{})
	if err := w.Run(ctx); !errors.Is(err, broker.ErrNoGroup) {
		t.Fatalf("Run on a missing group: %v", err)
	}
	for name, o := range map[string]broker.WorkerOptions{
		"negative concurrency": {Concurrency: -1},
		"negative batch":       {Batch: -1},
		"dead letter is key":   {DeadLetterKey: "jobs"},
	} {
		if _, err := b.NewWorker("jobs", "g", "c", nop, o); !errors.Is(err, broker.ErrInvalidArgument) {
			t.Errorf("%s: NewWorker: %v", name, err)
		}
	}
	if _, err := b.NewWorker("jobs", "g", "c", nil, broker.WorkerOptions{}); !errors.Is(err, broker.ErrInvalidArgument) {
		t.Errorf("nil handler: %v", err)
	}

	w = newWorker(t, b, "jobs", "g", "c", nop, broker.WorkerOptions{})
	done := make(chan error, 1)
	go func() { done <- w.Run(ctx) }()
	eventually(t, "the consumer to read", func() bool {
		cs, _ := b.XInfoConsumers(ctx, "jobs", "g")
		return len(cs) == 1
	})
	if err := w.Run(ctx); !errors.Is(err, broker.ErrInvalidArgument) {
		t.Fatalf("second Run: %v", err)
	}
	if _, err := b.XGroupDestroy(ctx, "jobs", "g"); err != nil {
		t.Fatal(err)
	}
	if err := <-done; !errors.Is(err, broker.ErrGroupDeleted) {
		t.Fatalf("Run after the group was destroyed: %v", err)
	}
}

func TestWorkerBrokerClose(t *testing.T) {
	b := newBroker(t, broker.Options{})
	fillGroup(t, b, "jobs", "g", 0)
	w := newWorker(t, b, "jobs", "g", "c", func(context.Context, broker.Entry) error { return nil }, broker.WorkerOptions{})
	done := make(chan error, 1)
	go func() { done <- w.Run(context.Background()) }()
	eventually(t, "the consumer to read", func() bool {
		cs, _ := b.XInfoConsumers(context.Background(), "jobs", "g")
		return len(cs) == 1
	})
	b.Close()
	if err := <-done; !errors.Is(err, broker.ErrClosed) {
		t.Fatalf("Run after Close: %v", err)
	}
}

// TestWorkerDeadLetterLimits: the broker's Limits, which bound what
// producers add, do not stop a dead letter, which adds metadata fields.
func TestWorkerDeadLetterLimits(t *testing.T) {
	b := newBroker(t, broker.Options{Limits: broker.Limits{MaxFields: 4, MaxEntryBytes: 8}})
	ctx := context.Background()
	id, err := b.XAdd(ctx, "jobs", fields("a", "1", "b", "2", "c", "3", "d", "4"), broker.AddOptions{})
	if err != nil {
		t.Fatal(err)
	}
	fillGroup(t, b, "jobs", "g", 0)
	w := newWorker(t, b, "jobs", "g", "c1", func(ctx context.Context, e broker.Entry) error {
		return errors.New("no")
	}, broker.WorkerOptions{MaxDeliveries: 1, AckDelete: true})
	stop := runWorker(t, w)
	eventually(t, "dead-lettered", func() bool { return w.Stats().DeadLettered == 1 })
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	dead, _ := b.XRange(ctx, "jobs:dead", broker.MinID, broker.MaxID, 0)
	d, err := broker.ParseDeadLetter(dead[0])
	if err != nil || d.Original != id || len(d.Fields) != 4 || d.Error != "no" {
		t.Fatalf("dead letter %+v, %v", d, err)
	}
	if l, _ := b.XLen(ctx, "jobs"); l != 0 {
		t.Fatalf("source XLen = %d, want the entry deleted (AckDelete)", l)
	}
	if p := pendingCount(t, b, "jobs", "g"); p != 0 {
		t.Fatalf("%d pending", p)
	}
}

// TestWorkerStatsGroup: Stats reads the group's lag and pending entries
// from the broker, on its clock, whether or not the worker runs.
func TestWorkerStatsGroup(t *testing.T) {
	clk := newFakeClock(10_000)
	b := newBroker(t, broker.Options{Clock: clk.Now})
	ctx := context.Background()
	mustAdd(t, b, "jobs", id(1000, 0), "n", "0")
	mustAdd(t, b, "jobs", id(2000, 0), "n", "1")
	fillGroup(t, b, "jobs", "g", 0)
	if _, err := b.XReadGroup(ctx, "g", "other", []broker.ReadStream{{Key: "jobs", From: broker.Undelivered()}}, broker.GroupReadOptions{Count: 1}); err != nil {
		t.Fatal(err)
	}
	w := newWorker(t, b, "jobs", "g", "c1", func(context.Context, broker.Entry) error { return nil }, broker.WorkerOptions{})
	want := broker.WorkerStats{Lag: 1, Pending: 1, OldestPending: 9 * time.Second}
	if st := w.Stats(); st != want {
		t.Fatalf("Stats = %+v, want %+v", st, want)
	}
	if _, err := b.XGroupDestroy(ctx, "jobs", "g"); err != nil {
		t.Fatal(err)
	}
	if st := w.Stats(); st != (broker.WorkerStats{Lag: -1}) {
		t.Fatalf("Stats without the group = %+v", st)
	}
}
