package main

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"runtime/debug"
	"strings"
	"time"
)

// The peers section of RESULTS.md sits between these markers; the rest of
// the file belongs to the root benchmarks and is kept as it is.
const (
	beginMarker = "<!-- peers:begin (written by bench/peers; edits inside are overwritten) -->"
	endMarker   = "<!-- peers:end -->"
)

// runInfo describes the run for the report header.
type runInfo struct {
	started  time.Time
	elapsed  time.Duration
	command  string
	count    int
	tiny     bool
	redis    string // version, or why Redis was skipped
	diskNote string
	plots    []string
	analysis string // hand-written Markdown, included as is
}

// writeReport writes the peers section into path, replacing a previous one
// and keeping anything else in the file.
func writeReport(path string, info runInfo, res *results, targets []targetResult) error {
	var sec bytes.Buffer
	sec.WriteString(beginMarker + "\n")
	renderSection(&sec, info, res, targets)
	sec.WriteString(endMarker + "\n")

	old, err := os.ReadFile(path)
	if err != nil && !os.IsNotExist(err) {
		return fmt.Errorf("report: %w", err)
	}
	var out []byte
	before, rest, found := bytes.Cut(old, []byte(beginMarker))
	_, after, closed := bytes.Cut(rest, []byte(endMarker+"\n"))
	switch {
	case found && closed:
		out = append(append(append([]byte{}, before...), sec.Bytes()...), after...)
	case len(bytes.TrimSpace(old)) == 0:
		out = append([]byte("# brook benchmark results\n\n"), sec.Bytes()...)
	default:
		out = append(append(bytes.TrimRight(old, "\n"), "\n\n"...), sec.Bytes()...)
	}
	return os.WriteFile(path, out, 0o644)
}

func renderSection(w *bytes.Buffer, info runInfo, res *results, targets []targetResult) {
	fmt.Fprintf(w, "## brook and its peers (bench/peers)\n\n")
	fmt.Fprintf(w, "Command: `%s` (from `bench/peers`). ", info.command)
	if info.tiny {
		w.WriteString("**Tiny run** (CI smoke test): the figures mean nothing.\n\n")
	} else {
		w.WriteString("Each cell is the median of the repetitions, with the spread [min-max]. Ratios (brook/peer) are the median of the per-repetition ratios, brook and the peer having run back to back in each repetition.\n\n")
	}
	renderMachine(w, info)
	renderTargets(w, targets)
	if !info.tiny && info.analysis != "" {
		w.WriteString("### Analysis (hand-written from the committed run)\n\n")
		w.WriteString(strings.TrimSpace(info.analysis) + "\n\n")
	}
	for _, t := range res.tables {
		renderTable(w, t)
	}
	if len(info.plots) > 0 {
		w.WriteString("### Plots\n\n")
		for _, p := range info.plots {
			fmt.Fprintf(w, "![%s](%s)\n\n", p, p)
		}
	}
	w.WriteString("### Method\n\n")
	w.WriteString(methodText)
	if len(res.notes) > 0 {
		w.WriteString("\n### Notes from this run\n\n")
		for _, n := range res.notes {
			fmt.Fprintf(w, "- %s\n", n)
		}
	}
	w.WriteString("\n")
}

func renderMachine(w *bytes.Buffer, info runInfo) {
	w.WriteString("| | |\n|---|---|\n")
	fmt.Fprintf(w, "| date | %s (took %s) |\n", info.started.UTC().Format("2006-01-02 15:04 MST"), info.elapsed.Round(time.Second))
	fmt.Fprintf(w, "| machine | %s, %d CPUs, %s/%s |\n", cpuModel(), runtime.NumCPU(), runtime.GOOS, runtime.GOARCH)
	fmt.Fprintf(w, "| Go | %s, GOMAXPROCS %d |\n", runtime.Version(), runtime.GOMAXPROCS(0))
	fmt.Fprintf(w, "| brook | commit %s |\n", gitRevision())
	fmt.Fprintf(w, "| modules | %s |\n", moduleVersions())
	fmt.Fprintf(w, "| Redis | %s |\n", info.redis)
	fmt.Fprintf(w, "| repetitions | %d per point, systems interleaved |\n", info.count)
	if info.diskNote != "" {
		fmt.Fprintf(w, "| disk | %s |\n", info.diskNote)
	}
	w.WriteString("\n")
}

func renderTargets(w *bytes.Buffer, targets []targetResult) {
	w.WriteString("### Targets\n\n| target | measured | verdict |\n|---|---|---|\n")
	for _, t := range targets {
		fmt.Fprintf(w, "| %s | %s | %s |\n", t.name, t.measured, t.verdict)
	}
	w.WriteString("\n")
}

func renderTable(w *bytes.Buffer, t *table) {
	fmt.Fprintf(w, "### %s\n\n", t.title)
	peers := []string{}
	for _, s := range t.systems {
		if s != "brook" {
			peers = append(peers, s)
		}
	}
	hasBrook := len(peers) < len(t.systems)
	fmt.Fprintf(w, "| %s | %s |", t.param, strings.Join(t.systems, " | "))
	if hasBrook {
		for _, p := range peers {
			fmt.Fprintf(w, " brook/%s |", p)
		}
	}
	w.WriteString("\n|---|" + strings.Repeat("---:|", len(t.systems)))
	if hasBrook {
		w.WriteString(strings.Repeat("---:|", len(peers)))
	}
	w.WriteString("\n")
	for _, row := range t.rows {
		fmt.Fprintf(w, "| %s |", row)
		for _, s := range t.systems {
			fmt.Fprintf(w, " %s |", cellText(t, row, s))
		}
		if hasBrook {
			for _, p := range peers {
				if r, ok := t.ratio(row, "brook", p); ok {
					fmt.Fprintf(w, " %.2fx |", r)
				} else {
					w.WriteString(" - |")
				}
			}
		}
		w.WriteString("\n")
	}
	w.WriteString("\n")
}

func cellText(t *table, row, system string) string {
	m, ok := t.median(row, system)
	if !ok {
		if e, failed := t.errs[cellKey{row, system}]; failed {
			return "failed: " + shorten(e, 60)
		}
		return "n/a"
	}
	lo, hi := t.spread(row, system)
	if lo == hi {
		return format(t.unit, m)
	}
	return fmt.Sprintf("%s [%s-%s]", format(t.unit, m), format(t.unit, lo), format(t.unit, hi))
}

// format prints v in unit u, with three significant digits.
func format(u unit, v float64) string {
	switch u {
	case nanos:
		switch {
		case v >= 1e9:
			return fmt.Sprintf("%.3gs", v/1e9)
		case v >= 1e6:
			return fmt.Sprintf("%.3gms", v/1e6)
		case v >= 1e3:
			return fmt.Sprintf("%.3gµs", v/1e3)
		}
		return fmt.Sprintf("%.3gns", v)
	case bytesPE:
		return fmt.Sprintf("%.1f", v)
	}
	switch {
	case v >= 1e6:
		return fmt.Sprintf("%.3gM", v/1e6)
	case v >= 1e3:
		return fmt.Sprintf("%.3gk", v/1e3)
	}
	return fmt.Sprintf("%.3g", v)
}

func shorten(s string, n int) string {
	s = strings.ReplaceAll(s, "|", "/")
	if len(s) > n {
		return s[:n] + "..."
	}
	return s
}

// gitRevision is the repository's HEAD (with "+dirty" if the broker, pattern
// or stream code differs from it), or "unknown".
func gitRevision() string {
	out, err := exec.Command("git", "rev-parse", "--short", "HEAD").Output()
	if err != nil {
		return "unknown"
	}
	rev := strings.TrimSpace(string(out))
	diff, err := exec.Command("git", "status", "--porcelain", "--", "../../broker", "../../pattern", "../../stream", "../../wal").Output()
	if err == nil && len(bytes.TrimSpace(diff)) > 0 {
		rev += "+dirty"
	}
	return rev
}

// cpuModel is the CPU's model name from /proc/cpuinfo, or "unknown CPU".
func cpuModel() string {
	b, err := os.ReadFile("/proc/cpuinfo")
	if err == nil {
		for line := range strings.Lines(string(b)) {
			if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
				return strings.TrimSpace(v)
			}
		}
	}
	return "unknown CPU"
}

// moduleVersions lists the peers' module versions this binary was built with.
func moduleVersions() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "unknown"
	}
	var out []string
	for _, d := range bi.Deps {
		switch d.Path {
		case "github.com/nats-io/nats-server/v2", "github.com/nats-io/nats.go",
			"github.com/ThreeDotsLabs/watermill", "github.com/redis/go-redis/v9", "gonum.org/v1/plot":
			out = append(out, d.Path+" "+d.Version)
		}
	}
	return strings.Join(out, ", ")
}

const methodText = `- **Fan-out** (1 publisher -> N subscribers of one channel). The publisher floods messages of the given size as fast as the system takes them, flow-controlled the same way for every system: it never gets more than max(4, min(16384, 32768/N)) messages ahead of the slowest subscriber, so no system buffers without bound, drops or disconnects. Deliveries/s = messages x N / time until the last subscriber got the last message. Each point stops publishing after a time limit. Raw channels: one sender looping over N buffered channels (1024), each drained by its own goroutine. brook: ` + "`broker.New`" + `, one Subscription per subscriber drained by ` + "`Next`" + `. NATS: nats-server embedded with DontListen, clients through ` + "`nats.InProcessServer`" + `, async subscriptions (no pending limits) over up to 8 connections, publisher on its own connection. Watermill: GoChannel (output buffer 1024), Ack per message. Redis: one connection per subscriber (go-redis PubSub), PUBLISH pipelined 64 per round trip, ` + "`client-output-buffer-limit pubsub 0 0 0`" + `.
- **Latency** is measured after the flood by probes: one message stamped with the monotonic clock, published once every subscriber received the previous one; every delivery gives one publish-to-receive sample (p50/p99 over all subscribers and probes). It is the latency of an idle system, not of one under load.
- **Patterns**: one plain subscriber, plus P pattern subscriptions held by one more subscriber, none matching the published channel (` + "`sensor.<i>.*`, `*.<i>.alert`, `log.*.<i>`" + `: the same strings are Redis globs and NATS wildcard subjects). Redis uses PSUBSCRIBE. Rate = published messages/s until the subscriber got them all. Each point publishes up to 10M messages (at most the flood time limit): about 1 s for brook, long enough to ride out this machine's load swings, which 2M (about 150 ms) was not. After subscribing and a warm-up, and before the flood's clock starts, the harness runs ` + "`runtime.GC()`" + ` for every system: subscribing 10,000 patterns leaves megabytes of garbage, and without it the set-up's last GC cycle was still marking when the flood started, or the flood's first allocations started one, inside brook's timed window at P=10000 and never at P=0. In each repetition every system runs its three points back to back, in an order reversed every other repetition (P=0, 100, 10000, then 10000, 100, 0), and the target's P=10000 vs P=0 ratio is the median of the per-repetition ratios: a load swing of the shared machine then hits both points of a pair alike. Every point starts from a fresh system: brook and NATS make one per run, and Redis is restarted before each of its points (a Redis 7.0 server that once held 10,000 patterns published at about 35k/s with none left, against 250k/s fresh).
- **Scale** (brook and NATS; Redis, which tries every pattern, is left out): for P = 1e3 to 1e6 patterns of one shape (` + "`p:<i>:*`" + `, literal prefix; ` + "`*:<i>`" + `, literal suffix; ` + "`*:<i>:*`" + `, a literal inside only), the cost per pattern of subscribing them one call at a time on a fresh system (brook: one Subscription, one PSubscribe per pattern; NATS: one ChanSubscribe per pattern on one connection, timed until a Flush returns), then the publish rate, for a fixed time, on 65,536 channels in turn (` + "`p:<k>:temp:<k>`" + `, k of 7 digits, so no pattern matches and both systems' 1,024-entry match caches miss) that have no subscriber. NATS gets the nearest subject wildcards, which are not the same sets: ` + "`p.<i>.>`" + ` (needs one more token), ` + "`*.<i>`" + ` (exactly one token before), ` + "`*.<i>.>`" + ` (<i> must be the second token), with ` + "`.`" + ` for ` + "`:`" + ` in its channels. A NATS publish is asynchronous: its time runs until a Flush returns. The flatness targets compare each system's figure at the largest P with its figure at the smallest, paired per repetition (each system runs its points back to back, the order reversed every other repetition): within 1.5x where NATS is, and better than linear everywhere. Two more tables give the process's CPU time (getrusage, user + system) per pattern subscribed and per publish, over the same timed parts: it includes the garbage collector's work, and for NATS the in-process server's, and a shared machine's load moves it less than the wall-clock figures.
- **Many publishers**: 8 goroutines publishing (each on its own connection where the system has connections), 100 subscribers.
- **Streams**: entries of three fields (` + "`user_id <1000..9999> product prod<4 digits> amount <1000..9999>`" + `; JetStream gets the same text as one message body). Append rate: producers calling XADD (` + "`*` IDs" + `) or JetStream's synchronous Publish for a fixed time, each waiting for the acknowledgement. Durable: brook ` + "`broker.Open`" + ` with ` + "`Durability.Fsync = wal.FsyncAlways`" + `, JetStream file storage with the server's sync always, Redis with ` + "`appendonly yes, appendfsync always`" + `; the disk's own limit is a loop of 4 KiB append + fdatasync in the same directory. Consume: a bulk-loaded stream read by one consumer of a group, 100 entries per read, then acknowledged (XACK of the 100 IDs; JetStream: a durable pull consumer, Fetch(100) then Ack of each message).
- **Worker** (the reliable-consumer runtime): N messages of 64 B loaded before the clock starts (brook: one field of 64 bytes, XADDBATCH into ` + "`broker.New`" + `; JetStream: a memory-storage stream, asynchronous publishes), then consumed and acknowledged by one consumer reading the row's batch at a time; entries/s = N / time until the last acknowledgement. brook: ` + "`broker.Worker`" + ` (Concurrency 1, Batch = the row, the other options' defaults) with a handler that only counts and cancels the worker's context at the N-th entry; the time runs from Run's call to its return (after its last XACK, every goroutine stopped). brook raw: the loop the worker is built on, by hand: XREADGROUP COUNT batch, one XACK of the batch, no retry, reclaim, lease or dead letters. JetStream: a durable pull consumer (AckExplicit, DeliverAll) through the ` + "`jetstream`" + ` package: Fetch(batch), Ack of each message, the next Fetch; its acks are asynchronous, so its time runs until the consumer's info shows every message acknowledged. (` + "`Consumer.Messages`" + `, the client's pipelined pull loop, was tried first: with 16 messages buffered it stalled for its 30 s expiry in most runs of 150,000 messages here.) Each run checks that every entry was acknowledged (brook: nothing pending, lag 0). A second table gives the process's CPU time (getrusage, user + system) over the same timed part, per entry: on a shared machine it moves less with the load than the rates do, and for JetStream it includes the in-process server's.
- **Watermill API**: N messages of 64 B published through Watermill's ` + "`message.Publisher`" + ` (k per Publish call) while one subscription of its ` + "`message.Subscriber`" + ` receives them and acks each; messages/s = N / time from the first Publish to the last Ack. The publisher never gets more than 1024 messages ahead of the acks (GoChannel starts two goroutines per message published). brook: ` + "`github.com/brookmq/brook/watermill`" + ` on a ` + "`broker.New`" + ` broker, the Subscriber's defaults (one consumer group, ReadCount 10: XREADGROUP of 10, XACK per message); a Publish call is one XAddBatch. Watermill: GoChannel (output buffer 1024), which keeps nothing.
- **Memory**: bytes per entry over the bulk-loaded stream with explicit IDs ` + "`<1700000000000+i>-0`" + ` (as in shared/notes/stream-memory.md). brook: HeapAlloc delta after GC. Redis: ` + "`INFO memory`" + ` used_memory delta (what the allocator holds) and ` + "`MEMORY USAGE key SAMPLES 0`" + ` (Redis's estimate). JetStream: the stream's State.Bytes on its file store.
- **Outgrow** (the cost of moving out of the process): one piece of code written against ` + "`broker.Client`" + ` (XAdd with 1 and 16 producers for a fixed time; a group consumer reading 100 + XAck over a loaded stream) run on ` + "`broker.New`" + `, on one redis-server and on a three-master Redis Cluster (both without persistence, on loopback) through ` + "`brookredis`" + `. One stream key, so on the Cluster one master serves it, as it would one application stream.
- **Growth** (the cost of one operation as the work grows; every point on a fresh system, each system's sizes back to back in a repetition, the order reversed every other one, so the flatness ratios, largest size over smallest, pair them; the knee is the smallest size from which brook's cost stays above 1.25x its cost at the smallest). growth-subs: N channels with one subscription each (brook: one Subscription per channel, read with Next by the publishing goroutine; NATS: one ChanSubscribe per subject on one connection, all into one Go channel, publishes on another connection); the subscribe cost per subscription, then windows of 1,024 publishes round-robin over the N channels in a scattered order, each followed by receiving the window: one first round over every channel (each subscription's first message) timed apart, then windows for a fixed time, with the process's CPU time per message. growth-pel: a stream of P + 2R entries (3 fields, 64 B payload), a group whose consumer has read P of them without acknowledging; then R entries read 100 at a time and acknowledged (the P stay pending), R more with the 100 oldest pending acknowledged instead (P stays), XPENDING's summary and XCLAIM of 100 IDs 1/100th of the list apart, each for a fixed time (brook in-process; Redis on loopback, round-trip bound). growth-entries: heap after GC per entry of one stream of N entries (3 small fields, XAddBatch of 10,000) and the time of ` + "`broker.Open`" + ` on a copy (in the page cache) of a durable directory holding N entries, 90 % in a snapshot and 10 % in a log tail, built as ` + "`BenchmarkRecovery`" + ` builds its own; 10^8 entries only when ` + "`-entries`" + ` asks for it.
`
