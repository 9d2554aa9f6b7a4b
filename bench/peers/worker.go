package main

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/brookmq/brook/broker"
	"github.com/brookmq/brook/stream"
	"github.com/nats-io/nats.go/jetstream"
)

// The worker workload: consumed-and-acknowledged entries per second of
// brook's worker runtime (broker.Worker, no-op handler), of the raw
// XREADGROUP + XACK loop it is built on, and of a JetStream durable pull
// consumer with explicit acks, each over the same N pre-loaded messages of
// workerPayload bytes, read in batches of the row's size by one consumer.

// Columns of the worker table. The worker is "brook" so that the report's
// brook/peer ratio columns compare it with both others.
const (
	workerBrook = "brook"
	workerRaw   = "brook raw XREADGROUP+XACK"
	workerJS    = "JetStream"
)

// workerPayload is the size of every message: one field of that many
// bytes for brook, a body of that many bytes for JetStream.
const workerPayload = 64

// workerRun is one measured point: n messages, read batch at a time; dir
// is a fresh directory for a system that needs one (JetStream's store
// directory, unused with memory storage).
type workerRun struct {
	n, batch int
	dir      string
}

// workerSystem consumes r.n pre-loaded messages and returns entries/s.
// It calls m.start when its clock starts and m.stop when it stops.
type workerSystem func(ctx context.Context, r workerRun, m *workerMeter) (float64, error)

// workerMeter measures the process's CPU time over a system's timed part.
type workerMeter struct {
	cpu0, cpu time.Duration
	ok        bool
}

func (m *workerMeter) start() { m.cpu0, m.ok = processCPU() }

func (m *workerMeter) stop() {
	c, ok := processCPU()
	m.cpu, m.ok = c-m.cpu0, m.ok && ok
}

// workerSystems are the columns, in run order.
var workerSystems = []struct {
	name string
	run  workerSystem
}{
	{workerBrook, brookWorkerRate},
	{workerRaw, brookRawRate},
	{workerJS, jsPullRate},
}

// runWorker: the worker runtime next to the raw loop and JetStream.
func runWorker(e *env) error {
	var systems []string
	var runs []workerSystem
	for _, s := range workerSystems {
		if e.wants(s.name) {
			systems = append(systems, s.name)
			runs = append(runs, s.run)
		}
	}
	n := e.size.workerEntries
	t := e.res.table("worker", fmt.Sprintf("Worker runtime, no-op handler, one consumer, %d entries of %d B pre-loaded: consumed and acked entries/s", n, workerPayload), "batch", perSec)
	cpu := e.res.table("worker/cpu", "Worker runtime: process CPU time per consumed entry (user + system, the in-process NATS server's included; lower is better)", "batch", nanos)
	for _, batch := range e.size.workerBatches {
		row := strconv.Itoa(batch)
		err := e.record("worker batch="+row, systems, func(i int) (string, error) {
			d, err := e.subdir("worker")
			if err != nil {
				return "", err
			}
			var m workerMeter
			v, err := runs[i](e.ctx, workerRun{n: n, batch: batch, dir: d}, &m)
			if err != nil {
				return "", err
			}
			t.add(row, systems[i], v)
			if !m.ok {
				return format(perSec, v) + " entries/s", nil
			}
			per := float64(m.cpu) / float64(n)
			cpu.add(row, systems[i], per)
			return format(perSec, v) + " entries/s, " + format(nanos, per) + " CPU/entry", nil
		}, func(i int, err error) { t.fail(row, systems[i], err) })
		if err != nil {
			return err
		}
	}
	return nil
}

// workerTargets are the worker workload's targets, checked on every batch
// size measured.
func workerTargets(res *results) []targetResult {
	var js, raw []ratioCheck
	if t := res.find("worker"); t != nil {
		for _, row := range t.rows {
			js = append(js, ratioCheck{table: "worker", row: row, peer: workerJS, min: 10})
			raw = append(raw, ratioCheck{table: "worker", row: row, peer: workerRaw, min: 0.8})
		}
	}
	return []targetResult{
		evalTarget(res, "worker, no-op handler: brook worker >= 10x a JetStream pull consumer with explicit acks", js),
		evalTarget(res, "worker, no-op handler: brook worker >= 0.8x the raw XREADGROUP+XACK loop", raw),
	}
}

// workerFill returns an in-memory broker holding n entries of one
// workerPayload-byte field in streamKey, and group "g" at its start.
func workerFill(ctx context.Context, n int) (*broker.Broker, error) {
	b, err := broker.New(broker.Options{})
	if err != nil {
		return nil, err
	}
	fields := []stream.Field{{Name: "data", Value: strings.Repeat("x", workerPayload)}}
	const chunk = 1000
	entries := make([][]stream.Field, 0, chunk)
	for lo := 0; lo < n; lo += chunk {
		entries = entries[:0]
		for range min(chunk, n-lo) {
			entries = append(entries, fields)
		}
		if _, err := b.XAddBatch(ctx, streamKey, entries, broker.AddOptions{}); err != nil {
			b.Close()
			return nil, fmt.Errorf("brook: fill: %w", err)
		}
	}
	if err := b.XGroupCreate(ctx, streamKey, "g", broker.GroupCreateOptions{}); err != nil {
		b.Close()
		return nil, err
	}
	return b, nil
}

// workerCheck verifies that the group acknowledged all n entries.
func workerCheck(ctx context.Context, b *broker.Broker, n int) error {
	sum, err := b.XPending(ctx, streamKey, "g")
	if err != nil {
		return err
	}
	gs, err := b.XInfoGroups(ctx, streamKey)
	if err != nil {
		return err
	}
	if sum.Count != 0 || len(gs) != 1 || gs[0].Lag != 0 || gs[0].EntriesRead != int64(n) {
		return fmt.Errorf("brook: after the run: %d pending, groups %+v, want %d read", sum.Count, gs, n)
	}
	return nil
}

// brookWorkerRate runs a broker.Worker with a handler that only counts,
// until it has handled r.n entries; the time runs from Run's call to its
// return, which comes after the last acknowledgement was sent and every
// goroutine of the worker returned.
func brookWorkerRate(ctx context.Context, r workerRun, m *workerMeter) (float64, error) {
	b, err := workerFill(ctx, r.n)
	if err != nil {
		return 0, err
	}
	defer b.Close()
	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	var handled atomic.Int64
	n := int64(r.n)
	w, err := b.NewWorker(streamKey, "g", "c", func(context.Context, broker.Entry) error {
		if handled.Add(1) == n {
			cancel()
		}
		return nil
	}, broker.WorkerOptions{Batch: r.batch})
	if err != nil {
		return 0, err
	}
	m.start()
	start := time.Now()
	if err := w.Run(runCtx); err != nil {
		return 0, fmt.Errorf("brook: worker: %w", err)
	}
	sec := time.Since(start).Seconds()
	m.stop()
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	if st := w.Stats(); st.Processed != n {
		return 0, fmt.Errorf("brook: worker processed %d of %d", st.Processed, n)
	}
	if err := workerCheck(ctx, b, r.n); err != nil {
		return 0, err
	}
	return float64(n) / sec, nil
}

// brookRawRate is the loop the worker is built on, written by hand: one
// goroutine calling XREADGROUP COUNT batch and one XACK of the batch, with
// no retry, reclaim, lease or dead-letter logic.
func brookRawRate(ctx context.Context, r workerRun, m *workerMeter) (float64, error) {
	b, err := workerFill(ctx, r.n)
	if err != nil {
		return 0, err
	}
	defer b.Close()
	streams := []broker.ReadStream{{Key: streamKey, From: broker.Undelivered()}}
	ids := make([]stream.ID, 0, r.batch)
	m.start()
	start := time.Now()
	for done := 0; done < r.n; {
		res, err := b.XReadGroup(ctx, "g", "c", streams, broker.GroupReadOptions{Count: r.batch})
		if err != nil {
			return 0, err
		}
		if len(res) == 0 || len(res[0].Entries) == 0 {
			return 0, fmt.Errorf("brook: read nothing after %d of %d entries", done, r.n)
		}
		ids = ids[:0]
		for _, e := range res[0].Entries {
			ids = append(ids, e.ID)
		}
		if _, err := b.XAck(ctx, streamKey, "g", ids...); err != nil {
			return 0, err
		}
		done += len(ids)
	}
	sec := time.Since(start).Seconds()
	m.stop()
	if err := workerCheck(ctx, b, r.n); err != nil {
		return 0, err
	}
	return float64(r.n) / sec, nil
}

// jsWorkerStream is the stream of the worker workload on JetStream.
const jsWorkerStream = "WORKER"

// jsPullRate pre-publishes r.n messages to a memory-storage stream, then
// consumes them with a durable pull consumer (AckExplicit): Fetch of
// r.batch messages, an Ack of each, the next Fetch. (Consumer.Messages,
// the client's pipelined pull loop, stalled for its 30 s expiry every few
// runs with batches of 16 on this machine.) Acks are asynchronous, so the
// time runs until the consumer's info shows every message acknowledged.
func jsPullRate(ctx context.Context, r workerRun, m *workerMeter) (float64, error) {
	srv, err := startNATS(r.dir, false)
	if err != nil {
		return 0, err
	}
	defer srv.stop()
	nc, err := srv.connect()
	if err != nil {
		return 0, err
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		return 0, fmt.Errorf("jetstream: %w", err)
	}
	st, err := js.CreateStream(ctx, jetstream.StreamConfig{Name: jsWorkerStream, Subjects: []string{streamKey}, Storage: jetstream.MemoryStorage})
	if err != nil {
		return 0, fmt.Errorf("jetstream: create stream: %w", err)
	}
	if err := jsPublishN(ctx, js, r.n); err != nil {
		return 0, err
	}
	cons, err := st.CreateOrUpdateConsumer(ctx, jetstream.ConsumerConfig{
		Durable: "g", AckPolicy: jetstream.AckExplicitPolicy, DeliverPolicy: jetstream.DeliverAllPolicy,
	})
	if err != nil {
		return 0, fmt.Errorf("jetstream: create consumer: %w", err)
	}
	m.start()
	start := time.Now()
	for got := 0; got < r.n; {
		k, err := jsFetchAck(cons, min(r.batch, r.n-got))
		if err != nil {
			return 0, fmt.Errorf("jetstream: after %d of %d messages: %w", got, r.n, err)
		}
		got += k
	}
	if err := jsWaitAcked(ctx, cons, r.n); err != nil {
		return 0, err
	}
	sec := time.Since(start).Seconds()
	m.stop()
	return float64(r.n) / sec, nil
}

// jsFetchAck fetches up to batch messages and acks each.
func jsFetchAck(cons jetstream.Consumer, batch int) (int, error) {
	b, err := cons.Fetch(batch, jetstream.FetchMaxWait(drainGrace))
	if err != nil {
		return 0, err
	}
	k := 0
	for m := range b.Messages() {
		if len(m.Data()) != workerPayload {
			return k, fmt.Errorf("message of %d bytes", len(m.Data()))
		}
		if err := m.Ack(); err != nil {
			return k, err
		}
		k++
	}
	if err := b.Error(); err != nil {
		return k, err
	}
	if k == 0 {
		return 0, errors.New("fetch returned nothing")
	}
	return k, nil
}

// jsWaitAcked polls the consumer's info until every one of the n messages
// is delivered and acknowledged.
func jsWaitAcked(ctx context.Context, cons jetstream.Consumer, n int) error {
	deadline := time.Now().Add(drainGrace)
	for {
		info, err := cons.Info(ctx)
		if err != nil {
			return fmt.Errorf("jetstream: consumer info: %w", err)
		}
		if info.NumAckPending == 0 && info.NumPending == 0 && info.AckFloor.Stream == uint64(n) {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("jetstream: %d acks pending, ack floor %d of %d: %w", info.NumAckPending, info.AckFloor.Stream, n, errNotDrained)
		}
		time.Sleep(50 * time.Microsecond)
	}
}

// jsPublishN publishes n messages of workerPayload bytes, jsBulkBatch
// asynchronous publishes at a time.
func jsPublishN(ctx context.Context, js jetstream.JetStream, n int) error {
	body := make([]byte, workerPayload)
	for i := range body {
		body[i] = 'x'
	}
	for lo := 0; lo < n; lo += jsBulkBatch {
		for range min(jsBulkBatch, n-lo) {
			if _, err := js.PublishAsync(streamKey, body); err != nil {
				return fmt.Errorf("jetstream: publish: %w", err)
			}
		}
		select {
		case <-js.PublishAsyncComplete():
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(drainGrace):
			return errors.New("jetstream: publish acknowledgements did not arrive")
		}
	}
	return nil
}
