package main

// The harness is a main package, so its tests are white-box.

import (
	"context"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/brookmq/brook/broker"
	"github.com/brookmq/brook/internal/patternscale"
	"github.com/brookmq/brook/pattern"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

func TestPercentile(t *testing.T) {
	tests := []struct {
		name string
		ns   []int64
		q    float64
		want time.Duration
	}{
		{"empty", nil, 0.5, 0},
		{"one", []int64{7}, 0.99, 7},
		{"median of 1..100", seq(100), 0.5, 50},
		{"p99 of 1..100", seq(100), 0.99, 99},
		{"p99 of 1..1000", seq(1000), 0.99, 990},
		{"unsorted", []int64{5, 1, 4, 2, 3}, 0.5, 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := percentile(tt.ns, tt.q); got != tt.want {
				t.Errorf("percentile(%v) = %v, want %v", tt.q, got, tt.want)
			}
		})
	}
}

func seq(n int) []int64 {
	out := make([]int64, n)
	for i := range out {
		out[n-1-i] = int64(i + 1) // descending: percentile must sort
	}
	return out
}

func TestTrackerPhases(t *testing.T) {
	tr := newTracker(3)
	tr.phase(2)
	for _, sub := range []int{0, 1, 2, 0, 1} {
		tr.deliver(sub, nil)
	}
	select {
	case <-tr.doneCh():
		t.Fatal("phase done before subscriber 2 reached 2")
	default:
	}
	tr.deliver(2, nil)
	<-tr.doneCh()
	if got := tr.minCount(); got != 2 {
		t.Errorf("minCount = %d, want 2", got)
	}
	// A lowered target already reached by everyone ends the phase at once.
	tr.phase(10)
	tr.lower(2)
	<-tr.doneCh()
	if got := tr.total(); got != 6 {
		t.Errorf("total = %d, want 6", got)
	}
}

func TestTrackerProbeLatency(t *testing.T) {
	tr := newTracker(2)
	tr.probing.Store(true)
	p := tr.stamped(64)
	tr.deliver(0, p)
	tr.deliverString(1, string(p))
	lat := tr.latencies()
	if len(lat) != 2 {
		t.Fatalf("latencies = %v, want 2 samples", lat)
	}
	for _, l := range lat {
		if l < 0 {
			t.Errorf("negative latency %d", l)
		}
	}
}

func TestNonMatchingPatterns(t *testing.T) {
	pats := nonMatchingPatterns(300)
	seen := map[string]bool{}
	for _, p := range pats {
		if seen[p] {
			t.Fatalf("duplicate pattern %q", p)
		}
		seen[p] = true
		if pattern.Match(p, fanoutSubject) {
			t.Errorf("pattern %q matches %q", p, fanoutSubject)
		}
	}
}

// TestPubSubRun runs a small point on the in-process systems without
// servers: every delivery must arrive and be counted.
func TestPubSubRun(t *testing.T) {
	tests := []struct {
		name string
		peer pubsubPeer
		cfg  pubsubConfig
	}{
		{"raw 1x5", rawPeer{}, pubsubConfig{subscribers: 5, publishers: 1}},
		{"brook 1x5", brookPeer{}, pubsubConfig{subscribers: 5, publishers: 1}},
		{"brook 3x4 patterns", brookPeer{}, pubsubConfig{subscribers: 4, publishers: 3, patterns: nonMatchingPatterns(30)}},
		{"watermill 1x3", watermillPeer{}, pubsubConfig{subscribers: 3, publishers: 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := runPubSub(context.Background(), tt.peer, pubsubRun{cfg: tt.cfg, payload: 64, messages: 3000, maxTime: time.Minute, probes: 10})
			if err != nil {
				t.Fatal(err)
			}
			if res.deliveriesPerSec <= 0 || res.p99 < res.p50 || res.p50 <= 0 {
				t.Errorf("result %+v", res)
			}
		})
	}
	if _, err := (rawPeer{}).start(pubsubConfig{subscribers: 1, patterns: []string{"a.*"}}, newTracker(1)); err == nil {
		t.Error("raw channels accepted pattern subscriptions")
	}
}

func TestBrookStreams(t *testing.T) {
	ctx := context.Background()
	if r, err := appendRate(ctx, brookStreams{}, memStore, t.TempDir(), 2, 20*time.Millisecond); err != nil || r <= 0 {
		t.Fatalf("appendRate = %v, %v", r, err)
	}
	if r, err := consumeRate(ctx, brookStreams{}, t.TempDir(), 1050, 100); err != nil || r <= 0 {
		t.Fatalf("consumeRate = %v, %v", r, err)
	}
	if b, err := brookMemory(ctx, 5000); err != nil || b <= 0 {
		t.Fatalf("brookMemory = %v, %v", b, err)
	}
}

// TestWatermillRate runs the Watermill API workload small on both backends:
// every message must be acked, and closing must stop every goroutine
// (goleak checks at the end).
func TestWatermillRate(t *testing.T) {
	for _, be := range []wmBackend{brookWM{}, goChannelWM{}} {
		for _, batch := range []int{1, 7, 100} {
			t.Run(fmt.Sprintf("%s batch=%d", be.name(), batch), func(t *testing.T) {
				r, err := wmRate(context.Background(), be, 3*wmWindow+5, batch, 16)
				if err != nil || r <= 0 {
					t.Fatalf("wmRate = %v, %v", r, err)
				}
			})
		}
	}
}

func TestWriteReportKeepsOtherSections(t *testing.T) {
	path := filepath.Join(t.TempDir(), "RESULTS.md")
	res := &results{}
	tb := res.table("fanout/64B/deliveries", "Fan-out", "subscribers", perSec)
	for _, v := range []float64{3e6, 1e6, 2e6} {
		tb.add("100", "brook", v)
	}
	tb.add("100", "NATS", 1e5)
	tb.fail("100", "Redis", os.ErrNotExist)
	info := runInfo{started: time.Now(), count: 3, command: "go run ."}

	if err := writeReport(path, info, res, checkTargets(res, []string{"64B"})); err != nil {
		t.Fatal(err)
	}
	first, _ := os.ReadFile(path)
	for _, want := range []string{"2M [1M-3M]", "100k", "20.00x", "failed: file does not exist", "not measured"} { // 20x: medians, NATS has one sample
		if !strings.Contains(string(first), want) {
			t.Errorf("report lacks %q:\n%s", want, first)
		}
	}
	// Someone else's sections around ours survive a rewrite.
	other := "# results\n\n## root benchmarks\nkeep me\n\n" + string(first[strings.Index(string(first), beginMarker):]) + "\n## after\nkeep me too\n"
	if err := os.WriteFile(path, []byte(other), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := writeReport(path, info, res, nil); err != nil {
		t.Fatal(err)
	}
	second, _ := os.ReadFile(path)
	s := string(second)
	if !strings.Contains(s, "## root benchmarks\nkeep me\n") || !strings.HasSuffix(s, "## after\nkeep me too\n") || strings.Count(s, beginMarker) != 1 {
		t.Errorf("rewrite lost or duplicated sections:\n%s", s)
	}
}

func TestRatioPairsRepetitions(t *testing.T) {
	tb := (&results{}).table("x", "x", "n", perSec)
	// Load swings hit both systems of a repetition alike: paired ratios are
	// all 2, while the ratio of the medians (4/1) is not.
	for _, p := range [][2]float64{{8, 4}, {4, 2}, {2, 1}} {
		tb.add("1", "brook", p[0])
		tb.add("1", "peer", p[1])
	}
	tb.add("1", "peer", 1) // an extra sample: pairing is off, medians are used
	if r, ok := tb.ratio("1", "brook", "peer"); !ok || r != 4.0/1.5 {
		t.Errorf("unpaired ratio = %v, %v; want %v", r, ok, 4.0/1.5)
	}
	tb.cells[cellKey{"1", "peer"}] = tb.cells[cellKey{"1", "peer"}][:3]
	if r, ok := tb.ratio("1", "brook", "peer"); !ok || r != 2 {
		t.Errorf("paired ratio = %v, %v; want 2", r, ok)
	}
}

func TestFormat(t *testing.T) {
	tests := []struct {
		u    unit
		v    float64
		want string
	}{
		{perSec, 1234567, "1.23M"},
		{perSec, 45600, "45.6k"},
		{perSec, 12, "12"},
		{nanos, 1500, "1.5µs"},
		{nanos, 2.5e6, "2.5ms"},
		{nanos, 800, "800ns"},
		{nanos, 3.2e9, "3.2s"},
		{bytesPE, 19.94, "19.9"},
	}
	for _, tt := range tests {
		if got := format(tt.u, tt.v); got != tt.want {
			t.Errorf("format(%v, %v) = %q, want %q", tt.u, tt.v, got, tt.want)
		}
	}
}

func TestRowRatioPairsRepetitions(t *testing.T) {
	tests := []struct {
		name   string
		p0, pn []float64 // brook's samples at P=0 and P=10000, in repetition order
		want   float64
		ok     bool
	}{
		// A load swing in repetition 2 halves both of its points: the pairs
		// say 0.95 (9/10, 4.75/5, 19/20), the medians 9/10.
		{"paired", []float64{10, 5, 20}, []float64{9, 4.75, 19}, 0.95, true},
		{"one sample missing: medians", []float64{10, 5, 20}, []float64{9, 19}, 14 / 10.0, true},
		{"no samples", nil, []float64{9}, 0, false},
		{"zero divisor", []float64{0}, []float64{9}, 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := &results{}
			tb := res.table("patterns/rate", "patterns", "patterns", perSec)
			for _, v := range tt.p0 {
				tb.add("0", "brook", v)
			}
			for _, v := range tt.pn {
				tb.add("10000", "brook", v)
			}
			r, ok := tb.rowRatio("brook", "10000", "0")
			if ok != tt.ok || math.Abs(r-tt.want) > 1e-9 {
				t.Fatalf("rowRatio = %v, %v; want %v, %v", r, ok, tt.want, tt.ok)
			}
			if again, _ := tb.rowRatio("brook", "10000", "0"); again != r {
				t.Errorf("second rowRatio = %v, want %v: the cells lost their order", again, r)
			}
			var got targetResult
			for _, tr := range checkTargets(res, nil) {
				if strings.HasPrefix(tr.name, "publish with 10,000") {
					got = tr
				}
			}
			if tt.ok && !strings.Contains(got.measured, fmt.Sprintf("P=10000 vs P=0 %.2fx", tt.want)) {
				t.Errorf("target measured %q, want the ratio %.2f", got.measured, tt.want)
			}
			if !tt.ok && got.verdict != "n/a" {
				t.Errorf("target verdict %q, want n/a", got.verdict)
			}
		})
	}
}

// TestRunPatternsInterleavesPoints checks that the patterns workload runs
// a system's points of a repetition back to back, in an order reversed
// every other repetition, so that the target's pairs are measured close
// together, and that every point gets a sample per repetition.
func TestRunPatternsInterleavesPoints(t *testing.T) {
	size := sizesFor(true)
	size.patterns = []int{0, 30}
	e := &env{ctx: context.Background(), dir: t.TempDir(), size: size, count: 2, res: &results{}, systems: []string{"brook"}}
	out := captureStdout(t, func() {
		if err := runPatterns(e); err != nil {
			t.Fatal(err)
		}
	})
	var order []string
	for line := range strings.Lines(out) {
		f := strings.Fields(line)
		if len(f) >= 5 && f[0] == "patterns" {
			order = append(order, f[1]+" "+f[3]+f[4])
		}
	}
	want := []string{"P=0 rep1", "P=30 rep1", "P=30 rep2", "P=0 rep2"}
	if !slices.Equal(order, want) {
		t.Errorf("run order %q, want %q\n%s", order, want, out)
	}
	tb := e.res.find("patterns/rate")
	for _, row := range []string{"0", "30"} {
		if n := len(tb.cells[cellKey{row, "brook"}]); n != 2 {
			t.Errorf("P=%s: %d samples, want 2", row, n)
		}
	}
}

// captureStdout returns what f prints on os.Stdout.
func captureStdout(t *testing.T, f func()) string {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	done := make(chan []byte, 1)
	go func() {
		b, _ := io.ReadAll(r)
		done <- b
	}()
	saved := os.Stdout
	os.Stdout = w
	defer func() { // also when f ends the test with t.Fatal
		os.Stdout = saved
		w.Close()
	}()
	f()
	os.Stdout = saved
	w.Close()
	return string(<-done)
}

// TestScaleChannelsMatchNoPattern checks that the scale workload's channels
// match none of its patterns, in brook's dialect.
func TestScaleChannelsMatchNoPattern(t *testing.T) {
	for _, sh := range scaleShapes {
		for _, i := range []int{0, 1, 7, 1000, 123456, 999999} {
			p := pattern.Compile(sh.brook(i))
			for _, j := range []int{0, 1, 1000, patternscale.Channels - 1} {
				if ch := patternscale.Channel(j, ":"); p.Match(ch) {
					t.Errorf("%q matches %q", p, ch)
				}
			}
		}
	}
}

// TestFlatTarget checks the flatness verdicts: 1.5x where NATS is flat,
// sublinear where it is not, rates inverted into costs.
func TestFlatTarget(t *testing.T) {
	mk := func(unit unit, brookLo, brookHi, natsLo, natsHi float64) *table {
		tb := &table{cells: map[cellKey][]float64{}, errs: map[cellKey]string{}, unit: unit}
		tb.add("1000", "brook", brookLo)
		tb.add("1000000", "brook", brookHi)
		tb.add("1000", "NATS", natsLo)
		tb.add("1000000", "NATS", natsHi)
		return tb
	}
	tests := []struct {
		name    string
		t       *table
		rate    bool
		verdict string
	}{
		{"flat costs", mk(nanos, 100, 140, 100, 110), false, "**PASS**"},
		{"cost 2x where NATS is flat", mk(nanos, 100, 200, 100, 110), false, "**MISS**"},
		{"cost 2x where NATS is 3x", mk(nanos, 100, 200, 100, 300), false, "**PASS**"},
		{"linear where NATS is 3x", mk(nanos, 1, 1000, 100, 300), false, "**MISS**"},
		{"rate halved where NATS is flat", mk(perSec, 1000, 500, 10, 10), true, "**MISS**"},
		{"rate kept", mk(perSec, 1000, 800, 10, 10), true, "**PASS**"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := flatTarget(tt.t, "x", tt.rate); got.verdict != tt.verdict {
				t.Errorf("verdict %s (%s), want %s", got.verdict, got.measured, tt.verdict)
			}
		})
	}
	if got := flatTarget(nil, "x", true); got.verdict != "n/a" {
		t.Errorf("missing table: verdict %s", got.verdict)
	}
}

// TestBrookScaleAndPlan runs the scale point and every plan figure small on
// brook: each must succeed and report a positive size.
func TestBrookScaleAndPlan(t *testing.T) {
	ctx := context.Background()
	b, err := broker.New(broker.Options{})
	if err != nil {
		t.Fatal(err)
	}
	st := brookManyStreams{b}
	defer st.close()
	per, rate, err := streamsPoint(ctx, st, func(i int) error { return st.add(ctx, i) }, 500, 20*time.Millisecond)
	if err != nil || per <= 0 || rate <= 0 {
		t.Fatalf("streamsPoint = %v B/stream, %v/s, %v", per, rate, err)
	}
	for _, row := range planRows {
		if v, err := brookPlan(ctx, row, 500); err != nil || v <= 0 {
			t.Errorf("brookPlan(%q) = %v, %v", row, v, err)
		}
	}
}

// TestWorkerRates runs the worker workload's three systems small, with a
// batch that does not divide the entries: each must consume and
// acknowledge every entry (they check it themselves), and stop every
// goroutine it started (goleak checks at the end).
func TestWorkerRates(t *testing.T) {
	for _, s := range workerSystems {
		for _, batch := range []int{1, 16, 100} {
			t.Run(fmt.Sprintf("%s batch=%d", s.name, batch), func(t *testing.T) {
				var m workerMeter
				r, err := s.run(context.Background(), workerRun{n: 1050, batch: batch, dir: t.TempDir()}, &m)
				if err != nil || r <= 0 {
					t.Fatalf("rate = %v, %v", r, err)
				}
				if runtime.GOOS == "linux" && (!m.ok || m.cpu <= 0) {
					t.Errorf("CPU time %v, %v", m.cpu, m.ok)
				}
			})
		}
	}
}

// TestRunWorker runs the workload at -tiny size and checks that its table
// has a sample per system and batch, and that its two targets get a
// verdict on every batch.
func TestRunWorker(t *testing.T) {
	e := &env{ctx: context.Background(), dir: t.TempDir(), size: sizesFor(true), count: 1, res: &results{}}
	e.size.workerBatches = []int{16, 7}
	captureStdout(t, func() {
		if err := runWorker(e); err != nil {
			t.Fatal(err)
		}
	})
	tb := e.res.find("worker")
	if tb == nil {
		t.Fatal("no worker table")
	}
	if runtime.GOOS == "linux" {
		if c := e.res.find("worker/cpu"); c == nil || len(c.cells) != len(tb.cells) {
			t.Errorf("CPU table %+v, want a cell per rate cell", c)
		}
	}
	for _, row := range []string{"16", "7"} {
		for _, s := range workerSystems {
			if n := len(tb.cells[cellKey{row, s.name}]); n != 1 {
				t.Errorf("batch %s, %s: %d samples, want 1 (errors %v)", row, s.name, n, tb.errs)
			}
		}
	}
	got := 0
	for _, tr := range checkTargets(e.res, nil) {
		if !strings.HasPrefix(tr.name, "worker") {
			continue
		}
		got++
		if tr.verdict == "n/a" || !strings.Contains(tr.measured, "batch 16 vs ") || !strings.Contains(tr.measured, "batch 7 vs ") {
			t.Errorf("target %q: %s %s", tr.name, tr.verdict, tr.measured)
		}
	}
	if got != 2 {
		t.Errorf("%d worker targets, want 2", got)
	}
}

// TestWorkerTargets checks the verdicts of the worker targets on made-up
// figures: 10x JetStream and 0.8x the raw loop, on every batch.
func TestWorkerTargets(t *testing.T) {
	tests := []struct {
		name            string
		b16, b100, js   float64 // brook at batch 16 and 100, JetStream at both; the raw loop is 1000
		wantJS, wantRaw string
	}{
		{"both pass", 950, 900, 90, "**PASS**", "**PASS**"},
		{"one batch under 0.8x raw", 950, 700, 50, "**PASS**", "**MISS**"},
		{"one batch under 10x JetStream", 1000, 850, 90, "**MISS**", "**PASS**"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := &results{}
			tb := res.table("worker", "w", "batch", perSec)
			for row, brook := range map[string]float64{"16": tt.b16, "100": tt.b100} {
				tb.add(row, workerBrook, brook)
				tb.add(row, workerRaw, 1000)
				tb.add(row, workerJS, tt.js)
			}
			got := workerTargets(res)
			if len(got) != 2 || got[0].verdict != tt.wantJS || got[1].verdict != tt.wantRaw {
				t.Errorf("targets %+v, want %s %s", got, tt.wantJS, tt.wantRaw)
			}
		})
	}
	for _, tr := range workerTargets(&results{}) {
		if tr.verdict != "n/a" {
			t.Errorf("no table: %q verdict %s", tr.name, tr.verdict)
		}
	}
}

// TestGrowthFlat checks the growth targets' verdicts and knees on made-up
// costs (two repetitions, paired).
func TestGrowthFlat(t *testing.T) {
	tests := []struct {
		name        string
		brook, peer []float64 // cost at 1e3, 1e4, 1e5, 1e6
		rate        bool
		verdict     string
		knee        string
	}{
		{"flat", []float64{100, 110, 90, 120}, []float64{10, 10, 11, 12}, false, "**PASS**", "knee none"},
		{"a blip is no knee", []float64{100, 200, 100, 110}, []float64{10, 10, 10, 10}, false, "**PASS**", "knee none"},
		{"rises from 1e5", []float64{100, 110, 200, 300}, []float64{10, 10, 11, 12}, false, "**MISS**", "knee 100000"},
		{"peer rises too: only sublinear", []float64{100, 110, 200, 300}, []float64{10, 20, 40, 80}, false, "**PASS**", "knee 100000"},
		{"linear misses anyway", []float64{1, 10, 100, 1000}, []float64{1, 10, 100, 1000}, false, "**MISS**", "knee 10000"},
		{"rates: falling rate is rising cost", []float64{1000, 900, 400, 300}, []float64{10, 10, 10, 10}, true, "**MISS**", "knee 100000"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := &results{}
			tb := res.table("x", "x", "n", nanos)
			for i, n := range []string{"1000", "10000", "100000", "1000000"} {
				for range 2 {
					tb.add(n, "brook", tt.brook[i])
					tb.add(n, "NATS", tt.peer[i])
				}
			}
			got := growthFlat(tb, "t", "NATS", tt.rate)
			if got.verdict != tt.verdict || !strings.Contains(got.measured, tt.knee) {
				t.Errorf("got %s %q, want %s and %q", got.verdict, got.measured, tt.verdict, tt.knee)
			}
		})
	}
	if got := growthFlat(nil, "t", "NATS", false); got.verdict != "n/a" {
		t.Errorf("no table: %+v", got)
	}
}

// TestRunGrowth runs the growth workloads at -tiny size on brook and NATS
// (Redis left out: the test starts no server) and checks that every table
// has a sample per size, and that every growth target gets a verdict.
func TestRunGrowth(t *testing.T) {
	e := &env{ctx: context.Background(), dir: t.TempDir(), size: sizesFor(true), count: 1, res: &results{}, systems: []string{"brook", "NATS"}}
	defer e.stopRedis()
	captureStdout(t, func() {
		for _, w := range growthParts {
			if err := workloads[w](e); err != nil {
				t.Fatalf("%s: %v", w, err)
			}
		}
	})
	for _, s := range growthTargetSpecs {
		tb := e.res.find(s.table)
		if tb == nil {
			t.Errorf("no table %s", s.table)
			continue
		}
		systems := []string{"brook"}
		if s.peer == "NATS" {
			systems = append(systems, "NATS")
		}
		for _, row := range tb.rows {
			for _, sys := range systems {
				if n := len(tb.cells[cellKey{row, sys}]); n != 1 {
					t.Errorf("%s %s %s: %d samples (errors %v)", s.table, row, sys, n, tb.errs)
				}
			}
		}
		if len(tb.rows) != 2 {
			t.Errorf("%s: rows %v, want 2", s.table, tb.rows)
		}
	}
	for _, tr := range growthTargets(e.res) {
		if tr.verdict == "n/a" {
			t.Errorf("target %q not evaluated", tr.name)
		}
	}
}
