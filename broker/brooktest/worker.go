package brooktest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/brookmq/brook/broker"
)

var workerCases = []testCase{
	{"Worker/RetryAndDeadLetter", workerRetry},
	{"Worker/StopReleases", workerStop},
}

// workerIdle is the workers' ReclaimIdle: far above a handler's time, so
// nothing is reclaimed from a live worker; retries and releases do not
// wait for it.
const workerIdle = time.Minute

// startWorker runs a worker of t's client in a goroutine and returns a
// function that stops it and returns Run's error.
func (t *suite) startWorker(key, group, consumer string, h broker.Handler, o broker.WorkerOptions) func() error {
	t.Helper()
	o.Logf = t.Logf
	w, err := broker.NewWorker(t.c, key, group, consumer, h, o)
	t.ok("NewWorker", err)
	ctx, cancel := context.WithCancel(t.ctx)
	done := make(chan error, 1)
	go func() { done <- w.Run(ctx) }()
	return func() error {
		cancel()
		return <-done
	}
}

// workerRetry runs a worker whose handler fails some entries once (they are
// retried and then acknowledged) and others every time (they go to the
// dead-letter stream after MaxDeliveries), and checks that every entry is
// acknowledged or dead-lettered, once.
func workerRetry(t *suite) {
	const n, most = 30, 3
	key := t.name("orders")
	t.group(key, "g")
	ids := make(map[int]broker.ID)
	for i := 1; i <= n; i++ {
		id, err := t.c.XAdd(t.ctx, key, fields("n", strconv.Itoa(i)), broker.AddOptions{})
		t.ok("XAdd", err)
		ids[i] = id
	}
	poison := func(i int) bool { return i%5 == 0 }
	flaky := func(i int) bool { return i%3 == 0 }
	var mu sync.Mutex
	calls := make(map[int]int)
	handled := make(map[int]int) // successful calls
	h := func(ctx context.Context, e broker.Entry) error {
		i, err := strconv.Atoi(e.Fields[0].Value)
		if err != nil {
			return err
		}
		mu.Lock()
		defer mu.Unlock()
		calls[i]++
		switch {
		case poison(i):
			return fmt.Errorf("order %d is poisoned", i)
		case flaky(i) && calls[i] == 1:
			return errors.New("flaky")
		}
		handled[i]++
		return nil
	}
	stop := t.startWorker(key, "g", "w1", h, broker.WorkerOptions{Concurrency: 2, Batch: 4,
		MaxDeliveries: most, MinBackoff: time.Millisecond, MaxBackoff: 5 * time.Millisecond, ReclaimIdle: workerIdle})
	var good, bad int
	for i := 1; i <= n; i++ {
		if poison(i) {
			bad++
		} else {
			good++
		}
	}
	deadKey := key + ":dead" // key has a hash tag: the default on every client
	for {
		mu.Lock()
		done := len(handled)
		mu.Unlock()
		dead, err := t.c.XLen(t.ctx, deadKey)
		t.ok("XLen", err)
		if done == good && dead == int64(bad) {
			break
		}
		if t.ctx.Err() != nil {
			t.Fatalf("worker: %d of %d handled, %d of %d dead-lettered before the deadline", done, good, dead, bad)
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.ok("Run", stop())
	sum, err := t.c.XPending(t.ctx, key, "g")
	t.ok("XPending", err)
	if sum.Count != 0 {
		t.Fatalf("%d entries still pending, want none", sum.Count)
	}
	mu.Lock()
	defer mu.Unlock()
	for i := 1; i <= n; i++ {
		switch {
		case poison(i) && (handled[i] != 0 || calls[i] != most):
			t.Fatalf("poisoned %d: %d calls, %d handled; want %d calls", i, calls[i], handled[i], most)
		case !poison(i) && handled[i] != 1:
			t.Fatalf("entry %d handled %d times, want once", i, handled[i])
		}
	}
	dead, err := t.c.XRange(t.ctx, deadKey, broker.MinID, broker.MaxID, 0)
	t.ok("XRange dead", err)
	var got, want []broker.ID
	for _, e := range dead {
		d, err := broker.ParseDeadLetter(e)
		t.ok("ParseDeadLetter", err)
		i, _ := strconv.Atoi(d.Fields[0].Value)
		if d.Stream != key || d.Group != "g" || d.Consumer != "w1" || d.Deliveries != most ||
			len(d.Fields) != 1 || d.Fields[0].Name != "n" || ids[i] != d.Original {
			t.Fatalf("dead letter %+v", d)
		}
		got = append(got, d.Original)
	}
	for i := 1; i <= n; i++ {
		if poison(i) {
			want = append(want, ids[i])
		}
	}
	slices.SortFunc(got, broker.ID.Compare)
	if !slices.Equal(got, want) {
		t.Fatalf("dead letters of %v, want %v (each once)", got, want)
	}
}

// workerStop stops a worker while its handler runs the first entry of a
// batch of three: the handler's entry is released keeping its delivery
// (not finished), the two not started taking theirs back, so that another
// consumer's reclaim takes all three at once.
func workerStop(t *suite) {
	key := t.name("jobs")
	t.group(key, "g")
	for i := 1; i <= 3; i++ {
		t.add(key, id(uint64(i), 0))
	}
	started := make(chan struct{})
	h := func(ctx context.Context, e broker.Entry) error {
		close(started) // one call only: the stop comes before the next
		<-ctx.Done()
		return ctx.Err()
	}
	stop := t.startWorker(key, "g", "w1", h, broker.WorkerOptions{Batch: 3, Grace: -1, ReclaimIdle: workerIdle})
	select {
	case <-started:
	case <-t.ctx.Done():
		t.Fatal("the handler was not called")
	}
	t.ok("Run", stop())
	res, err := t.c.XAutoClaim(t.ctx, key, "g", "w2", broker.AutoClaimOptions{MinIdle: workerIdle})
	t.ok("XAutoClaim", err)
	t.wantIDs("reclaimed at once", res.Claimed, id(1, 0), id(2, 0), id(3, 0))
	p := t.pending(key, "g")
	var counts []uint64
	for _, e := range p {
		if e.Consumer != "w2" {
			t.Fatalf("pending %+v, want w2's", e)
		}
		counts = append(counts, e.Deliveries)
	}
	if !slices.Equal(counts, []uint64{2, 1, 1}) {
		t.Fatalf("delivery counts %v, want [2 1 1]: the unfinished entry keeps its delivery, the others not started do not", counts)
	}
}
