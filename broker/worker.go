package broker

import (
	"context"
	"errors"
	"fmt"
	"log"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"
)

// Handler handles one entry for a [Worker]. Returning nil acknowledges the
// entry; an error (or a panic, which the worker turns into a [*PanicError])
// makes the worker retry it later, until it has been delivered
// MaxDeliveries times, when it goes to the dead-letter stream. ctx ends
// when the worker's grace period after a stop has passed: a handler that
// returns an error then has not finished, and its entry is released for
// another delivery without counting as a failure.
type Handler func(ctx context.Context, e Entry) error

// Defaults of [WorkerOptions].
const (
	DefaultMaxDeliveries = 5
	DefaultMinBackoff    = 100 * time.Millisecond
	DefaultMaxBackoff    = 30 * time.Second
	DefaultReclaimIdle   = time.Minute
	DefaultGrace         = 10 * time.Second
	DefaultWorkerBatch   = 16
)

// WorkerOptions configure a [Worker]. The zero value works: one handler
// goroutine, five deliveries before the dead-letter stream "<key>:dead",
// backoff from 100 ms to 30 s, reclaim after a minute idle, 10 s of grace.
type WorkerOptions struct {
	// Concurrency is the number of handler goroutines; each reads its own
	// batches as the worker's consumer. Default (0): 1.
	Concurrency int

	// Batch is the number of entries a goroutine reads at once (COUNT).
	// The entries of a batch are handled in order, and their
	// acknowledgements are sent together (one XACK) once the batch is
	// done, or after 10 ms and the handler call in progress then. While a
	// batch is handled, the worker renews the entries not yet started
	// every half ReclaimIdle (XCLAIM JUSTID), so that no reclaim takes
	// them. Default (0): 16.
	Batch int

	// AckDelete deletes each acknowledged entry from the stream (XDEL after
	// XACK; a crash between the two leaves it acknowledged in the stream).
	AckDelete bool

	// MaxDeliveries is how many times an entry is delivered before it goes
	// to the dead-letter stream: after its MaxDeliveries-th delivery fails,
	// or when it is reclaimed with more deliveries than that (its handler
	// crashed the process, say). Default (0): [DefaultMaxDeliveries].
	// Negative: no limit, an entry is retried for ever.
	MaxDeliveries int

	// DeadLetterKey is the stream that receives entries that failed
	// MaxDeliveries times (see [DeadLetter]). Default (""): key + ":dead"
	// for a worker on a *[Broker]; on any other [Client] (Redis), the same
	// unless key has no hash tag, then "{" + key + "}:dead", which is in
	// key's Redis Cluster hash slot as the atomic move needs (see
	// [DeadLetterMover]).
	DeadLetterKey string

	// MinBackoff and MaxBackoff bound the delay before a failed entry is
	// delivered again: MinBackoff after the first failure, doubling with
	// each delivery up to MaxBackoff, each delay drawn between its half
	// and itself (jitter). Defaults (0): [DefaultMinBackoff],
	// [DefaultMaxBackoff]. A delay longer than ReclaimIdle is cut to it.
	MinBackoff, MaxBackoff time.Duration

	// ReclaimIdle is how long an entry must stay pending without an
	// outcome before any worker of the group reclaims it (XAUTOCLAIM
	// MinIdle): the entries of a consumer that died. It must exceed the
	// time a handler takes. Default (0): [DefaultReclaimIdle].
	ReclaimIdle time.Duration

	// Grace is how long in-flight handlers may run on after the worker's
	// context ended, before their context is cancelled. Default (0):
	// [DefaultGrace]; negative: none, handlers are cancelled at once.
	Grace time.Duration

	// Logf receives the errors of the broker calls the worker makes after
	// a handler returned (acknowledging, releasing, dead-lettering); the
	// entries concerned stay pending and are reclaimed later. Handler
	// errors are not logged. Default (nil): log.Printf.
	Logf func(format string, args ...any)
}

// resolved returns o with its defaults filled in; tagDead asks for the
// dead-letter key hash-tagged with key (see DeadLetterKey).
func (o WorkerOptions) resolved(key string, tagDead bool) WorkerOptions {
	def := func(v *time.Duration, d time.Duration) {
		if *v == 0 {
			*v = d
		}
	}
	if o.Concurrency == 0 {
		o.Concurrency = 1
	}
	if o.Batch == 0 {
		o.Batch = DefaultWorkerBatch
	}
	if o.MaxDeliveries == 0 {
		o.MaxDeliveries = DefaultMaxDeliveries
	}
	if o.DeadLetterKey == "" {
		o.DeadLetterKey = defaultDeadKey(key, tagDead)
	}
	def(&o.MinBackoff, DefaultMinBackoff)
	def(&o.MaxBackoff, DefaultMaxBackoff)
	def(&o.ReclaimIdle, DefaultReclaimIdle)
	def(&o.Grace, DefaultGrace)
	if o.Logf == nil {
		o.Logf = log.Printf
	}
	return o
}

// check validates resolved options.
func (o WorkerOptions) check(key string) error {
	switch {
	case o.Concurrency < 0:
		return invalid("negative Concurrency %d", o.Concurrency)
	case o.Batch < 0:
		return invalid("negative Batch %d", o.Batch)
	case o.MinBackoff < 0 || o.MaxBackoff < 0 || o.ReclaimIdle < 0:
		return invalid("negative backoff or ReclaimIdle")
	case o.DeadLetterKey == key:
		return invalid("the dead-letter key is the worker's key %q", key)
	}
	return nil
}

// Worker consumes a stream as one consumer of a group: it reads entries,
// hands each to a [Handler] on one of its goroutines, acknowledges those
// handled, retries those that failed after a backoff, reclaims the entries
// of dead consumers and moves to a dead-letter stream the entries that
// failed too often. Every entry stays pending in the group until it is
// acknowledged or dead-lettered, so a crash loses none: they are delivered
// again (at least once). Make one with [NewWorker] (any [Client]: the
// broker or Redis) or [Broker.NewWorker]. Run and Stats are safe for
// concurrent use.
type Worker struct {
	c                    Client
	b                    *Broker         // c, when it is a *Broker: its own paths
	nacker               Nacker          // c, when it has XNACK
	mover                DeadLetterMover // c, when it moves dead letters atomically
	clock                func() time.Time
	key, group, consumer string
	h                    Handler
	o                    WorkerOptions // resolved
	streams              []ReadStream  // read-only: {key, Undelivered}

	running atomic.Bool

	processed, failed, retried, dead, inFlight atomic.Int64

	mu       sync.Mutex // guards the reclaim schedule, on the broker clock
	dues     timeHeap   // when released entries are due again
	periodic time.Time  // when the next periodic XAUTOCLAIM is due
	claimer  bool       // a goroutine is reclaiming
	cursor   ID         // where the next XAUTOCLAIM scan starts
}

// NewWorker returns a worker that consumes key as consumer of group with
// h. Nothing happens until [Worker.Run]. Invalid options are
// [ErrInvalidArgument]. It is [NewWorker] with b.
func (b *Broker) NewWorker(key, group, consumer string, h Handler, o WorkerOptions) (*Worker, error) {
	return NewWorker(b, key, group, consumer, h, o)
}

// NewWorker returns a worker that consumes key as consumer of group of c
// with h: the broker, or any other [Client] such as package
// github.com/brookmq/brook/redis's. Nothing happens until [Worker.Run].
// Invalid options are [ErrInvalidArgument].
//
// The worker uses the contract's calls, and two more where c has them,
// checked when NewWorker is called:
//   - [Nacker] (XNACK, the broker): a stopping worker hands back the
//     entries it will not finish with it. Without it (Redis 7) it releases
//     them as it releases a failed entry for a retry, with XCLAIM JUSTID
//     setting their idle time to ReclaimIdle so that the next reclaim of
//     any worker takes them, and RETRYCOUNT taking back the delivery of
//     those never started.
//   - [DeadLetterMover] (the broker, brookredis): the move of an entry to
//     the dead-letter stream and its acknowledgement in one step, so that
//     a crash leaves the entry either pending or moved. Without it the
//     worker adds the dead letter (XADD) then acknowledges the entry
//     (XACK): a crash, or a reclaim by another worker, between the two can
//     leave a second dead letter of the same entry.
//
// On a *Broker the clock is the broker's ([Options].Clock); on other
// clients it is time.Now, and release delays are sent as idle times
// (XCLAIM IDLE), measured by the server's clock.
func NewWorker(c Client, key, group, consumer string, h Handler, o WorkerOptions) (*Worker, error) {
	if c == nil {
		return nil, invalid("nil Client")
	}
	if h == nil {
		return nil, invalid("nil Handler")
	}
	b, _ := c.(*Broker)
	o = o.resolved(key, b == nil)
	if err := o.check(key); err != nil {
		return nil, err
	}
	w := &Worker{c: c, b: b, key: key, group: group, consumer: consumer, h: h, o: o,
		streams: []ReadStream{{Key: key, From: Undelivered()}}, clock: time.Now}
	w.nacker, _ = c.(Nacker)
	w.mover, _ = c.(DeadLetterMover)
	if b != nil {
		w.clock = b.clock
	}
	return w, nil
}

// Consume runs a worker until ctx ends: [Broker.NewWorker] and
// [Worker.Run] in one call.
func (b *Broker) Consume(ctx context.Context, key, group, consumer string, h Handler, o WorkerOptions) error {
	return Consume(ctx, b, key, group, consumer, h, o)
}

// Consume runs a worker of c until ctx ends: [NewWorker] and [Worker.Run]
// in one call.
func Consume(ctx context.Context, c Client, key, group, consumer string, h Handler, o WorkerOptions) error {
	w, err := NewWorker(c, key, group, consumer, h, o)
	if err != nil {
		return err
	}
	return w.Run(ctx)
}

// Run consumes until ctx ends, then stops gracefully: it stops reading,
// lets the handlers running finish within the grace period (then cancels
// their context), releases the entries it read and did not handle, and
// returns nil once every goroutine it started has returned. A handler that
// ignores its context delays Run until it returns.
//
// Entries are handled in the order the group delivers them within one
// goroutine's batch; across goroutines and retries there is no order.
// Entries still pending for this consumer from an earlier run (a crash)
// are reclaimed like those of any dead consumer, once idle for
// ReclaimIdle; so are entries a read delivered just as ctx ended (the
// read then returns ctx's error, see [Broker.XReadGroup]).
//
// The key and the group must exist: otherwise Run returns [ErrNoStream] or
// [ErrNoGroup] at once. So must the dead-letter key be one the client can
// move entries to ([DeadLetterMover]: on a Redis Cluster, in key's hash
// slot), else Run returns the client's error ([ErrInvalidArgument]) at
// once. If the key or the group is deleted, or the broker
// closed, while it runs, Run stops as for ctx and returns that error
// ([ErrStreamDeleted], [ErrGroupDeleted], [ErrClosed]). A worker runs once
// at a time: a concurrent Run is [ErrInvalidArgument].
func (w *Worker) Run(ctx context.Context) error {
	if !w.running.CompareAndSwap(false, true) {
		return invalid("worker already running")
	}
	defer w.running.Store(false)
	if err := w.checkExisting(ctx); err != nil {
		return err
	}
	readCtx, stop := context.WithCancelCause(ctx)
	defer stop(nil)
	// Handlers and the calls that settle their entries outlive ctx: the
	// handlers until the grace period ends, the settling calls until done.
	settleCtx := context.WithoutCancel(ctx)
	handlerCtx, cancelHandlers := context.WithCancel(settleCtx)
	defer cancelHandlers()

	var wg sync.WaitGroup
	var failOnce sync.Once
	var failure error // the first goroutine's error
	wg.Add(w.o.Concurrency)
	for range w.o.Concurrency {
		go func() {
			defer wg.Done()
			if err := w.loop(readCtx, handlerCtx, settleCtx); err != nil {
				failOnce.Do(func() { failure = err })
				stop(err)
			}
		}()
	}
	done := make(chan struct{})
	go func() {
		wg.Wait()
		close(done)
	}()
	select {
	case <-done:
	case <-readCtx.Done():
		w.graceful(done, cancelHandlers)
	}
	return failure // read after wg.Wait (done closed)
}

// graceful waits for done, cancelling the handlers' context once the grace
// period has passed.
func (w *Worker) graceful(done <-chan struct{}, cancelHandlers func()) {
	if w.o.Grace < 0 {
		cancelHandlers()
		<-done
		return
	}
	t := time.NewTimer(w.o.Grace)
	defer t.Stop()
	select {
	case <-done:
	case <-t.C:
		cancelHandlers()
		<-done
	}
}

// delivery is an entry read by a goroutine and how many times the group
// has delivered it.
type delivery struct {
	Entry
	deliveries uint64
}

// loop is one handler goroutine: it reads batches until readCtx ends or a
// read fails, and handles them.
func (w *Worker) loop(readCtx, handlerCtx, settleCtx context.Context) error {
	var acks acker
	defer w.flush(settleCtx, &acks)
	buf := make([]delivery, 0, w.o.Batch)
	for readCtx.Err() == nil {
		batch, err := w.fetch(readCtx, settleCtx, buf[:0])
		if err != nil {
			if readCtx.Err() != nil && (errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)) {
				return nil
			}
			return err
		}
		w.inFlight.Add(int64(len(batch)))
		w.handleBatch(readCtx, handlerCtx, settleCtx, batch, &acks)
		w.flush(settleCtx, &acks)
		clear(batch) // drop the entries' fields
		buf = batch
	}
	return nil
}

// handleBatch handles the entries of a batch in order. Between two entries
// it reads the monotonic clock once (time.Since: one clock read, where
// time.Now takes two), to send the acknowledgements collected once
// ackDelay has passed since the last were sent, and to renew the lease on
// the entries not yet started once half of ReclaimIdle has passed since
// they were delivered or last renewed, so that no reclaim takes them from
// a batch of slow handlers. (Real time, not the broker clock: an injected
// clock is for tests, where batches are quick.) When readCtx ends it
// releases the entries not started.
func (w *Worker) handleBatch(readCtx, handlerCtx, settleCtx context.Context, batch []delivery, acks *acker) {
	start := time.Now()
	var flushed, leased time.Duration // since start
	for i, d := range batch {
		if readCtx.Err() != nil { // stopping: hand back what was not started
			w.releaseBatch(settleCtx, batch[i:])
			return
		}
		w.handle(handlerCtx, settleCtx, d, acks)
		if i+1 == len(batch) {
			return
		}
		now := time.Since(start)
		if len(acks.ids) > 0 && now-flushed >= ackDelay {
			w.flush(settleCtx, acks)
			flushed = now
		}
		// Past ReclaimIdle the entries may be another's already: leave them.
		if age := now - leased; age >= w.o.ReclaimIdle/2 && age < w.o.ReclaimIdle {
			w.renew(settleCtx, batch[i+1:])
			leased = now
		}
	}
}

// ackDelay bounds how long a handled entry waits for the rest of its batch
// before its acknowledgement is sent (plus the time of one handler call).
const ackDelay = 10 * time.Millisecond

// acker collects the IDs of one goroutine's handled entries.
type acker struct {
	ids []ID
}

func (a *acker) add(id ID) { a.ids = append(a.ids, id) }

// flush acknowledges (and with AckDelete deletes) the collected entries.
func (w *Worker) flush(ctx context.Context, a *acker) {
	if len(a.ids) == 0 {
		return
	}
	n := int64(len(a.ids))
	if _, err := w.c.XAck(ctx, w.key, w.group, a.ids...); err != nil {
		w.o.Logf("broker: worker %s/%s/%s: XACK: %v", w.key, w.group, w.consumer, err)
	} else if w.o.AckDelete {
		if _, err := w.c.XDel(ctx, w.key, a.ids...); err != nil {
			w.o.Logf("broker: worker %s/%s/%s: XDEL: %v", w.key, w.group, w.consumer, err)
		}
	}
	w.processed.Add(n)
	w.inFlight.Add(-n)
	a.ids = a.ids[:0]
}

// handle runs the handler on d and settles the outcome: acknowledge
// (collected in acks), release for a retry, or dead-letter.
func (w *Worker) handle(handlerCtx, settleCtx context.Context, d delivery, acks *acker) {
	most := uint64(w.o.MaxDeliveries)
	if w.o.MaxDeliveries > 0 && d.deliveries > most {
		w.bury(settleCtx, d, fmt.Errorf("broker: delivered %d times without an outcome (MaxDeliveries %d)", d.deliveries, most))
		return
	}
	err := w.call(handlerCtx, d.Entry)
	switch {
	case err == nil:
		acks.add(d.ID)
	case handlerCtx.Err() != nil: // the grace period ended: not finished
		w.nack(settleCtx, []delivery{d}, NackFail)
		w.inFlight.Add(-1)
	case w.o.MaxDeliveries > 0 && d.deliveries >= most:
		w.failed.Add(1)
		w.bury(settleCtx, d, err)
	default:
		w.failed.Add(1)
		w.retried.Add(1)
		w.release(settleCtx, []ID{d.ID}, w.backoff(d.deliveries))
		w.inFlight.Add(-1)
	}
}

// PanicError is the error a [Worker] reports for a handler that panicked:
// the value passed to panic and the stack of the handler's goroutine.
type PanicError struct {
	Value any
	Stack []byte
}

func (p *PanicError) Error() string {
	return fmt.Sprintf("panic: %v\n\n%s", p.Value, p.Stack)
}

// call runs the handler, turning a panic into a *PanicError.
func (w *Worker) call(ctx context.Context, e Entry) (err error) {
	defer func() {
		if v := recover(); v != nil {
			err = &PanicError{Value: v, Stack: debug.Stack()}
		}
	}()
	return w.h(ctx, e)
}

// bury moves d to the dead-letter stream with cause, acknowledging it in the
// same step (see [Broker.deadLetter], [DeadLetterMover]).
func (w *Worker) bury(ctx context.Context, d delivery, cause error) {
	defer w.inFlight.Add(-1)
	dl := DeadLetter{Stream: w.key, Original: d.ID, Group: w.group, Consumer: w.consumer,
		Deliveries: d.deliveries, Error: deadLetterError(cause), Fields: d.Fields}
	_, moved, err := w.moveDead(ctx, dl)
	kept := true // the dead letter holds the fields
	if errors.Is(err, ErrEntryTooLarge) {
		// The fields and the metadata do not fit in one entry: move it
		// without its fields, which stay in the source stream.
		dl.Fields, kept = nil, false
		dl.Error += "\n[fields left out, too large: see the entry in the source stream]"
		_, moved, err = w.moveDead(ctx, dl)
	}
	if err != nil {
		w.o.Logf("broker: worker %s/%s/%s: dead-letter %v: %v", w.key, w.group, w.consumer, d.ID, err)
		return
	}
	if !moved {
		return // reclaimed by another consumer meanwhile: it decides
	}
	w.dead.Add(1)
	if w.o.AckDelete && kept {
		if _, err := w.c.XDel(ctx, w.key, d.ID); err != nil {
			w.o.Logf("broker: worker %s/%s/%s: XDEL: %v", w.key, w.group, w.consumer, err)
		}
	}
}
