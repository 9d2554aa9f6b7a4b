package main

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/brookmq/brook/broker"
	"github.com/brookmq/brook/stream"
	"github.com/brookmq/brook/wal"
	"github.com/nats-io/nats.go"
	"github.com/redis/go-redis/v9"
)

// The "growth" workloads measure the cost of one operation as the work it
// runs over grows, each point on a fresh system, every system's points of a
// repetition back to back (the order reversed every other repetition), so
// that the flatness ratios (largest size over smallest) pair them:
//
//   - growth-subs: N channels with one subscription each (N = 1e3..1e6).
//     The subscribe cost per subscription, then the publish rate
//     round-robin over the N channels (in a scattered order), every
//     delivery received. brook: one Subscription per channel
//     (broker.Subscribe), read with Next; NATS core in-process: one
//     subscription per subject on one connection (ChanSubscribe into one
//     Go channel), publishes on another connection.
//   - growth-pel: a consumer group with P pending entries (P = 1e3..1e6),
//     then four operations: XREADGROUP COUNT 100 of new entries + XACK of
//     the same 100 (the P old ones stay pending); XREADGROUP COUNT 100 +
//     XACK of the 100 oldest pending (the pending list slides, P stays);
//     XPENDING's summary; XCLAIM of 100 pending IDs spread over the list.
//     brook vs Redis on loopback (round-trip bound: compare the curves'
//     shapes, not the rates).
//   - growth-entries: one stream of N entries (N = 1e3..1e7; 1e8 only when
//     -entries asks for it). The heap after GC per entry (brook) or
//     used_memory per entry (Redis, up to redisGrowthMax), and the time
//     broker.Open takes to open a durable directory holding N entries as a
//     snapshot of 90 % of them and a log tail of the rest, as
//     BenchmarkRecovery in bench/recovery_test.go does at 1e6.
//
// Entries are 3 fields. The pending-list workload uses the 64 B payload of
// the streams workload (user_id, type, payload); the streams of up to 1e8
// entries use the memory workload's three small fields (user_id, product,
// amount: 21 B/entry), which is what makes 1e8 entries fit in about 2 GB.

// growthWindow is how many messages the subscriptions workload publishes
// before it receives them: each one on another channel.
const growthWindow = 1024

// growthReadBatch is the COUNT of the pending-list workload's reads, and the
// number of IDs per XACK and XCLAIM.
const growthReadBatch = 100

// redisGrowthMax caps the entries loaded into Redis for the memory figure:
// a pipelined load runs at a few hundred thousand entries per second here.
const redisGrowthMax = 1_000_000

// growthParts are the growth workloads: -only growth runs all of them.
var growthParts = []string{"growth-subs", "growth-pel", "growth-entries"}

// reversedOnOdd returns sizes, reversed on odd repetitions.
func reversedOnOdd(sizes []int, rep int) []int {
	out := slices.Clone(sizes)
	if rep%2 == 1 {
		slices.Reverse(out)
	}
	return out
}

// growthRep runs point(n) for every size of one system in one repetition.
func (e *env) growthRep(label string, rep int, system string, sizes []int, point func(n int) (string, error), fail func(row string, err error)) error {
	for _, n := range reversedOnOdd(sizes, rep) {
		row := strconv.Itoa(n)
		err := e.recordRep(label+"="+row, rep, []string{system}, func(int) (string, error) {
			s, err := point(n)
			runtime.GC() // the point's garbage, before the next point
			return s, err
		}, func(_ int, err error) { fail(row, err) })
		if err != nil {
			return err
		}
	}
	return nil
}

// ---- subscriptions ----

// growthSubsPeer is a system of the subscriptions workload.
type growthSubsPeer interface {
	name() string
	// subs subscribes n channels one subscription each and returns the
	// subscribe cost per subscription and the function that publishes a
	// window of growthWindow messages, the k-th on channel order[k%n], from
	// k = from on, and receives them all; stop releases the system.
	subs(ctx context.Context, n int, chans []string, order []int) (subNs float64, window func(from int) error, stop func(), err error)
}

// subsResult is one point of the subscriptions workload.
type subsResult struct {
	subNs     float64 // subscribe cost per subscription
	firstRate float64 // messages/s of the first round (each subscription's first message)
	rate      float64 // messages/s after it, for the point's time
	cpuNs     float64 // process CPU time per message after the first round
}

// subsPoint measures p at n channels: the subscriptions, one round of
// windows over every channel (the first message each subscription
// receives; also the warm-up), then windows for d.
func subsPoint(ctx context.Context, p growthSubsPeer, n int, d time.Duration) (subsResult, error) {
	chans, order := growthChannels(n, ".")
	runtime.GC()
	subNs, window, stop, err := p.subs(ctx, n, chans, order)
	if err != nil {
		return subsResult{}, err
	}
	defer stop()
	r := subsResult{subNs: subNs}
	runtime.GC()
	count, t0 := 0, time.Now()
	for ; count < n; count += growthWindow {
		if err := window(count); err != nil {
			return r, err
		}
	}
	r.firstRate = float64(count) / time.Since(t0).Seconds()
	runtime.GC()
	cpu0, _ := processCPU()
	from, t1 := count, time.Now()
	for deadline := t1.Add(d); time.Now().Before(deadline); count += growthWindow {
		if err := window(count); err != nil {
			return r, err
		}
	}
	sec := time.Since(t1).Seconds()
	cpu1, _ := processCPU()
	r.rate = float64(count-from) / sec
	r.cpuNs = float64((cpu1 - cpu0).Nanoseconds()) / float64(count-from)
	return r, nil
}

func runGrowthSubs(e *env) error {
	peers := keep(e, []growthSubsPeer{brookGrowthSubs{}, natsGrowthSubs{}})
	sub := e.res.table("growth/subs/subscribe", "Growth: subscribe cost per subscription, N channels with one subscription each", "channels", nanos)
	pub := e.res.table("growth/subs/publish", "Growth: publishes/s round-robin over N channels with one subscription each, every delivery received (after a first round)", "channels", perSec)
	pubCPU := e.res.table("growth/subs/publishcpu", "Growth: process CPU time (getrusage) per message published and received, round-robin over N channels (after a first round)", "channels", nanos)
	first := e.res.table("growth/subs/first", "Growth: publishes/s of the first round over N channels (each subscription's first message)", "channels", perSec)
	tables := []*table{sub, pub, pubCPU, first}
	for rep := range e.count {
		for _, p := range peers {
			err := e.growthRep("growth subs N", rep, p.name(), e.size.growthChannels, func(n int) (string, error) {
				r, err := subsPoint(e.ctx, p, n, e.size.growthTime)
				if err != nil {
					return "", err
				}
				row := strconv.Itoa(n)
				sub.add(row, p.name(), r.subNs)
				pub.add(row, p.name(), r.rate)
				pubCPU.add(row, p.name(), r.cpuNs)
				first.add(row, p.name(), r.firstRate)
				return fmt.Sprintf("subscribe %s, first round %s/s, then %s/s, CPU %s each", format(nanos, r.subNs), format(perSec, r.firstRate), format(perSec, r.rate), format(nanos, r.cpuNs)), nil
			}, func(row string, err error) {
				for _, t := range tables {
					t.fail(row, p.name(), err)
				}
			})
			if err != nil {
				return err
			}
		}
	}
	return nil
}

// growthChannel is channel i of the subscriptions workload, with sep as the
// separator.
func growthChannel(i int, sep string) string { return "user" + sep + strconv.Itoa(i) }

// growthChannels returns the n channels and the scattered order they are
// published in.
func growthChannels(n int, sep string) ([]string, []int) {
	chans := make([]string, n)
	for i := range chans {
		chans[i] = growthChannel(i, sep)
	}
	return chans, streamsOrder(n)
}

// brookGrowthSubs is brook's in-memory broker: one Subscription per
// channel, read with Next by the publishing goroutine after each window.
type brookGrowthSubs struct{}

func (brookGrowthSubs) name() string { return "brook" }

func (brookGrowthSubs) subs(ctx context.Context, n int, chans []string, order []int) (float64, func(int) error, func(), error) {
	b, err := broker.New(broker.Options{})
	if err != nil {
		return 0, nil, nil, err
	}
	stop := func() { b.Close() } // ends every subscription
	subs := make([]*broker.Subscription, n)
	t0 := time.Now()
	for i, ch := range chans {
		if subs[i], err = b.Subscribe(ch); err != nil {
			stop()
			return 0, nil, nil, fmt.Errorf("brook: subscribe: %w", err)
		}
	}
	subNs := float64(time.Since(t0).Nanoseconds()) / float64(n)
	payload := make([]byte, 64)
	window := func(from int) error {
		for k := from; k < from+growthWindow; k++ {
			got, err := b.Publish(ctx, chans[order[k%n]], payload)
			if err == nil && got != 1 {
				err = fmt.Errorf("reached %d subscriptions, want 1", got)
			}
			if err != nil {
				return fmt.Errorf("brook: publish: %w", err)
			}
		}
		for k := from; k < from+growthWindow; k++ {
			m, err := subs[order[k%n]].Next(ctx)
			if err != nil {
				return fmt.Errorf("brook: next: %w", err)
			}
			if len(m.Payload) != len(payload) {
				return fmt.Errorf("brook: received %d bytes, want %d", len(m.Payload), len(payload))
			}
		}
		return nil
	}
	return subNs, window, stop, nil
}

// natsGrowthSubs is core NATS embedded in-process: one subscription per
// subject on one connection, all delivering into one Go channel (no
// goroutine or buffer per subscription), timed until a Flush returns;
// publishes on another connection.
type natsGrowthSubs struct{}

func (natsGrowthSubs) name() string { return "NATS" }

func (natsGrowthSubs) subs(_ context.Context, n int, chans []string, order []int) (float64, func(int) error, func(), error) {
	srv, err := startNATS("", false)
	if err != nil {
		return 0, nil, nil, err
	}
	var conns []*nats.Conn
	stop := func() {
		for _, c := range conns {
			c.Close()
		}
		srv.stop()
	}
	for range 2 {
		c, err := srv.connect()
		if err != nil {
			stop()
			return 0, nil, nil, err
		}
		conns = append(conns, c)
	}
	sc, pc := conns[0], conns[1]
	// Twice the window: a full channel would make the client drop messages
	// as a slow consumer.
	recv := make(chan *nats.Msg, 2*growthWindow)
	t0 := time.Now()
	for _, ch := range chans {
		if _, err := sc.ChanSubscribe(ch, recv); err != nil {
			stop()
			return 0, nil, nil, fmt.Errorf("nats: subscribe: %w", err)
		}
	}
	if err := sc.Flush(); err != nil {
		stop()
		return 0, nil, nil, fmt.Errorf("nats: flush: %w", err)
	}
	subNs := float64(time.Since(t0).Nanoseconds()) / float64(n)
	payload := make([]byte, 64)
	timeout := time.NewTimer(time.Hour)
	window := func(from int) error {
		for k := from; k < from+growthWindow; k++ {
			if err := pc.Publish(chans[order[k%n]], payload); err != nil {
				return fmt.Errorf("nats: publish: %w", err)
			}
		}
		timeout.Reset(10 * time.Second)
		for i := range growthWindow {
			select {
			case m := <-recv:
				if len(m.Data) != len(payload) {
					return fmt.Errorf("nats: received %d bytes, want %d", len(m.Data), len(payload))
				}
			case <-timeout.C:
				return fmt.Errorf("nats: %d of a window's %d deliveries did not arrive in 10 s", growthWindow-i, growthWindow)
			}
		}
		return nil
	}
	return subNs, window, func() { timeout.Stop(); stop() }, nil
}

// ---- pending-entry lists ----

// growthPELOps are the pending-list operations, in run order: table id
// suffix, title, unit of the rate.
var growthPELOps = []struct{ id, title string }{
	{"readack", "XREADGROUP COUNT 100 + XACK of the same 100: entries/s with P other entries pending"},
	{"ackold", "XREADGROUP COUNT 100 + XACK of the 100 oldest pending (P stays): entries/s"},
	{"xpending", "XPENDING summary: calls/s with P entries pending"},
	{"xclaim", "XCLAIM of 100 pending IDs spread over the list: calls/s with P entries pending"},
}

// pelID is a pending entry's ID: brook's form or Redis's text, whichever
// the system uses, so that neither pays a conversion.
type pelID struct {
	id   stream.ID
	text string
}

// pelStore is one system holding a stream with a group "g" whose consumer
// "c" has P entries pending, and more entries not yet delivered.
type pelStore interface {
	// readNew reads up to 100 new entries as consumer "c" and returns their IDs.
	readNew(ctx context.Context) ([]pelID, error)
	ack(ctx context.Context, ids []pelID) error
	pending(ctx context.Context) (int64, error)
	// claim claims ids for consumer "c2" and returns how many it claimed.
	claim(ctx context.Context, ids []pelID) (int, error)
	close() error
}

// pelFill is the shared set-up: load p+extra entries, create the group and
// read p of them without acknowledging; returns the pending IDs, oldest
// first.
type pelFill func(ctx context.Context, p, extra int) (pelStore, []pelID, error)

func runGrowthPEL(e *env) error {
	systems := []string{"brook"}
	if e.wants("Redis") && e.redis(false) != nil {
		systems = append(systems, "Redis")
	}
	systems = keepNames(e, systems)
	tables := make([]*table, len(growthPELOps))
	cpuTables := make([]*table, len(growthPELOps))
	for i, op := range growthPELOps {
		tables[i] = e.res.table("growth/pel/"+op.id, "Growth: "+op.title, "pending", perSec)
	}
	for i, op := range growthPELOps {
		per := "call"
		if i < 2 {
			per = "entry"
		}
		cpuTables[i] = e.res.table("growth/pel/"+op.id+"cpu", "Growth: "+op.id+", process CPU time (getrusage) per "+per+" (brook only: Redis's server is another process)", "pending", nanos)
	}
	reads := e.size.growthReads
	for rep := range e.count {
		for _, sys := range systems {
			fill := brookPELFill
			if sys == "Redis" {
				fill = e.redisPELFill
			}
			err := e.growthRep("growth pel P", rep, sys, e.size.growthPending, func(p int) (string, error) {
				rates, cpus, err := pelPoint(e.ctx, fill, p, reads, e.size.growthTime)
				if err != nil {
					return "", err
				}
				var parts []string
				for i, r := range rates {
					tables[i].add(strconv.Itoa(p), sys, r)
					if sys == "brook" {
						cpuTables[i].add(strconv.Itoa(p), sys, cpus[i])
					}
					parts = append(parts, growthPELOps[i].id+" "+format(perSec, r))
				}
				return strings.Join(parts, ", "), nil
			}, func(row string, err error) {
				for _, t := range tables {
					t.fail(row, sys, err)
				}
			})
			if err != nil {
				return err
			}
		}
	}
	return nil
}

// pelPoint measures the four operations with p entries pending; reads new
// entries are read by each of the first two (so the stream holds p +
// 2*reads), the last two run for d each.
//
// It returns each operation's rate and the process's CPU time per entry
// (the reads) or per call (the others).
func pelPoint(ctx context.Context, fill pelFill, p, reads int, d time.Duration) (rates, cpus []float64, err error) {
	st, ids, err := fill(ctx, p, 2*reads)
	if err != nil {
		return nil, nil, err
	}
	defer st.close()
	if len(ids) != p {
		return nil, nil, fmt.Errorf("%d entries pending after the fill, want %d", len(ids), p)
	}
	rates, cpus = make([]float64, len(growthPELOps)), make([]float64, len(growthPELOps))
	var cpu0 time.Duration
	var t0 time.Time
	start := func() {
		runtime.GC()
		cpu0, _ = processCPU()
		t0 = time.Now()
	}
	stop := func(op, n int) {
		sec := time.Since(t0).Seconds()
		cpu1, _ := processCPU()
		rates[op] = float64(n) / sec
		cpus[op] = float64((cpu1 - cpu0).Nanoseconds()) / float64(n)
	}
	// readack: the p old entries stay pending.
	start()
	for done := 0; done < reads; {
		got, err := st.readNew(ctx)
		if err == nil && len(got) == 0 {
			err = fmt.Errorf("no new entry after %d", done)
		}
		if err == nil {
			err = st.ack(ctx, got)
		}
		if err != nil {
			return nil, nil, fmt.Errorf("readack: %w", err)
		}
		done += len(got)
	}
	stop(0, reads)
	// ackold: the pending list slides by 100 per read; ids is a FIFO.
	start()
	for done := 0; done < reads; {
		got, err := st.readNew(ctx)
		if err == nil && len(got) == 0 {
			err = fmt.Errorf("no new entry after %d", done)
		}
		if err == nil {
			ids = append(ids, got...)
			old := ids[:len(got)]
			ids = ids[len(got):]
			err = st.ack(ctx, old)
		}
		if err != nil {
			return nil, nil, fmt.Errorf("ackold: %w", err)
		}
		done += len(got)
	}
	stop(1, reads)
	if n, err := st.pending(ctx); err != nil || n != int64(p) {
		return nil, nil, fmt.Errorf("%d entries pending after the reads, want %d (%v)", n, p, err)
	}
	// xpending
	start()
	calls := 0
	for deadline := t0.Add(d); calls%64 != 0 || time.Now().Before(deadline); calls++ {
		if _, err := st.pending(ctx); err != nil {
			return nil, nil, fmt.Errorf("xpending: %w", err)
		}
	}
	stop(2, calls)
	// xclaim: 100 IDs at a stride over the list, a different set each call.
	stride := max(len(ids)/growthReadBatch, 1)
	batch := make([]pelID, 0, growthReadBatch)
	start()
	calls = 0
	for deadline := t0.Add(d); calls%16 != 0 || time.Now().Before(deadline); calls++ {
		batch = batch[:0]
		for j := range min(growthReadBatch, len(ids)) {
			batch = append(batch, ids[(j*stride+calls)%len(ids)])
		}
		got, err := st.claim(ctx, batch)
		if err == nil && got != len(batch) {
			err = fmt.Errorf("claimed %d of %d", got, len(batch))
		}
		if err != nil {
			return nil, nil, fmt.Errorf("xclaim: %w", err)
		}
	}
	stop(3, calls)
	return rates, cpus, nil
}

// growthFields is the pending-list workload's entry: 3 fields, 64 B payload.
var growthFields = scaleFields

type brookPEL struct{ b *broker.Broker }

func brookPELFill(ctx context.Context, p, extra int) (pelStore, []pelID, error) {
	b, err := broker.New(broker.Options{})
	if err != nil {
		return nil, nil, err
	}
	st := brookPEL{b}
	batch := make([][]broker.Field, 10_000)
	for i := range batch {
		batch[i] = growthFields
	}
	for left := p + extra; left > 0; left -= len(batch) {
		if _, err := b.XAddBatch(ctx, streamKey, batch[:min(left, len(batch))], broker.AddOptions{}); err != nil {
			st.close()
			return nil, nil, err
		}
	}
	if err := b.XGroupCreate(ctx, streamKey, "g", broker.GroupCreateOptions{}); err != nil {
		st.close()
		return nil, nil, err
	}
	ids := make([]pelID, 0, p)
	for len(ids) < p {
		res, err := b.XReadGroup(ctx, "g", "c", []broker.ReadStream{{Key: streamKey, From: broker.Undelivered()}}, broker.GroupReadOptions{Count: min(p-len(ids), 100_000)})
		if err != nil {
			st.close()
			return nil, nil, err
		}
		for _, en := range res[0].Entries {
			ids = append(ids, pelID{id: en.ID})
		}
	}
	return st, ids, nil
}

func (s brookPEL) readNew(ctx context.Context) ([]pelID, error) {
	res, err := s.b.XReadGroup(ctx, "g", "c", []broker.ReadStream{{Key: streamKey, From: broker.Undelivered()}}, broker.GroupReadOptions{Count: growthReadBatch})
	if err != nil || len(res) == 0 {
		return nil, err
	}
	out := make([]pelID, len(res[0].Entries))
	for i, en := range res[0].Entries {
		out[i].id = en.ID
	}
	return out, nil
}

// brookIDs returns the IDs in brook's form.
func brookIDs(ids []pelID) []stream.ID {
	out := make([]stream.ID, len(ids))
	for i, p := range ids {
		out[i] = p.id
	}
	return out
}

// redisIDs returns the IDs in Redis's form.
func redisIDs(ids []pelID) []string {
	out := make([]string, len(ids))
	for i, p := range ids {
		out[i] = p.text
	}
	return out
}

func (s brookPEL) ack(ctx context.Context, ids []pelID) error {
	n, err := s.b.XAck(ctx, streamKey, "g", brookIDs(ids)...)
	if err == nil && n != int64(len(ids)) {
		err = fmt.Errorf("acknowledged %d of %d", n, len(ids))
	}
	return err
}

func (s brookPEL) pending(ctx context.Context) (int64, error) {
	sum, err := s.b.XPending(ctx, streamKey, "g")
	return sum.Count, err
}

func (s brookPEL) claim(ctx context.Context, ids []pelID) (int, error) {
	got, err := s.b.XClaim(ctx, streamKey, "g", "c2", brookIDs(ids), broker.ClaimOptions{})
	return len(got), err
}

func (s brookPEL) close() error { return s.b.Close() }

type redisPEL struct{ rdb *redis.Client }

func (e *env) redisPELFill(ctx context.Context, p, extra int) (pelStore, []pelID, error) {
	rdb := e.redis(false).client(1)
	st := redisPEL{rdb}
	if err := rdb.FlushAll(ctx).Err(); err != nil {
		st.close()
		return nil, nil, err
	}
	for lo := 0; lo < p+extra; lo += redisBulkBatch {
		pipe := rdb.Pipeline()
		for range min(redisBulkBatch, p+extra-lo) {
			pipe.XAdd(ctx, &redis.XAddArgs{Stream: streamKey, Values: []any{"user_id", "1234", "type", "click", "payload", scalePayload}})
		}
		if _, err := pipe.Exec(ctx); err != nil {
			st.close()
			return nil, nil, fmt.Errorf("redis: xadd: %w", err)
		}
	}
	if err := rdb.XGroupCreate(ctx, streamKey, "g", "0").Err(); err != nil {
		st.close()
		return nil, nil, err
	}
	ids := make([]pelID, 0, p)
	for len(ids) < p {
		res, err := rdb.XReadGroup(ctx, &redis.XReadGroupArgs{Group: "g", Consumer: "c", Streams: []string{streamKey, ">"}, Count: int64(min(p-len(ids), 10_000)), Block: -1}).Result()
		if err != nil {
			st.close()
			return nil, nil, fmt.Errorf("redis: xreadgroup: %w", err)
		}
		for _, m := range res[0].Messages {
			ids = append(ids, pelID{text: m.ID})
		}
	}
	return st, ids, nil
}

func (s redisPEL) readNew(ctx context.Context) ([]pelID, error) {
	res, err := s.rdb.XReadGroup(ctx, &redis.XReadGroupArgs{Group: "g", Consumer: "c", Streams: []string{streamKey, ">"}, Count: growthReadBatch, Block: -1}).Result()
	if err == redis.Nil {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	out := make([]pelID, len(res[0].Messages))
	for i, m := range res[0].Messages {
		out[i].text = m.ID
	}
	return out, nil
}

func (s redisPEL) ack(ctx context.Context, ids []pelID) error {
	n, err := s.rdb.XAck(ctx, streamKey, "g", redisIDs(ids)...).Result()
	if err == nil && n != int64(len(ids)) {
		err = fmt.Errorf("acknowledged %d of %d", n, len(ids))
	}
	return err
}

func (s redisPEL) pending(ctx context.Context) (int64, error) {
	sum, err := s.rdb.XPending(ctx, streamKey, "g").Result()
	if err != nil {
		return 0, err
	}
	return sum.Count, nil
}

func (s redisPEL) claim(ctx context.Context, ids []pelID) (int, error) {
	got, err := s.rdb.XClaim(ctx, &redis.XClaimArgs{Stream: streamKey, Group: "g", Consumer: "c2", Messages: redisIDs(ids)}).Result()
	return len(got), err
}

func (s redisPEL) close() error { return s.rdb.Close() }

// ---- streams of many entries ----

func runGrowthEntries(e *env) error {
	mem := e.res.table("growth/entries/memory", "Growth: bytes per entry of one stream of N entries (3 small fields)", "entries", bytesPE)
	open := e.res.table("growth/entries/open", "Growth: broker.Open of a durable directory of N entries (90 % snapshot, 10 % log tail): time per entry", "entries", nanos)
	openTotal := e.res.table("growth/entries/opentime", "Growth: broker.Open of a durable directory of N entries: total time (CPU time in the next table)", "entries", nanos)
	openHeap := e.res.table("growth/entries/openheap", "Growth: heap after GC per entry of the broker opened from the durable directory", "entries", bytesPE)
	openCPU := e.res.table("growth/entries/opencpu", "Growth: broker.Open of a durable directory of N entries: process CPU time (getrusage) per entry", "entries", nanos)
	systems := []string{"brook"}
	if e.wants("Redis") && e.redis(false) != nil {
		systems = append(systems, "Redis")
	}
	systems = keepNames(e, systems)
	sizes := e.size.growthEntries
	// The durable directories are built once per size (minutes at 1e8) and
	// opened once per repetition.
	masters := map[int]string{}
	defer func() {
		for _, d := range masters {
			os.RemoveAll(d)
		}
	}()
	if slices.Contains(systems, "brook") {
		for _, n := range sizes {
			d, err := e.subdir("growth-master")
			if err != nil {
				return err
			}
			t0 := time.Now()
			if err := buildGrowthDir(e.ctx, d, n*9/10, n-n*9/10); err != nil {
				return fmt.Errorf("build %d entries: %w", n, err)
			}
			masters[n] = d
			fmt.Printf("  built a durable directory of %d entries in %s (%s on disk)\n", n, time.Since(t0).Round(time.Millisecond), formatBytes(dirBytes(d)))
		}
	}
	for rep := range e.count {
		for _, sys := range systems {
			sizes := sizes
			if sys == "Redis" {
				sizes = slices.DeleteFunc(slices.Clone(sizes), func(n int) bool { return n > redisGrowthMax })
			}
			err := e.growthRep("growth entries N", rep, sys, sizes, func(n int) (string, error) {
				row := strconv.Itoa(n)
				if sys == "Redis" {
					used, _, err := redisMemory(e.ctx, e.redis(false), n)
					if err != nil {
						return "", err
					}
					mem.add(row, sys, used)
					return fmt.Sprintf("%.1f B/entry", used), nil
				}
				per, err := brookBatchMemory(e.ctx, n)
				if err != nil {
					return "", err
				}
				mem.add(row, sys, per)
				wall, cpu, heap, err := e.openCopy(masters[n], n)
				if err != nil {
					return "", err
				}
				openHeap.add(row, sys, heap)
				open.add(row, sys, float64(wall.Nanoseconds())/float64(n))
				openTotal.add(row, sys, float64(wall.Nanoseconds()))
				openCPU.add(row, sys, float64(cpu.Nanoseconds())/float64(n))
				return fmt.Sprintf("%.1f B/entry, open %s (%s/entry, CPU %s, %.1f B/entry)", per, wall.Round(time.Millisecond), format(nanos, float64(wall.Nanoseconds())/float64(n)), cpu.Round(time.Millisecond), heap), nil
			}, func(row string, err error) {
				mem.fail(row, sys, err)
				if sys == "brook" {
					open.fail(row, sys, err)
					openTotal.fail(row, sys, err)
					openCPU.fail(row, sys, err)
					openHeap.fail(row, sys, err)
				}
			})
			if err != nil {
				return err
			}
		}
	}
	return nil
}

// growthBatch is how many entries one XAddBatch call appends when a stream
// is built.
const growthBatch = 10_000

// addGrowthEntries appends entries from..from+n-1 (brookFields) to streamKey
// with XAddBatch.
func addGrowthEntries(ctx context.Context, b *broker.Broker, from, n int) error {
	batch := make([][]broker.Field, 0, growthBatch)
	for i := from; i < from+n; i += growthBatch {
		batch = batch[:0]
		for j := i; j < min(i+growthBatch, from+n); j++ {
			batch = append(batch, brookFields(j))
		}
		if _, err := b.XAddBatch(ctx, streamKey, batch, broker.AddOptions{}); err != nil {
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
	}
	return nil
}

// brookBatchMemory is brook's heap after GC per entry of one stream of n
// entries appended with XAddBatch into broker.New.
func brookBatchMemory(ctx context.Context, n int) (float64, error) {
	b, err := broker.New(broker.Options{})
	if err != nil {
		return 0, err
	}
	defer b.Close()
	before := heapAfterGC()
	if err := addGrowthEntries(ctx, b, 0, n); err != nil {
		return 0, err
	}
	after := heapAfterGC()
	runtime.KeepAlive(b)
	return (float64(after) - float64(before)) / float64(n), nil
}

// growthDurability builds the directories: no fsync, snapshots only on
// Close, as in bench/recovery_test.go.
var growthDurability = broker.DurabilityOptions{Fsync: wal.FsyncNo, SnapshotEvery: -1}

// buildGrowthDir makes dir a data directory whose stream holds snap entries
// in a snapshot and tail entries in the log after it: the snapshot is
// written by a Close, then a second broker appends the tail, syncs, and the
// directory is copied while it is still open and idle (what a crash at that
// moment would leave); the copy replaces dir's content.
func buildGrowthDir(ctx context.Context, dir string, snap, tail int) error {
	src := dir + ".build"
	defer os.RemoveAll(src)
	b, err := broker.Open(src, broker.Options{Durability: growthDurability})
	if err != nil {
		return err
	}
	err = addGrowthEntries(ctx, b, 0, snap)
	if cerr := b.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	if b, err = broker.Open(src, broker.Options{Durability: growthDurability}); err != nil {
		return err
	}
	err = addGrowthEntries(ctx, b, snap, tail)
	if err == nil {
		err = b.Sync()
	}
	if err == nil {
		err = os.RemoveAll(dir)
	}
	if err == nil {
		err = os.CopyFS(dir, os.DirFS(src))
	}
	if cerr := b.Close(); err == nil {
		err = cerr
	}
	return err
}

// openCopy copies master (untimed: its files end up in the page cache, as
// after a restart), times broker.Open of the copy, checks the entry count,
// closes it and removes the copy. It returns the wall-clock and process CPU
// time of the Open, and the heap after GC per entry of the open broker.
func (e *env) openCopy(master string, n int) (wall, cpu time.Duration, heap float64, err error) {
	dir, err := e.subdir("growth-open")
	if err != nil {
		return 0, 0, 0, err
	}
	defer os.RemoveAll(dir)
	if err := os.RemoveAll(dir); err != nil {
		return 0, 0, 0, err
	}
	if err := os.CopyFS(dir, os.DirFS(master)); err != nil {
		return 0, 0, 0, err
	}
	before := heapAfterGC()
	cpu0, _ := processCPU()
	t0 := time.Now()
	b, err := broker.Open(dir, broker.Options{Durability: growthDurability})
	wall = time.Since(t0)
	cpu1, _ := processCPU()
	if err != nil {
		return 0, 0, 0, err
	}
	heap = (float64(heapAfterGC()) - float64(before)) / float64(n)
	got, err := b.XLen(e.ctx, streamKey)
	if cerr := b.Close(); err == nil {
		err = cerr
	}
	if err == nil && got != int64(n) {
		err = fmt.Errorf("opened %d entries, want %d", got, n)
	}
	return wall, cpu1 - cpu0, heap, err
}

// dirBytes is the size of the files under dir.
func dirBytes(dir string) int64 {
	var n int64
	filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			if fi, err := d.Info(); err == nil {
				n += fi.Size()
			}
		}
		return nil
	})
	return n
}

func formatBytes(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.2f GiB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	}
	return fmt.Sprintf("%d KiB", n>>10)
}

// ---- targets ----

// growthTargetSpecs are the growth tables with a flatness target: the
// peer compared, and whether the figure is a rate (its cost is the
// inverse).
var growthTargetSpecs = []struct {
	table, what, peer string
	rate              bool
}{
	{"growth/subs/subscribe", "subscribe cost per subscription", "NATS", false},
	{"growth/subs/publish", "publish + receive cost per message, round-robin over N channels", "NATS", true},
	{"growth/subs/publishcpu", "publish + receive CPU time per message, round-robin over N channels", "NATS", false},
	{"growth/subs/first", "publish + receive cost of each subscription's first message", "NATS", true},
	{"growth/pel/readack", "XREADGROUP 100 + XACK cost per entry", "Redis", true},
	{"growth/pel/ackold", "XREADGROUP 100 + XACK of the oldest cost per entry", "Redis", true},
	{"growth/pel/xpending", "XPENDING summary cost", "Redis", true},
	{"growth/pel/xclaim", "XCLAIM of 100 cost", "Redis", true},
	{"growth/pel/readackcpu", "XREADGROUP 100 + XACK CPU time per entry", "", false},
	{"growth/pel/ackoldcpu", "XREADGROUP 100 + XACK of the oldest CPU time per entry", "", false},
	{"growth/pel/xpendingcpu", "XPENDING summary CPU time", "", false},
	{"growth/pel/xclaimcpu", "XCLAIM of 100 CPU time", "", false},
	{"growth/entries/memory", "heap per entry", "Redis", false},
	{"growth/entries/openheap", "heap per entry after a durable open", "", false},
	{"growth/entries/open", "durable open time per entry", "", false},
	{"growth/entries/opencpu", "durable open CPU time per entry", "", false},
}

// growthKnee is the rise in cost over the smallest size that marks a
// curve's knee.
const growthKnee = 1.25

// growthTargets are the flatness targets of the growth workloads: brook's
// cost at the largest size over its cost at the smallest (paired per
// repetition) within 1.5x where the peer's is (or where no peer is
// measured), never linear; with the knee: the smallest size from which
// brook's cost stays above growthKnee times its cost at the smallest size
// ("none" when the largest size is not above it).
func growthTargets(res *results) []targetResult {
	var out []targetResult
	for _, s := range growthTargetSpecs {
		name := "growth: " + s.what + " at the largest size within 1.5x of the smallest"
		if s.peer != "" {
			name += " where " + s.peer + "'s is"
		}
		name += " (never linear)"
		out = append(out, growthFlat(res.find(s.table), name, s.peer, s.rate))
	}
	return out
}

// growthCost is system's cost in row over its cost in base, paired per
// repetition.
func growthCost(t *table, system, row, base string, rate bool) (float64, bool) {
	r, ok := t.rowRatio(system, row, base)
	if ok && rate {
		r = 1 / r
	}
	return r, ok
}

func growthFlat(t *table, name, peer string, rate bool) targetResult {
	na := targetResult{name: name, measured: "not measured in this run", verdict: "n/a"}
	if t == nil {
		return na
	}
	var rows []string // brook's rows, by size
	for _, r := range t.rows {
		if _, ok := t.median(r, "brook"); ok {
			rows = append(rows, r)
		}
	}
	if len(rows) < 2 {
		return na
	}
	slices.SortFunc(rows, func(a, b string) int { return atoi(a) - atoi(b) })
	lo, hi := rows[0], rows[len(rows)-1]
	b, _ := growthCost(t, "brook", hi, lo, rate)
	knee := "none"
	for i := len(rows) - 1; i > 0; i-- {
		if c, ok := growthCost(t, "brook", rows[i], lo, rate); !ok || c <= growthKnee {
			break
		}
		knee = rows[i]
	}
	linear := float64(atoi(hi)) / float64(atoi(lo))
	limit, why := 1.5, "no peer measured"
	if peer != "" {
		why = peer + " not measured"
		var prow []string
		for _, r := range rows {
			if _, ok := t.median(r, peer); ok {
				prow = append(prow, r)
			}
		}
		if len(prow) >= 2 {
			plo, phi := prow[0], prow[len(prow)-1]
			p, _ := growthCost(t, peer, phi, plo, rate)
			why = fmt.Sprintf("%s %.2fx from %s to %s", peer, p, plo, phi)
			if p > 1.5 {
				limit = linear
				why += ", so only sublinear"
			}
		}
	}
	verdict := "**PASS**"
	if b > limit || b >= linear {
		verdict = "**MISS**"
	}
	return targetResult{name: name, measured: fmt.Sprintf("brook %s vs %s %.2fx, knee %s (%s; linear %.0fx)", hi, lo, b, knee, why, linear), verdict: verdict}
}

// growthPlots are the growth workloads' curves.
var growthPlots = []plotSpec{
	{table: "growth/subs/subscribe", file: "peers-growth-subscribe.png", title: "Subscribe cost per subscription, N channels of one subscription",
		xLabel: "channels (log scale)", yLabel: "ns/subscription", logX: true},
	{table: "growth/subs/publish", file: "peers-growth-publish.png", title: "Publish + receive round-robin over N channels",
		xLabel: "channels (log scale)", yLabel: "messages/s", logX: true},
	{table: "growth/subs/publishcpu", file: "peers-growth-publish-cpu.png", title: "Publish + receive over N channels: process CPU time per message",
		xLabel: "channels (log scale)", yLabel: "ns/message", logX: true},
	{table: "growth/subs/first", file: "peers-growth-publish-first.png", title: "First round over N channels (each subscription's first message)",
		xLabel: "channels (log scale)", yLabel: "messages/s", logX: true},
	{table: "growth/pel/readack", file: "peers-growth-pel-readack.png", title: "XREADGROUP 100 + XACK with P entries pending",
		xLabel: "pending entries (log scale)", yLabel: "entries/s", logX: true},
	{table: "growth/pel/ackold", file: "peers-growth-pel-ackold.png", title: "XREADGROUP 100 + XACK of the 100 oldest, P pending",
		xLabel: "pending entries (log scale)", yLabel: "entries/s", logX: true},
	{table: "growth/pel/xpending", file: "peers-growth-pel-xpending.png", title: "XPENDING summary with P entries pending",
		xLabel: "pending entries (log scale)", yLabel: "calls/s", logX: true},
	{table: "growth/pel/xclaim", file: "peers-growth-pel-xclaim.png", title: "XCLAIM of 100 IDs with P entries pending",
		xLabel: "pending entries (log scale)", yLabel: "calls/s", logX: true},
	{table: "growth/entries/memory", file: "peers-growth-memory.png", title: "Bytes per entry, one stream of N entries",
		xLabel: "entries (log scale)", yLabel: "bytes/entry", logX: true},
	{table: "growth/entries/open", file: "peers-growth-open.png", title: "Durable open (snapshot + log tail): time per entry",
		xLabel: "entries (log scale)", yLabel: "ns/entry", logX: true},
}
