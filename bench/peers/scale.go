package main

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"strconv"
	"time"

	"github.com/brookmq/brook/broker"
	"github.com/brookmq/brook/internal/patternscale"
	"github.com/nats-io/nats.go"
)

// scaleShape is one pattern shape of the scale workload: brook's glob for
// pattern i, and the NATS subject wildcard that comes closest to it.
type scaleShape struct {
	name        string
	brook, nats func(i int) string
	differs     string // how the NATS wildcard differs from the glob
}

// scaleShapes: a literal prefix, a literal suffix, and a literal inside only.
// Redis's `*` spans separators and NATS's `*` is one token, `>` one or more
// at the end, so the NATS side is the nearest subject wildcard, not the same
// set of subjects.
var scaleShapes = []scaleShape{
	{"prefix p:<i>:*", patternscale.Shapes[0].Pattern,
		func(i int) string { return "p." + strconv.Itoa(i) + ".>" },
		"`p.<i>.>`: needs one more token, where the glob also matches \"p:<i>:\""},
	{"suffix *:<i>", patternscale.Shapes[1].Pattern,
		func(i int) string { return "*." + strconv.Itoa(i) },
		"`*.<i>`: exactly one token before <i>, where the glob takes any bytes"},
	{"inner *:<i>:*", patternscale.Shapes[2].Pattern,
		func(i int) string { return "*." + strconv.Itoa(i) + ".>" },
		"`*.<i>.>`: <i> must be the second token, where the glob finds it anywhere"},
}

// scalePeer is a system measured by the scale workload.
type scalePeer interface {
	name() string
	// scale subscribes to the patterns of shape for 0..n-1, then publishes on
	// the scale channels for d, and returns the subscribe cost per pattern
	// and the publish rate, with their CPU times.
	scale(ctx context.Context, shape scaleShape, n int, d time.Duration) (scalePoint, error)
}

// scalePoint is one point of the scale workload: the subscribe cost per
// pattern and the publish rate, wall-clock, and the process's CPU time
// (getrusage, user + system: the garbage collector's, and for NATS the
// in-process server's, included) per pattern and per publish, which a
// shared machine's load moves less than the wall-clock figures.
type scalePoint struct {
	subNs, perSec, subCPU, pubCPU float64
}

// cpuSince returns the process CPU time since c0, in nanoseconds per op,
// or -1 if the system does not report it.
func cpuSince(c0 time.Duration, ops int) float64 {
	c1, ok := processCPU()
	if !ok || ops == 0 {
		return -1
	}
	return float64((c1 - c0).Nanoseconds()) / float64(ops)
}

// runScale: the cost of subscribing P patterns, and the publish rate on
// channels none of them matches, as P grows, per shape. Like runPatterns,
// every repetition runs each system's points back to back (order reversed
// every other repetition), so the flatness targets pair them.
func runScale(e *env) error {
	peers := keep(e, []scalePeer{brookScale{}, natsScale{}})
	for rep := range e.count {
		for _, sh := range scaleShapes {
			pub := e.res.table("scale/"+sh.name+"/publish", "Scale, "+sh.name+": publishes/s on non-matching channels with P patterns", "patterns", perSec)
			sub := e.res.table("scale/"+sh.name+"/subscribe", "Scale, "+sh.name+": subscribe cost per pattern", "patterns", nanos)
			pubCPU := e.res.table("scale/"+sh.name+"/publish-cpu", "Scale, "+sh.name+": process CPU time per publish on non-matching channels with P patterns", "patterns", nanos)
			subCPU := e.res.table("scale/"+sh.name+"/subscribe-cpu", "Scale, "+sh.name+": process CPU time per pattern subscribed", "patterns", nanos)
			for _, p := range peers {
				order := append([]int(nil), e.size.scalePatterns...)
				if rep%2 == 1 {
					for i, j := 0, len(order)-1; i < j; i, j = i+1, j-1 {
						order[i], order[j] = order[j], order[i]
					}
				}
				for _, n := range order {
					row := strconv.Itoa(n)
					err := e.recordRep("scale "+sh.name+" P="+row, rep, []string{p.name()}, func(int) (string, error) {
						pt, err := p.scale(e.ctx, sh, n, e.size.scaleTime)
						runtime.GC() // the point's garbage, before the next point
						if err != nil {
							return "", err
						}
						sub.add(row, p.name(), pt.subNs)
						pub.add(row, p.name(), pt.perSec)
						if pt.pubCPU >= 0 && pt.subCPU >= 0 {
							pubCPU.add(row, p.name(), pt.pubCPU)
							subCPU.add(row, p.name(), pt.subCPU)
						}
						return fmt.Sprintf("%s publishes/s (cpu %s), subscribe %s (cpu %s)", format(perSec, pt.perSec), format(nanos, pt.pubCPU),
							format(nanos, pt.subNs), format(nanos, pt.subCPU)), nil
					}, func(_ int, err error) {
						pub.fail(row, p.name(), err)
						sub.fail(row, p.name(), err)
					})
					if err != nil {
						return err
					}
				}
			}
		}
	}
	return nil
}

// brookScale is brook's in-memory broker: one subscription, one PSubscribe
// call per pattern; publishes on channels without subscribers.
type brookScale struct{}

func (brookScale) name() string { return "brook" }

func (brookScale) scale(ctx context.Context, sh scaleShape, n int, d time.Duration) (scalePoint, error) {
	b, _ := broker.New(broker.Options{})
	defer b.Close()
	s, _ := b.NewSubscription(broker.SubscriptionOptions{})
	pats := make([]string, n)
	for i := range pats {
		pats[i] = sh.brook(i)
	}
	runtime.GC()
	c0, _ := processCPU()
	t0 := time.Now()
	for _, p := range pats {
		if _, err := s.PSubscribe(p); err != nil {
			return scalePoint{}, fmt.Errorf("brook: psubscribe: %w", err)
		}
	}
	pt := scalePoint{subNs: float64(time.Since(t0).Nanoseconds()) / float64(n), subCPU: cpuSince(c0, n)}
	chans := make([]string, patternscale.Channels)
	for j := range chans {
		chans[j] = patternscale.Channel(j, ":")
	}
	payload := make([]byte, 64)
	count, t1, c1, err := publishFor(d, chans, func(ch string) error {
		got, err := b.Publish(ctx, ch, payload)
		if err == nil && got != 0 {
			err = fmt.Errorf("brook: %s reached %d subscriptions", ch, got)
		}
		return err
	})
	if err != nil {
		return scalePoint{}, err
	}
	pt.perSec = float64(count) / time.Since(t1).Seconds()
	pt.pubCPU = cpuSince(c1, count)
	return pt, nil
}

// publishFor publishes to chans in turn, after a collection, for about d,
// checking the clock every deadlineEvery messages, and returns how many it
// published, when it started and the process's CPU time then.
func publishFor(d time.Duration, chans []string, publish func(ch string) error) (int, time.Time, time.Duration, error) {
	runtime.GC()
	c1, _ := processCPU()
	count, t1 := 0, time.Now()
	for deadline := t1.Add(d); ; count++ {
		if count%deadlineEvery == 0 && time.Now().After(deadline) {
			return count, t1, c1, nil
		}
		if err := publish(chans[count%len(chans)]); err != nil {
			return count, t1, c1, err
		}
	}
}

// natsScale is core NATS embedded in-process: the patterns' nearest
// wildcard subscriptions on one connection (sharing one Go channel),
// timed until a Flush returns, so that the server has them all; publishes
// on another connection, timed until its Flush returns.
type natsScale struct{}

func (natsScale) name() string { return "NATS" }

func (natsScale) scale(_ context.Context, sh scaleShape, n int, d time.Duration) (scalePoint, error) {
	srv, err := startNATS("", false)
	if err != nil {
		return scalePoint{}, err
	}
	defer srv.stop()
	sc, err := srv.connect()
	if err != nil {
		return scalePoint{}, err
	}
	defer sc.Close()
	pc, err := srv.connect()
	if err != nil {
		return scalePoint{}, err
	}
	defer pc.Close()
	subjects := make([]string, n)
	for i := range subjects {
		subjects[i] = sh.nats(i)
	}
	never := make(chan *nats.Msg, 1)
	runtime.GC()
	c0, _ := processCPU()
	t0 := time.Now()
	for _, p := range subjects {
		if _, err := sc.ChanSubscribe(p, never); err != nil {
			return scalePoint{}, fmt.Errorf("nats: subscribe %q: %w", p, err)
		}
	}
	if err := sc.Flush(); err != nil {
		return scalePoint{}, fmt.Errorf("nats: flush: %w", err)
	}
	pt := scalePoint{subNs: float64(time.Since(t0).Nanoseconds()) / float64(n), subCPU: cpuSince(c0, n)}
	chans := make([]string, patternscale.Channels)
	for j := range chans {
		chans[j] = patternscale.Channel(j, ".")
	}
	payload := make([]byte, 64)
	count, t1, c1, err := publishFor(d, chans, func(ch string) error { return pc.Publish(ch, payload) })
	if err != nil {
		return scalePoint{}, fmt.Errorf("nats: publish: %w", err)
	}
	if err := pc.FlushTimeout(time.Minute); err != nil {
		return scalePoint{}, fmt.Errorf("nats: flush: %w", err)
	}
	pt.perSec = float64(count) / time.Since(t1).Seconds()
	pt.pubCPU = cpuSince(c1, count)
	if len(never) > 0 {
		return scalePoint{}, errors.New("nats: a pattern subscription received a message")
	}
	return pt, nil
}

// scaleTargets are the flatness targets of the scale workload, one per
// shape and measure: brook's figure at the largest P over its figure at the
// smallest (cost, so publish rates are inverted), paired per repetition,
// must be within 1.5x where NATS's is, and never worse than linear.
func scaleTargets(res *results) []targetResult {
	var out []targetResult
	for _, sh := range scaleShapes {
		for _, m := range []struct{ id, what string }{{"publish", "publish cost"}, {"subscribe", "subscribe cost per pattern"}} {
			name := "scale, " + sh.name + ": " + m.what + " at the largest P within 1.5x of the smallest where NATS's is (never linear)"
			out = append(out, flatTarget(res.find("scale/"+sh.name+"/"+m.id), name, m.id == "publish"))
		}
	}
	return out
}

// flatTarget evaluates one flatness target on t (nil: not measured).
func flatTarget(t *table, name string, rate bool) targetResult {
	na := targetResult{name: name, measured: "not measured in this run", verdict: "n/a"}
	if t == nil || len(t.rows) < 2 {
		return na
	}
	lo, hi := t.rows[0], t.rows[0]
	for _, r := range t.rows {
		if atoi(r) < atoi(lo) {
			lo = r
		}
		if atoi(r) > atoi(hi) {
			hi = r
		}
	}
	growth := func(system string) (float64, bool) {
		r, ok := t.rowRatio(system, hi, lo)
		if ok && rate {
			r = 1 / r // rates: cost is the inverse
		}
		return r, ok
	}
	b, ok := growth("brook")
	if !ok {
		return na
	}
	linear := float64(atoi(hi)) / float64(atoi(lo))
	limit, why := 1.5, "NATS flat"
	n, nok := growth("NATS")
	switch {
	case nok && n > 1.5:
		limit, why = linear, fmt.Sprintf("NATS %.2fx, so only sublinear", n)
	case !nok:
		why = "NATS not measured"
	default:
		why = fmt.Sprintf("NATS %.2fx", n)
	}
	verdict := "**PASS**"
	if b > limit || b >= linear {
		verdict = "**MISS**"
	}
	return targetResult{name: name, measured: fmt.Sprintf("brook P=%s vs P=%s %.2fx (%s; linear %.0fx)", hi, lo, b, why, linear), verdict: verdict}
}

func atoi(s string) int {
	n, _ := strconv.Atoi(s)
	return n
}
