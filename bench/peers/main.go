package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// workloadNames are the -only choices, in run order.
var workloadNames = []string{"fanout", "patterns", "scale", "streams", "plan", "manypub", "append", "durable", "consume", "worker", "memory", "watermill", "outgrow", "growth-subs", "growth-pel", "growth-entries"}

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "peers:", err)
		os.Exit(1)
	}
}

func run() error {
	out := flag.String("out", "../RESULTS.md", "Markdown `file` whose peers section is written; plots go next to it")
	tiny := flag.Bool("tiny", false, "run every workload once at a tiny size (seconds; for CI)")
	only := flag.String("only", "", "comma-separated `workloads` to run (default all): "+strings.Join(workloadNames, ",")+"; growth: every growth-* one")
	count := flag.Int("count", 3, "repetitions of each point (systems interleaved)")
	systems := flag.String("systems", "", "comma-separated `names` of the systems to run (default all; case-insensitive prefixes: brook,raw,nats,watermill,redis,jetstream)")
	tmp := flag.String("tmp", "", "`dir` for stores and Redis (default the system temp dir; must be on a real disk for the durable figures)")
	subs := flag.String("n", "", "comma-separated subscriber `counts` of the fan-out workload (default 1,10,100,1000; tiny 1,10)")
	entries := flag.String("entries", "", "comma-separated stream `sizes` of the growth-entries workload (default 1e3..1e7 by 10x; tiny 1000,10000); 100000000 adds the 1e8 point (about 2 GB of heap and a few GB under -tmp)")
	scalePats := flag.String("p", "", "comma-separated pattern `counts` of the scale workload (default 1000,10000,100000,1000000; tiny 100,1000)")
	analysis := flag.String("analysis", "analysis.md", "Markdown `file` included as the section's analysis when it exists (hand-written reading of the last real run)")
	cpuProfile := flag.String("cpuprofile", "", "write a CPU profile of the whole run to `file` (go tool pprof)")
	flag.Parse()

	sel, err := selectWorkloads(*only)
	if err != nil {
		return err
	}
	if *tiny {
		*count = 1
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	dir, err := os.MkdirTemp(*tmp, "brook-peers-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)

	stopProfile, err := startProfile(*cpuProfile)
	if err != nil {
		return err
	}
	defer stopProfile()
	e := &env{ctx: ctx, dir: dir, size: sizesFor(*tiny), count: max(*count, 1), res: &results{}}
	if *systems != "" {
		e.systems = strings.Split(*systems, ",")
	}
	if *subs != "" {
		if e.size.subscribers, err = parseInts(*subs); err != nil {
			return fmt.Errorf("-n: %w", err)
		}
	}
	if *scalePats != "" {
		if e.size.scalePatterns, err = parseInts(*scalePats); err != nil {
			return fmt.Errorf("-p: %w", err)
		}
	}
	if *entries != "" {
		if e.size.growthEntries, err = parseInts(*entries); err != nil {
			return fmt.Errorf("-entries: %w", err)
		}
	}
	defer e.stopRedis()
	info := runInfo{started: time.Now(), count: e.count, tiny: *tiny, command: commandLine()}
	for _, w := range workloadNames {
		if !sel[w] {
			continue
		}
		fmt.Printf("== %s\n", w)
		if err := workloads[w](e); err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			return fmt.Errorf("%s: %w", w, err)
		}
	}
	info.elapsed = time.Since(info.started)
	if err := e.finish(*out, *analysis, info); err != nil {
		return err
	}
	fmt.Printf("wrote %s (%s)\n", *out, info.elapsed.Round(time.Second))
	return nil
}

// finish writes the plots and the report next to out.
func (e *env) finish(out, analysis string, info runInfo) error {
	info.redis = e.redisNote()
	info.diskNote = e.diskNote
	if b, err := os.ReadFile(analysis); err == nil {
		info.analysis = string(b)
	}
	if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
		return err
	}
	plots, err := writePlots(filepath.Dir(out), e.res, plotSpecs(e.size))
	if err != nil {
		return err
	}
	info.plots = plots
	targets := checkTargets(e.res, e.size.payloadNames())
	for _, t := range targets {
		fmt.Printf("target %-80s %-6s %s\n", t.name, strings.Trim(t.verdict, "*"), t.measured)
	}
	return writeReport(out, info, e.res, targets)
}

// startProfile starts a CPU profile into path ("" for none) and returns
// the function that stops it.
func startProfile(path string) (func(), error) {
	if path == "" {
		return func() {}, nil
	}
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, err
	}
	return func() { pprof.StopCPUProfile(); f.Close() }, nil
}

// parseInts parses a comma-separated list of positive integers.
func parseInts(s string) ([]int, error) {
	var out []int
	for _, f := range strings.Split(s, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n <= 0 {
			return nil, fmt.Errorf("%q is not a positive integer", f)
		}
		out = append(out, n)
	}
	return out, nil
}

// selectWorkloads parses -only.
func selectWorkloads(only string) (map[string]bool, error) {
	sel := map[string]bool{}
	if only == "" {
		for _, w := range workloadNames {
			sel[w] = true
		}
		return sel, nil
	}
	for _, w := range strings.Split(only, ",") {
		w = strings.TrimSpace(w)
		if w == "growth" { // every growth workload
			for _, g := range growthParts {
				sel[g] = true
			}
			continue
		}
		if !slices.Contains(workloadNames, w) {
			return nil, fmt.Errorf("-only: unknown workload %q (have %s, and growth for the growth ones)", w, strings.Join(workloadNames, ","))
		}
		sel[w] = true
	}
	return sel, nil
}

func commandLine() string {
	return "go run . " + strings.Join(os.Args[1:], " ")
}

// env is what the workloads share: context, scratch directory, sizes, the
// Redis servers (started on first use) and the results.
type env struct {
	ctx      context.Context
	dir      string
	size     sizes
	count    int
	res      *results
	diskNote string

	systems []string // -systems; empty: all

	redisTried, redisDurTried bool
	redisSaid                 bool // the skip reason was printed
	redisMem, redisDur        *redisServer
	redisErr                  error
	clusterTried              bool           // the Cluster was started, or failed to
	clusterAddrs              []string       // its masters, when it runs
	clusterErr                error          // why it does not
	clusterNodes              []*redisServer // its processes
	scratch                   int
}

// subdir returns a fresh directory under the scratch directory.
func (e *env) subdir(prefix string) (string, error) {
	e.scratch++
	d := filepath.Join(e.dir, fmt.Sprintf("%s-%d", prefix, e.scratch))
	return d, os.Mkdir(d, 0o700)
}

// redis returns the servers, starting them on first use; nil (with the
// reason noted once) when Redis is unavailable.
func (e *env) redis(durable bool) *redisServer {
	if !e.redisTried {
		e.redisTried = true
		if d, err := e.subdir("redis"); err != nil {
			e.redisErr = err
		} else {
			e.redisMem, e.redisErr = startRedis(e.ctx, d)
		}
	}
	if durable && !e.redisDurTried && e.redisErr == nil {
		e.redisDurTried = true
		if d, err := e.subdir("redis-aof"); err != nil {
			e.redisErr = err
		} else {
			e.redisDur, e.redisErr = startRedis(e.ctx, d, "--appendonly", "yes", "--appendfsync", "always")
		}
	}
	if e.redisErr != nil {
		if !e.redisSaid {
			e.redisSaid = true
			fmt.Println("skipping Redis:", e.redisErr)
			e.res.note("Redis skipped: %v", e.redisErr)
		}
		return nil
	}
	if durable {
		return e.redisDur
	}
	return e.redisMem
}

func (e *env) redisNote() string {
	switch {
	case e.redisErr != nil:
		return "skipped: " + e.redisErr.Error()
	case e.redisMem != nil:
		return "redis-server " + e.redisMem.version + " on loopback, started by the harness"
	}
	return "not used in this run"
}

func (e *env) stopRedis() {
	for _, r := range []*redisServer{e.redisMem, e.redisDur} {
		if r != nil {
			r.stop()
		}
	}
	e.stopCluster()
}
