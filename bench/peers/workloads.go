package main

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// pubsubRun is one measured Pub/Sub point for one system.
type pubsubRun struct {
	cfg      pubsubConfig
	payload  int           // bytes per message
	messages int           // messages to publish in the flood (total over publishers)
	maxTime  time.Duration // the flood stops publishing after this long
	probes   int           // latency probes (0: none)
	settle   bool          // collect garbage after set-up, before the flood
}

// pubsubResult is what one run measured.
type pubsubResult struct {
	deliveriesPerSec float64
	publishesPerSec  float64
	p50, p99         time.Duration // zero without probes
}

// errNotDrained is returned when subscribers did not receive every message
// of a flood within the grace period after publishing stopped.
var errNotDrained = errors.New("subscribers did not receive every message")

// drainGrace is how long a run waits, after publishing stopped, for the
// subscribers to receive what is in flight.
const drainGrace = 10 * time.Second

// windowDeliveries bounds the deliveries in flight per flood: a publisher
// never gets more than windowDeliveries/N messages (at least 4, at most
// 16384) ahead of the slowest subscriber. This keeps every system within its
// default buffer limits, so none drops or disconnects.
const windowDeliveries = 32768

// deadlineEvery is how many messages a flood publisher sends between two
// looks at the clock.
const deadlineEvery = 64

// runPubSub measures one point on one system: warm-up probes, a flood for
// throughput, then latency probes.
func runPubSub(ctx context.Context, p pubsubPeer, r pubsubRun) (pubsubResult, error) {
	tr := newTracker(r.cfg.subscribers)
	sess, err := p.start(r.cfg, tr)
	if err != nil {
		return pubsubResult{}, err
	}
	defer sess.close()
	pubs := make([]publisher, r.cfg.publishers)
	for i := range pubs {
		if pubs[i], err = sess.publisher(); err != nil {
			return pubsubResult{}, err
		}
	}
	// Warm-up: a few probes prove every subscription is live.
	if _, err := probe(ctx, tr, pubs[0], 3, r.payload); err != nil {
		return pubsubResult{}, fmt.Errorf("warm-up: %w", err)
	}
	if r.settle {
		// Subscribing P patterns leaves garbage (the NATS and brook
		// compilers', the Redis client's replies) and a heap that grew by
		// megabytes: without this, the GC cycles and the sweeping it calls
		// for may fall into the flood of a P=10000 point and in none of a
		// P=0 point. runtime.GC returns once marking and sweeping are done.
		runtime.GC()
	}
	res, err := flood(ctx, tr, pubs, r)
	if err != nil || r.probes == 0 {
		return res, err
	}
	lat, err := probe(ctx, tr, pubs[0], r.probes, r.payload)
	if err != nil {
		return res, fmt.Errorf("latency probes: %w", err)
	}
	res.p50, res.p99 = percentile(lat, 0.50), percentile(lat, 0.99)
	return res, nil
}

// flood publishes r.messages (or as many as fit in r.maxTime) from every
// publisher at full speed under the window, and measures until the last
// delivery.
func flood(ctx context.Context, tr *tracker, pubs []publisher, r pubsubRun) (pubsubResult, error) {
	n := len(tr.subs)
	base := tr.minCount()
	window := int64(min(max(windowDeliveries/n, 4), 16384))
	payload := make([]byte, r.payload)
	share := r.messages / len(pubs)
	tr.phase(base + int64(share*len(pubs)))

	var sent atomic.Int64
	errs := make([]error, len(pubs))
	start := time.Now()
	deadline := start.Add(r.maxTime)
	var wg sync.WaitGroup
	for j, pub := range pubs {
		wg.Go(func() {
			errs[j] = publishShare(ctx, tr, pub, payload, share, len(pubs), base, window, deadline, &sent)
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return pubsubResult{}, err
	}
	total := sent.Load()
	tr.lower(base + total)
	select {
	case <-tr.doneCh():
	case <-time.After(drainGrace):
		return pubsubResult{}, fmt.Errorf("%w: %d of %d deliveries", errNotDrained, tr.total()-base*int64(n), total*int64(n))
	case <-ctx.Done():
		return pubsubResult{}, ctx.Err()
	}
	sec := time.Since(start).Seconds()
	return pubsubResult{
		deliveriesPerSec: float64(total) * float64(n) / sec,
		publishesPerSec:  float64(total) / sec,
	}, nil
}

// publishShare is one publisher's part of a flood. Before every quarter of
// a window it waits until the slowest subscriber is less than a window
// behind this publisher's position (scaled by the number of publishers).
func publishShare(ctx context.Context, tr *tracker, pub publisher, payload []byte, share, npub int, base, window int64, deadline time.Time, sent *atomic.Int64) error {
	step := max(window/4, 1)
	for i := range int64(share) {
		if i%deadlineEvery == 0 && time.Now().After(deadline) {
			return pub.flush()
		}
		if i%step == 0 {
			if err := pub.flush(); err != nil {
				return err
			}
			if err := waitFor(ctx, func() bool { return tr.minCount() >= base+i*int64(npub)-window }); err != nil {
				return err
			}
		}
		if err := pub.publish(payload); err != nil {
			return err
		}
		sent.Add(1)
	}
	return pub.flush()
}

// waitFor polls cond, yielding, then sleeping briefly, until it holds.
func waitFor(ctx context.Context, cond func() bool) error {
	deadline := time.Now().Add(drainGrace)
	for spin := 0; !cond(); spin++ {
		if spin < 64 {
			runtime.Gosched()
			continue
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		if time.Now().After(deadline) {
			return errNotDrained
		}
		time.Sleep(20 * time.Microsecond)
	}
	return nil
}

// probe publishes k stamped messages one at a time, each after every
// subscriber received the previous one, and returns the latencies.
func probe(ctx context.Context, tr *tracker, pub publisher, k, size int) ([]int64, error) {
	tr.probing.Store(true)
	defer tr.probing.Store(false)
	for range k {
		tr.phase(tr.minCount() + 1)
		if err := pub.publish(tr.stamped(size)); err != nil {
			return nil, err
		}
		if err := pub.flush(); err != nil {
			return nil, err
		}
		select {
		case <-tr.doneCh():
		case <-time.After(drainGrace):
			return nil, fmt.Errorf("probe: %w", errNotDrained)
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	return tr.latencies(), nil
}

// percentile returns the q-quantile (nearest rank) of ns as a duration.
func percentile(ns []int64, q float64) time.Duration {
	if len(ns) == 0 {
		return 0
	}
	slices.Sort(ns)
	i := int(q*float64(len(ns))+0.5) - 1
	return time.Duration(ns[min(max(i, 0), len(ns)-1)])
}

// runFanout: 1 publisher -> N subscribers, per payload size.
func runFanout(e *env) error {
	peers := e.pubsubPeers(false)
	for _, size := range e.size.payloads {
		pn := payloadName(size)
		rate := e.res.table("fanout/"+pn+"/deliveries", "Fan-out, "+pn+" payload: deliveries/s", "subscribers", perSec)
		p50 := e.res.table("fanout/"+pn+"/p50", "Fan-out, "+pn+" payload: latency p50", "subscribers", nanos)
		p99 := e.res.table("fanout/"+pn+"/p99", "Fan-out, "+pn+" payload: latency p99", "subscribers", nanos)
		for _, n := range e.size.subscribers {
			row := strconv.Itoa(n)
			r := pubsubRun{
				cfg:      pubsubConfig{subscribers: n, publishers: 1},
				payload:  size,
				messages: max(e.size.deliveries/n, 100),
				maxTime:  e.size.floodTime,
				probes:   min(max(e.size.probeSamples/n, 5), 2000),
			}
			err := e.record("fanout N="+row+" "+pn, names(peers), func(i int) (string, error) {
				res, err := runPubSub(e.ctx, peers[i], r)
				if err != nil {
					return "", err
				}
				rate.add(row, peers[i].name(), res.deliveriesPerSec)
				p50.add(row, peers[i].name(), float64(res.p50))
				p99.add(row, peers[i].name(), float64(res.p99))
				return fmt.Sprintf("%s deliveries/s p99 %v", format(perSec, res.deliveriesPerSec), res.p99), nil
			}, func(i int, err error) { rate.fail(row, peers[i].name(), err) })
			if err != nil {
				return err
			}
		}
	}
	return nil
}

// runPatterns: publish rate with P non-matching patterns and one plain
// subscriber. Its target compares brook's points with each other, so in
// each repetition every system runs its points back to back, in an order
// reversed every other repetition (P=0, 100, 10000, then 10000, 100, 0),
// rather than every repetition of P=0 before any of P=10000: a load swing
// of the shared machine then hits the points it compares alike, and the
// target pairs them per repetition.
func runPatterns(e *env) error {
	peers := e.pubsubPeers(true)
	t := e.res.table("patterns/rate", "Publish with P non-matching pattern subscriptions (1 plain subscriber): messages/s", "patterns", perSec)
	for rep := range e.count {
		for _, p := range peers {
			order := slices.Clone(e.size.patterns)
			if rep%2 == 1 {
				slices.Reverse(order)
			}
			for _, np := range order {
				if err := patternsPoint(e, p, t, np, rep); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// patternsPoint runs repetition rep of the patterns point P=np on p.
func patternsPoint(e *env, p pubsubPeer, t *table, np, rep int) error {
	row := strconv.Itoa(np)
	r := pubsubRun{
		cfg:      pubsubConfig{subscribers: 1, publishers: 1, patterns: nonMatchingPatterns(np)},
		payload:  64,
		messages: e.size.patternMsgs,
		maxTime:  e.size.floodTime,
		settle:   true,
	}
	return e.recordRep("patterns P="+row, rep, []string{p.name()}, func(int) (string, error) {
		if rp, ok := p.(redisPeer); ok {
			// P=0 follows P=10000: each point gets a fresh server.
			if err := rp.srv.restart(e.ctx); err != nil {
				return "", err
			}
		}
		res, err := runPubSub(e.ctx, p, r)
		if err != nil {
			return "", err
		}
		t.add(row, p.name(), res.publishesPerSec)
		return format(perSec, res.publishesPerSec) + " publishes/s", nil
	}, func(_ int, err error) { t.fail(row, p.name(), err) })
}

// nonMatchingPatterns returns n patterns, valid both as Redis globs and as
// NATS wildcard subjects, none matching fanoutSubject.
func nonMatchingPatterns(n int) []string {
	out := make([]string, n)
	for i := range out {
		switch i % 3 {
		case 0:
			out[i] = "sensor." + strconv.Itoa(i) + ".*"
		case 1:
			out[i] = "*." + strconv.Itoa(i) + ".alert"
		default:
			out[i] = "log.*." + strconv.Itoa(i)
		}
	}
	return out
}

// runManyPublishers: 8 publishers, 100 subscribers.
func runManyPublishers(e *env) error {
	peers := e.pubsubPeers(false)
	const pubs, subs = 8, 100
	row := fmt.Sprintf("%d x %d", pubs, subs)
	t := e.res.table("manypub/deliveries", "Many publishers: deliveries/s", "publishers x subscribers", perSec)
	r := pubsubRun{
		cfg:      pubsubConfig{subscribers: subs, publishers: pubs},
		payload:  64,
		messages: max(e.size.deliveries/subs, 100*pubs),
		maxTime:  e.size.floodTime,
	}
	return e.record("manypub "+row, names(peers), func(i int) (string, error) {
		res, err := runPubSub(e.ctx, peers[i], r)
		if err != nil {
			return "", err
		}
		t.add(row, peers[i].name(), res.deliveriesPerSec)
		return format(perSec, res.deliveriesPerSec) + " deliveries/s", nil
	}, func(i int, err error) { t.fail(row, peers[i].name(), err) })
}

// names returns the systems' names.
func names[P interface{ name() string }](ps []P) []string {
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = p.name()
	}
	return out
}
