package broker_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/brookmq/brook/broker"
	"github.com/brookmq/brook/stream"
)

// The kill test: a child process (this test binary, re-executed to run
// TestKillChild) works on a durable broker under FsyncAlways and prints each
// operation before it starts ("do ...") and once it returned ("ok", or for
// the concurrent appenders "add KEY ID N"). The parent SIGKILLs it at a
// random moment, reopens the directory and checks that every acknowledged
// operation is there, in order, once, intact, and that the consumer group
// is exactly what the acknowledged operations made it (the one operation in
// flight may or may not be there). The page cache survives a process kill,
// so this proves the recovery code, not the disk: TestPowerLoss covers
// power loss.

const (
	killDirEnv   = "BROOK_KILL_DIR"
	killClockEnv = "BROOK_KILL_CLOCK"
	killSeedEnv  = "BROOK_KILL_SEED"
	killAdders   = 3 // concurrent appenders, on keys p1..p3
	killKey      = "k"
	killGroup    = "g"
)

var killConsumers = []string{"c0", "c1", "c2"}

// killPad is the payload of entry n: its length and bytes depend on n, so a
// damaged or misplaced payload shows.
func killPad(n int) string {
	return strings.Repeat(string(rune('a'+n%26)), 20+n%300)
}

func killFields(n int) []stream.Field {
	return []stream.Field{{Name: "n", Value: strconv.Itoa(n)}, {Name: "pad", Value: killPad(n)}}
}

// TestKillChild is the child of TestKill; without its environment it has
// nothing to do.
func TestKillChild(t *testing.T) {
	dir := os.Getenv(killDirEnv)
	if dir == "" {
		t.Skip("helper process of TestKill")
	}
	time.AfterFunc(20*time.Second, func() { os.Exit(3) }) // orphaned: give up
	start, _ := strconv.ParseInt(os.Getenv(killClockEnv), 10, 64)
	seed, _ := strconv.ParseUint(os.Getenv(killSeedEnv), 10, 64)
	clock := newMsClock(start)
	b, err := broker.Open(dir, broker.Options{Clock: clock.Now, Durability: broker.DurabilityOptions{
		SnapshotEvery: 16 << 10, SegmentSize: 8 << 10, Logf: func(string, ...any) {}}})
	if err != nil {
		fmt.Fprintf(os.Stderr, "child: Open: %v\n", err)
		os.Exit(2)
	}
	var out sync.Mutex
	say := func(format string, args ...any) {
		line := fmt.Sprintf(format+"\n", args...)
		out.Lock()
		defer out.Unlock()
		if _, err := io.WriteString(os.Stdout, line); err != nil {
			os.Exit(4)
		}
	}
	ctx := context.Background()
	killSetup(ctx, b, clock, say)
	say("ready")
	for a := 1; a <= killAdders; a++ {
		go killAdder(ctx, b, fmt.Sprintf("p%d", a), say)
	}
	killGroupOps(ctx, b, clock, rand.New(rand.NewPCG(seed, 1)), say)
}

// killSetup makes the group and its consumers exist, so that every later
// group operation is one log record.
func killSetup(ctx context.Context, b *broker.Broker, clock *msClock, say func(string, ...any)) {
	clock.advance(time.Millisecond)
	ms := clock.Now().UnixMilli()
	say("do %d setup", ms)
	if err := applyKillOp(ctx, b, ms, "setup"); err != nil {
		fmt.Fprintf(os.Stderr, "child: setup: %v\n", err)
		os.Exit(2)
	}
	say("ok")
}

// killAdder appends to key forever, reporting each acknowledged entry.
func killAdder(ctx context.Context, b *broker.Broker, key string, say func(string, ...any)) {
	last := 0
	if es, err := b.XRevRange(ctx, key, stream.MaxID, stream.MinID, 1); err == nil && len(es) == 1 {
		last, _ = strconv.Atoi(es[0].Fields[0].Value)
	}
	for n := last + 1; ; n++ {
		id, err := b.XAdd(ctx, key, killFields(n), broker.AddOptions{})
		if err != nil {
			fmt.Fprintf(os.Stderr, "child: XAdd %s: %v\n", key, err)
			os.Exit(2)
		}
		say("add %s %s %d", key, id, n)
	}
}

// killGroupOps runs random group operations on killKey forever, printing
// each before it starts and after it returned.
func killGroupOps(ctx context.Context, b *broker.Broker, clock *msClock, rng *rand.Rand, say func(string, ...any)) {
	for n := 1; ; n++ {
		clock.advance(time.Duration(1+rng.IntN(5)) * time.Millisecond)
		ms := clock.Now().UnixMilli()
		c := killConsumers[rng.IntN(len(killConsumers))]
		var line string
		switch r := rng.IntN(100); {
		case r < 40:
			line = fmt.Sprintf("add %d", n)
		case r < 50:
			line = fmt.Sprintf("idmp %d %d", n, rng.IntN(4))
		case r < 62:
			line = fmt.Sprintf("read %s %d", c, 1+rng.IntN(3))
		case r < 70:
			line = fmt.Sprintf("cread %s %d %d", c, 1+rng.IntN(3), rng.IntN(20))
		default:
			ps, err := b.XPendingRange(ctx, killKey, killGroup, broker.PendingOptions{Start: stream.MinID, End: stream.MaxID, Count: 10})
			if err != nil {
				fmt.Fprintf(os.Stderr, "child: XPENDING: %v\n", err)
				os.Exit(2)
			}
			var ids []string
			for _, p := range ps {
				if rng.IntN(3) == 0 {
					ids = append(ids, p.ID.String())
				}
			}
			switch {
			case len(ids) == 0:
				line = fmt.Sprintf("read %s 1", c)
			case r < 78:
				line = "ack " + strings.Join(ids, " ")
			case r < 85:
				line = fmt.Sprintf("nack %d ", rng.IntN(3)) + strings.Join(ids, " ")
			case r < 90:
				line = fmt.Sprintf("ackdel %d ", rng.IntN(3)) + strings.Join(ids, " ")
			default:
				line = "claim " + c + " " + strings.Join(ids, " ")
			}
		}
		say("do %d %s", ms, line)
		if err := applyKillOp(ctx, b, ms, line); err != nil {
			fmt.Fprintf(os.Stderr, "child: %s: %v\n", line, err)
			os.Exit(2)
		}
		say("ok")
	}
}

// applyKillOp runs the group operation line at clock reading ms on b (in
// the child) or on the parent's in-memory twin.
func applyKillOp(ctx context.Context, b *broker.Broker, ms int64, line string) error {
	f := strings.Fields(line)
	switch f[0] {
	case "setup":
		err := b.XGroupCreate(ctx, killKey, killGroup, broker.GroupCreateOptions{MkStream: true})
		if err != nil && !errors.Is(err, stream.ErrGroupExists) {
			return err
		}
		for _, c := range killConsumers {
			if _, err := b.XGroupCreateConsumer(ctx, killKey, killGroup, c); err != nil {
				return err
			}
		}
		return nil
	case "add":
		n, _ := strconv.Atoi(f[1])
		_, err := b.XAdd(ctx, killKey, killFields(n), broker.AddOptions{ID: stream.ExplicitID(stream.ID{Ms: uint64(ms)})})
		return err
	case "idmp": // an idempotent append: iid f[2] of producer "kp", often a duplicate
		n, _ := strconv.Atoi(f[1])
		o := broker.AddOptions{Idempotency: broker.Idempotency{Producer: "kp", ID: f[2]}}
		_, err := b.XAdd(ctx, killKey, killFields(n), o)
		return err
	case "read":
		count, _ := strconv.Atoi(f[2])
		_, err := b.XReadGroup(ctx, killGroup, f[1], []broker.ReadStream{{Key: killKey, From: broker.Undelivered()}},
			broker.GroupReadOptions{Count: count})
		return err
	case "cread": // XREADGROUP CLAIM (Redis 8.4)
		count, _ := strconv.Atoi(f[2])
		minIdle, _ := strconv.Atoi(f[3])
		claim := time.Duration(minIdle) * time.Millisecond
		_, err := b.XReadGroup(ctx, killGroup, f[1], []broker.ReadStream{{Key: killKey, From: broker.Undelivered()}},
			broker.GroupReadOptions{Count: count, ClaimMinIdle: &claim})
		return err
	case "ack", "claim", "nack", "ackdel":
		consumer, rest := "", f[1:]
		if f[0] != "ack" {
			consumer, rest = f[1], f[2:]
		}
		ids := make([]stream.ID, len(rest))
		for i, s := range rest {
			var err error
			if ids[i], err = stream.ParseID(s); err != nil {
				return err
			}
		}
		mode, _ := strconv.Atoi(consumer)
		switch f[0] {
		case "ack":
			_, err := b.XAck(ctx, killKey, killGroup, ids...)
			return err
		case "nack": // Redis 8.8
			_, err := b.XNack(ctx, killKey, killGroup, ids, broker.NackOptions{Mode: broker.NackMode(mode)})
			return err
		case "ackdel": // Redis 8.2
			_, err := b.XAckDel(ctx, killKey, killGroup, ids, broker.RefOptions{Ref: broker.RefMode(mode)})
			return err
		}
		_, err := b.XClaim(ctx, killKey, killGroup, consumer, ids, broker.ClaimOptions{})
		return err
	}
	return fmt.Errorf("unknown operation %q", line)
}

// killRun is what the parent read from one child.
type killRun struct {
	adds     map[string][]killAdd // acknowledged appends per key, in order
	acked    []killOp             // acknowledged group operations, in order
	inFlight *killOp              // the group operation started last and not acknowledged
	maxMs    int64
}

type killAdd struct {
	id stream.ID
	n  int
}

type killOp struct {
	ms   int64
	line string
}

// parseKillOutput reads a child's stdout up to EOF. A last line without its
// newline (cut by the kill) is ignored.
func parseKillOutput(r io.Reader) (*killRun, error) {
	run := &killRun{adds: make(map[string][]killAdd)}
	br := bufio.NewReader(r)
	for {
		line, err := br.ReadString('\n')
		if err == io.EOF {
			return run, nil
		}
		if err != nil {
			return run, err
		}
		f := strings.Fields(line)
		switch {
		case len(f) == 4 && f[0] == "add":
			id, err := stream.ParseID(f[2])
			n, err2 := strconv.Atoi(f[3])
			if err != nil || err2 != nil {
				return run, fmt.Errorf("bad line %q", line)
			}
			run.adds[f[1]] = append(run.adds[f[1]], killAdd{id, n})
		case len(f) >= 3 && f[0] == "do":
			ms, err := strconv.ParseInt(f[1], 10, 64)
			if err != nil {
				return run, fmt.Errorf("bad line %q", line)
			}
			run.inFlight = &killOp{ms: ms, line: strings.Join(f[2:], " ")}
			run.maxMs = max(run.maxMs, ms)
		case len(f) == 1 && f[0] == "ok":
			if run.inFlight == nil {
				return run, fmt.Errorf("ok without do")
			}
			run.acked = append(run.acked, *run.inFlight)
			run.inFlight = nil
		}
	}
}

// TestKill kills a child working on a durable broker BROOK_KILLS times
// (default 100, 25 under the race detector) at random moments and checks
// each recovery.
func TestKill(t *testing.T) {
	t.Parallel()
	def := 100
	if raceEnabled {
		def = 25
	}
	kills := envCount(t, "BROOK_KILLS", def)
	if testing.Short() {
		kills = min(kills, 10)
	}
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	twinClock := newMsClock(0)
	twin := newBroker(t, broker.Options{Clock: twinClock.Now})
	known := make(map[string][]stream.Entry) // recovered entries of p1..p3
	var groupOps, inFlightDone int
	clockStart := int64(1_700_000_000_000)
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 2))
	for i := range kills {
		run := killChild(t, exe, dir, clockStart, uint64(i), 5+rng.IntN(46))
		clockStart = max(clockStart, run.maxMs) + 100
		// On the children's clock: on the wall clock the IDMP iids, made
		// at the children's fake times, would expire at once.
		b := openDurable(t, dir, broker.Options{Clock: newMsClock(run.maxMs).Now})
		for a := 1; a <= killAdders; a++ {
			key := fmt.Sprintf("p%d", a)
			known[key] = checkAdds(t, i, b, key, known[key], run.adds[key])
		}
		if checkGroupOps(t, i, b, twin, twinClock, run) {
			inFlightDone++
		}
		groupOps += len(run.acked)
		if err := b.Close(); err != nil {
			t.Fatalf("kill %d: Close: %v", i, err)
		}
		if t.Failed() {
			return
		}
	}
	var total int
	for _, es := range known {
		total += len(es)
	}
	n, _ := twin.XLen(context.Background(), killKey)
	t.Logf("%d kills: %d entries from the concurrent appenders, %d acknowledged group operations, %d found done while in flight; group stream at %d entries",
		kills, total, groupOps, inFlightDone, n)
}

// killChild runs one child until it is SIGKILLed after killAfter ms of work.
func killChild(t *testing.T, exe, dir string, clockStart int64, seed uint64, killAfter int) *killRun {
	t.Helper()
	cmd := exec.Command(exe, "-test.run=^TestKillChild$")
	cmd.Env = append(os.Environ(), killDirEnv+"="+dir,
		killClockEnv+"="+strconv.FormatInt(clockStart, 10), killSeedEnv+"="+strconv.FormatUint(seed, 10))
	var stderr strings.Builder
	cmd.Stderr = &stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	pr, pw := io.Pipe()
	ready := make(chan struct{})
	go func() { // copy stdout, noticing "ready"
		br := bufio.NewReader(stdout)
		seen := false
		for {
			line, err := br.ReadString('\n')
			pw.Write([]byte(line))
			if !seen && line == "ready\n" {
				seen = true
				close(ready)
			}
			if err != nil {
				if !seen {
					close(ready)
				}
				pw.Close()
				return
			}
		}
	}()
	result := make(chan *killRun, 1)
	go func() {
		run, err := parseKillOutput(pr)
		if err != nil {
			t.Errorf("child output: %v", err)
		}
		io.Copy(io.Discard, pr)
		result <- run
	}()
	<-ready
	time.Sleep(time.Duration(killAfter) * time.Millisecond)
	cmd.Process.Signal(syscall.SIGKILL)
	run := <-result
	err = cmd.Wait()
	if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); !ok || !ws.Signaled() {
		t.Fatalf("child %d did not die by the kill: %v\n%s", seed, err, stderr.String())
	}
	return run
}

// checkAdds checks key's entries after a kill: the entries known before
// this run, then this run's acknowledged appends in order, then at most the
// one append in flight; every payload intact. It returns the entries.
func checkAdds(t *testing.T, kill int, b *broker.Broker, key string, known []stream.Entry, acked []killAdd) []stream.Entry {
	t.Helper()
	got, err := b.XRange(context.Background(), key, stream.MinID, stream.MaxID, 0)
	if err != nil && len(known)+len(acked) > 0 {
		t.Fatalf("kill %d: XRange %s: %v", kill, key, err)
	}
	for i, e := range got {
		n, err := strconv.Atoi(e.Fields[0].Value)
		if err != nil || len(e.Fields) != 2 || e.Fields[1].Value != killPad(n) {
			t.Fatalf("kill %d: %s entry %v damaged: %q", kill, key, e.ID, e.Fields)
		}
		if i > 0 {
			prev, _ := strconv.Atoi(got[i-1].Fields[0].Value)
			if n != prev+1 {
				t.Fatalf("kill %d: %s entry %v is number %d after %d: lost or duplicated", kill, key, e.ID, n, prev)
			}
		}
	}
	if len(got) < len(known) {
		t.Fatalf("kill %d: %s has %d entries, %d before this run", kill, key, len(got), len(known))
	}
	for i, e := range known {
		if got[i].ID != e.ID {
			t.Fatalf("kill %d: %s entry %d is %v, was %v", kill, key, i, got[i].ID, e.ID)
		}
	}
	rest := got[len(known):]
	if len(rest) < len(acked) || len(rest) > len(acked)+1 {
		t.Fatalf("kill %d: %s: %d new entries, %d acknowledged (and one may be in flight)", kill, key, len(rest), len(acked))
	}
	for i, a := range acked {
		if rest[i].ID != a.id || rest[i].Fields[0].Value != strconv.Itoa(a.n) {
			t.Fatalf("kill %d: %s: new entry %d is %v %q, acknowledged %v %d", kill, key, i, rest[i].ID, rest[i].Fields[0].Value, a.id, a.n)
		}
	}
	return got
}

// checkGroupOps applies the run's acknowledged group operations to the
// in-memory twin and checks that the recovered group stream is the twin's,
// or the twin's after the operation in flight (then applied to the twin,
// and true returned).
func checkGroupOps(t *testing.T, kill int, b, twin *broker.Broker, clock *msClock, run *killRun) bool {
	t.Helper()
	ctx := context.Background()
	apply := func(op killOp) {
		clock.ms.Store(op.ms)
		if err := applyKillOp(ctx, twin, op.ms, op.line); err != nil {
			t.Fatalf("kill %d: twin: %s: %v", kill, op.line, err)
		}
	}
	for _, op := range run.acked {
		apply(op)
	}
	got := observeKey(t, b)
	d := diffState(got, observeKey(t, twin))
	if d == "" {
		return false
	}
	if run.inFlight != nil {
		apply(*run.inFlight)
		if diffState(got, observeKey(t, twin)) == "" {
			return true
		}
	}
	t.Fatalf("kill %d: group stream after %d acknowledged operations (in flight: %v): %s", kill, len(run.acked), run.inFlight, d)
	return false
}

// observeKey is the observable state of the group stream alone.
func observeKey(t *testing.T, b *broker.Broker) state {
	t.Helper()
	st := observe(t, b)
	for k := range st {
		if k != killKey {
			delete(st, k)
		}
	}
	return st
}
