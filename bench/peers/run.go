package main

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// sizes are the dimensions of a run: the default one or -tiny.
type sizes struct {
	subscribers    []int
	payloads       []int
	deliveries     int // fan-out deliveries per point (messages x N)
	floodTime      time.Duration
	probeSamples   int // latency samples per point (probes x N)
	patterns       []int
	patternMsgs    int
	scalePatterns  []int         // P of the scale workload
	scaleTime      time.Duration // publishing time per scale point
	appendTime     time.Duration
	memProducers   []int
	durProducers   []int
	consumeEntries int
	memoryEntries  int
	wmMessages     int           // messages per point of the Watermill API workload
	wmBatches      []int         // its messages per Publish call
	scaleStreams   []int         // streams per point of the scale workload
	planCount      int           // objects per figure of the plan workload
	workerEntries  int           // entries consumed per point of the worker workload
	workerBatches  []int         // its read batch sizes (rows)
	growthChannels []int         // N of the growth-subs workload
	growthPending  []int         // P of the growth-pel workload
	growthEntries  []int         // N of the growth-entries workload (-entries)
	growthReads    int           // entries read by each of growth-pel's two read loops
	growthTime     time.Duration // publishing time of a growth-subs point, calling time of a growth-pel one
}

func sizesFor(tiny bool) sizes {
	if tiny {
		return sizes{
			subscribers: []int{1, 10}, payloads: []int{64}, deliveries: 2000, floodTime: 500 * time.Millisecond,
			probeSamples: 20, patterns: []int{0, 100}, patternMsgs: 1000, appendTime: 100 * time.Millisecond,
			scalePatterns: []int{100, 1000}, scaleTime: 50 * time.Millisecond,
			memProducers: []int{1, 4}, durProducers: []int{1, 4}, consumeEntries: 1000, memoryEntries: 10000,
			wmMessages: 2000, wmBatches: []int{1, 100}, scaleStreams: []int{1000}, planCount: 1000,
			workerEntries: 2000, workerBatches: []int{16},
			growthChannels: []int{100, 1000}, growthPending: []int{100, 1000}, growthEntries: []int{1000, 10_000},
			growthReads: 1000, growthTime: 20 * time.Millisecond,
		}
	}
	return sizes{
		subscribers: []int{1, 10, 100, 1000}, payloads: []int{64, 1024}, deliveries: 3_000_000, floodTime: 1500 * time.Millisecond,
		probeSamples: 5000, patterns: []int{0, 100, 10000}, patternMsgs: 10_000_000, appendTime: time.Second,
		scalePatterns: []int{1000, 10_000, 100_000, 1_000_000}, scaleTime: 500 * time.Millisecond,
		memProducers: []int{1, 16}, durProducers: []int{1, 16, 64}, consumeEntries: 100_000, memoryEntries: 1_000_000,
		wmMessages: 200_000, wmBatches: []int{1, 100}, scaleStreams: []int{1000, 10_000, 100_000, 1_000_000}, planCount: 100_000,
		workerEntries: 200_000, workerBatches: []int{16, 100},
		growthChannels: []int{1000, 10_000, 100_000, 1_000_000}, growthPending: []int{1000, 10_000, 100_000, 1_000_000},
		growthEntries: []int{1000, 10_000, 100_000, 1_000_000, 10_000_000}, growthReads: 200_000, growthTime: 500 * time.Millisecond,
	}
}

func payloadName(n int) string {
	if n%1024 == 0 {
		return strconv.Itoa(n/1024) + "KiB"
	}
	return strconv.Itoa(n) + "B"
}

func (s sizes) payloadNames() []string {
	var out []string
	for _, p := range s.payloads {
		out = append(out, payloadName(p))
	}
	return out
}

// memoryRow, redisUsedMemory: the memory table's row and Redis column used by
// the bytes-per-entry target.
const (
	memoryRow       = "stream entries"
	redisUsedMemory = "Redis (used_memory)"
)

// workloads maps each -only name to its runner.
var workloads = map[string]func(*env) error{
	"fanout":    runFanout,
	"patterns":  runPatterns,
	"scale":     runScale,
	"streams":   runStreamsScale,
	"plan":      runPlan,
	"manypub":   runManyPublishers,
	"append":    runAppend,
	"durable":   runDurable,
	"consume":   runConsume,
	"worker":    runWorker,
	"memory":    runMemory,
	"watermill": runWatermill,
	"outgrow":   runOutgrow,

	"growth-subs":    runGrowthSubs,
	"growth-pel":     runGrowthPEL,
	"growth-entries": runGrowthEntries,
}

// pubsubPeers are the Pub/Sub systems; Redis only when it runs.
func (e *env) pubsubPeers(withPatterns bool) []pubsubPeer {
	ps := []pubsubPeer{brookPeer{}, natsPeer{}}
	if !withPatterns {
		ps = append([]pubsubPeer{rawPeer{}}, append(ps, watermillPeer{})...)
	}
	if e.wants("Redis") {
		if r := e.redis(false); r != nil {
			ps = append(ps, redisPeer{r})
		}
	}
	return keep(e, ps)
}

// streamPeers are the Streams systems; Redis only when it runs.
func (e *env) streamPeers(durable bool) []streamPeer {
	ps := []streamPeer{brookStreams{}, jsStreams{}}
	if e.wants("Redis") {
		if r := e.redis(durable); r != nil {
			ps = append(ps, redisStreams{mem: e.redis(false), durable: e.redisDur})
		}
	}
	return keep(e, ps)
}

// wants reports whether -systems selects the system called name (all by
// default; names match case-insensitively by prefix).
func (e *env) wants(name string) bool {
	if len(e.systems) == 0 {
		return true
	}
	for _, s := range e.systems {
		if strings.HasPrefix(strings.ToLower(name), strings.ToLower(s)) {
			return true
		}
	}
	return false
}

// keep returns the peers -systems selects.
func keep[P interface{ name() string }](e *env, ps []P) []P {
	var out []P
	for _, p := range ps {
		if e.wants(p.name()) {
			out = append(out, p)
		}
	}
	return out
}

// record runs f for every system count times, interleaved, and reports
// progress; f records into the tables itself and returns a short summary.
func (e *env) record(point string, systems []string, f func(system int) (string, error), fail func(system int, err error)) error {
	for rep := range e.count {
		if err := e.recordRep(point, rep, systems, f, fail); err != nil {
			return err
		}
	}
	return nil
}

// recordRep is repetition rep of record: f once for every system, in turn.
// A workload whose points are compared with each other calls it for every
// point inside its own loop over the repetitions, so that the points of one
// repetition run back to back.
func (e *env) recordRep(point string, rep int, systems []string, f func(system int) (string, error), fail func(system int, err error)) error {
	for i, name := range systems {
		if err := e.ctx.Err(); err != nil {
			return err
		}
		t0 := time.Now()
		summary, err := f(i)
		if err != nil {
			if e.ctx.Err() != nil {
				return e.ctx.Err()
			}
			fail(i, err)
			e.res.note("%s, %s: %v", point, name, err)
			summary = "failed: " + err.Error()
		}
		fmt.Printf("  %-28s %-10s rep %d  %-40s (%s)\n", point, name, rep+1, summary, time.Since(t0).Round(time.Millisecond))
	}
	return nil
}

func plotSpecs(s sizes) []plotSpec {
	var specs []plotSpec
	for _, p := range s.payloadNames() {
		specs = append(specs, plotSpec{
			table: "fanout/" + p + "/deliveries", file: "peers-fanout-" + p + ".png",
			title: "Fan-out, " + p + " payload: deliveries/s", xLabel: "subscribers (log scale)", yLabel: "deliveries/s", logX: true,
		})
	}
	specs = append(specs, plotSpec{
		table: "append/durable", file: "peers-durable.png", title: "Durable appends (fsync always)",
		xLabel: "producers (log scale)", yLabel: "appends/s", logX: true, flat: []string{diskSystem},
	})
	specs = append(specs, plotSpec{
		table: "scale/xadd", file: "peers-scale-xadd.png", title: "Appends spread over N streams",
		xLabel: "streams (log scale)", yLabel: "appends/s", logX: true,
	}, plotSpec{
		table: "scale/memory", file: "peers-scale-memory.png", title: "Bytes per stream holding one entry",
		xLabel: "streams (log scale)", yLabel: "bytes/stream", logX: true,
	})
	for _, sh := range scaleShapes {
		short, _, _ := strings.Cut(sh.name, " ")
		specs = append(specs, plotSpec{
			table: "scale/" + sh.name + "/publish", file: "peers-scale-patterns-" + short + "-publish.png",
			title: "Publish on non-matching channels, P patterns " + sh.name, xLabel: "patterns (log scale)", yLabel: "publishes/s", logX: true,
		}, plotSpec{
			table: "scale/" + sh.name + "/subscribe", file: "peers-scale-patterns-" + short + "-subscribe.png",
			title: "Subscribe cost per pattern, " + sh.name, xLabel: "patterns (log scale)", yLabel: "ns/pattern", logX: true,
		}, plotSpec{
			table: "scale/" + sh.name + "/publish-cpu", file: "peers-scale-patterns-" + short + "-publish-cpu.png",
			title: "CPU time per publish on non-matching channels, " + sh.name, xLabel: "patterns (log scale)", yLabel: "CPU ns/publish", logX: true,
		}, plotSpec{
			table: "scale/" + sh.name + "/subscribe-cpu", file: "peers-scale-patterns-" + short + "-subscribe-cpu.png",
			title: "CPU time per pattern subscribed, " + sh.name, xLabel: "patterns (log scale)", yLabel: "CPU ns/pattern", logX: true,
		})
	}
	return append(specs, growthPlots...)
}
