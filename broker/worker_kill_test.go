package broker_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
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
)

// The worker kill test: a child process (this test binary running
// TestWorkerKillChild) runs two workers of one group over a durable stream
// of wkPerKill entries per kill. Their handler records each entry it finishes in a
// "done" stream, at most once (it checks first); it fails some entries
// always, panics on others always, and fails others once per process. The
// parent SIGKILLs the child at a random moment, restarts it, and so on;
// then it runs the workers itself until the group has nothing left, and
// checks every entry: in "done" once, or in the dead-letter stream once,
// never missing, and in both only if its handler had finished before a
// crash left it unacknowledged and later crashes pushed its delivery count
// past MaxDeliveries (the dead letter then says "without an outcome").

const (
	wkDirEnv   = "BROOK_WORKER_KILL_DIR"
	wkNEnv     = "BROOK_WORKER_KILL_ENTRIES"
	wkKey      = "jobs"
	wkDone     = "done"
	wkDead     = "jobs:dead"
	wkGroup    = "g"
	wkPerKill  = 75 // entries per kill, so that kills keep hitting work
	wkMaxDeliv = 4
)

// wkFate is what the handler does with entry n: "fail" always, "panic"
// always, "flaky" (fails its first delivery in each process: one that a
// run of kills delivers in MaxDeliveries processes is dead-lettered), or
// "ok".
func wkFate(n int) string {
	switch {
	case n%13 == 0:
		return "fail"
	case n%17 == 0:
		return "panic"
	case n%5 == 0:
		return "flaky"
	}
	return "ok"
}

// TestWorkerKillChild is the child of TestWorkerKill; without its
// environment it has nothing to do.
func TestWorkerKillChild(t *testing.T) {
	dir := os.Getenv(wkDirEnv)
	if dir == "" {
		t.Skip("helper process of TestWorkerKill")
	}
	time.AfterFunc(20*time.Second, func() { os.Exit(3) }) // orphaned: give up
	b, err := broker.Open(dir, broker.Options{Durability: broker.DurabilityOptions{
		SnapshotEvery: 32 << 10, SegmentSize: 16 << 10, Logf: func(string, ...any) {}}})
	if err != nil {
		fmt.Fprintf(os.Stderr, "child: Open: %v\n", err)
		os.Exit(2)
	}
	ctx := context.Background()
	n, _ := strconv.Atoi(os.Getenv(wkNEnv))
	if err := wkSetup(ctx, b, n); err != nil {
		fmt.Fprintf(os.Stderr, "child: setup: %v\n", err)
		os.Exit(2)
	}
	fmt.Println("ready")
	if err := wkRun(ctx, b, nil); err != nil {
		fmt.Fprintf(os.Stderr, "child: %v\n", err)
		os.Exit(2)
	}
	select {} // until killed
}

// wkSetup adds the entries (one record: all or none) and the group, unless
// an earlier run did.
func wkSetup(ctx context.Context, b *broker.Broker, entries int) error {
	batch := make([][]broker.Field, entries)
	for i := range batch {
		batch[i] = fields("n", strconv.Itoa(i+1))
	}
	if n, err := b.XLen(ctx, wkKey); err != nil {
		return err
	} else if n > 0 {
		batch = nil
	}
	if _, err := b.XAddBatch(ctx, wkKey, batch, broker.AddOptions{}); err != nil { // nothing if batch is nil
		return err
	}
	err := b.XGroupCreate(ctx, wkKey, wkGroup, broker.GroupCreateOptions{})
	if err != nil && !errors.Is(err, broker.ErrGroupExists) {
		return err
	}
	return nil
}

// wkRun runs the two workers until ctx ends (nil: never), with a handler
// that records what it finishes in wkDone at most once.
func wkRun(ctx context.Context, b *broker.Broker, stats func(ws []*broker.Worker)) error {
	done, err := b.XRange(ctx, wkDone, broker.MinID, broker.MaxID, 0)
	if err != nil {
		return err
	}
	var mu sync.Mutex // serializes check-and-record
	recorded := make(map[string]bool)
	for _, e := range done {
		recorded[e.Fields[0].Value] = true
	}
	tried := make(map[string]bool) // flaky entries failed in this process
	h := func(hctx context.Context, e broker.Entry) error {
		v := e.Fields[0].Value
		n, _ := strconv.Atoi(v)
		time.Sleep(time.Duration(rand.IntN(500)) * time.Microsecond)
		mu.Lock()
		defer mu.Unlock()
		if recorded[v] {
			return nil // finished before a crash: just acknowledge
		}
		switch wkFate(n) {
		case "fail":
			return fmt.Errorf("entry %d always fails", n)
		case "panic":
			panic(fmt.Sprintf("entry %d always panics", n))
		case "flaky":
			if !tried[v] {
				tried[v] = true
				return fmt.Errorf("entry %d fails once", n)
			}
		}
		if _, err := b.XAdd(hctx, wkDone, fields("n", v), broker.AddOptions{}); err != nil {
			return err
		}
		recorded[v] = true
		return nil
	}
	o := broker.WorkerOptions{Concurrency: 3, Batch: 4, MaxDeliveries: wkMaxDeliv, MinBackoff: time.Millisecond,
		MaxBackoff: 4 * time.Millisecond, ReclaimIdle: 50 * time.Millisecond, Logf: func(string, ...any) {}}
	if ctx == context.Background() {
		var cancel context.CancelFunc
		ctx, cancel = context.WithCancel(ctx)
		defer cancel()
	}
	var ws []*broker.Worker
	for _, c := range []string{"w1", "w2"} {
		w, err := b.NewWorker(wkKey, wkGroup, c, h, o)
		if err != nil {
			return err
		}
		ws = append(ws, w)
	}
	errs := make(chan error, len(ws))
	for _, w := range ws {
		go func() { errs <- w.Run(ctx) }()
	}
	if stats != nil {
		stats(ws)
	}
	return errors.Join(<-errs, <-errs)
}

// TestWorkerKill kills the child BROOK_WORKER_KILLS times (default 20) at
// random moments, then finishes the work in this process and checks every
// entry.
func TestWorkerKill(t *testing.T) {
	t.Parallel()
	kills := envCount(t, "BROOK_WORKER_KILLS", 20)
	if testing.Short() {
		kills = min(kills, 5)
	}
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	entries := wkPerKill * max(kills, 1)
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 3))
	for range kills {
		wkKillChild(t, exe, dir, entries, 5+rng.IntN(60))
	}
	b := openDurable(t, dir, broker.Options{})
	defer b.Close()
	if kills == 0 {
		if err := wkSetup(context.Background(), b, entries); err != nil {
			t.Fatal(err)
		}
	}
	doneByKids, _ := b.XLen(context.Background(), wkDone)
	deadByKids, _ := b.XLen(context.Background(), wkDead)
	t.Logf("the killed children settled %d entries (done or dead-lettered) of %d", doneByKids+deadByKids, entries)
	ctx, cancel := context.WithCancel(context.Background())
	err = wkRun(ctx, b, func([]*broker.Worker) {
		eventually(t, "the group to finish", func() bool {
			sum, err := b.XPending(ctx, wkKey, wkGroup)
			gs, err2 := b.XInfoGroups(ctx, wkKey)
			return err == nil && err2 == nil && sum.Count == 0 && gs[0].Lag == 0 && !gs[0].LagUnknown
		})
		cancel()
	})
	if err != nil {
		t.Fatalf("final run: %v", err)
	}
	wkCheck(t, b, kills, entries)
}

// wkKillChild runs one child until it is SIGKILLed killAfter ms after it is
// ready.
func wkKillChild(t *testing.T, exe, dir string, entries, killAfter int) {
	t.Helper()
	cmd := exec.Command(exe, "-test.run=^TestWorkerKillChild$")
	cmd.Env = append(os.Environ(), wkDirEnv+"="+dir, wkNEnv+"="+strconv.Itoa(entries))
	var stderr strings.Builder
	cmd.Stderr = &stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	br := bufio.NewReader(stdout)
	line, _ := br.ReadString('\n')
	if line == "ready\n" {
		time.Sleep(time.Duration(killAfter) * time.Millisecond)
	}
	cmd.Process.Signal(syscall.SIGKILL)
	go func() { _, _ = br.WriteTo(discard{}) }()
	err = cmd.Wait()
	if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); !ok || !ws.Signaled() || line != "ready\n" {
		t.Fatalf("child did not die by the kill (first line %q): %v\n%s", line, err, stderr.String())
	}
}

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }

// wkCheck checks every entry's fate after the last run.
func wkCheck(t *testing.T, b *broker.Broker, kills, wkEntries int) {
	t.Helper()
	ctx := context.Background()
	done, err := b.XRange(ctx, wkDone, broker.MinID, broker.MaxID, 0)
	if err != nil {
		t.Fatal(err)
	}
	dead, err := b.XRange(ctx, wkDead, broker.MinID, broker.MaxID, 0)
	if err != nil {
		t.Fatal(err)
	}
	entries, err := b.XRange(ctx, wkKey, broker.MinID, broker.MaxID, 0)
	if err != nil || len(entries) != wkEntries {
		t.Fatalf("%s: %d entries, %v", wkKey, len(entries), err)
	}
	inDone := make(map[int]int)
	for _, e := range done {
		n, _ := strconv.Atoi(e.Fields[0].Value)
		inDone[n]++
	}
	inDead := make(map[int]broker.DeadLetter)
	for _, e := range dead {
		d, err := broker.ParseDeadLetter(e)
		if err != nil {
			t.Fatal(err)
		}
		n, _ := strconv.Atoi(d.Fields[0].Value)
		if _, twice := inDead[n]; twice {
			t.Fatalf("entry %d dead-lettered twice", n)
		}
		if n < 1 || n > wkEntries || d.Original != entries[n-1].ID || d.Group != wkGroup || d.Stream != wkKey ||
			(d.Consumer != "w1" && d.Consumer != "w2") || d.Deliveries < wkMaxDeliv {
			t.Fatalf("entry %d: dead letter %+v", n, d)
		}
		inDead[n] = d
	}
	var crashDead, flakyDead, both int
	for n := 1; n <= wkEntries; n++ {
		d, isDead := inDead[n]
		switch c := inDone[n]; {
		case c > 1:
			t.Fatalf("entry %d recorded done %d times", n, c)
		case c == 0 && !isDead:
			t.Fatalf("entry %d missing: neither done nor dead-lettered", n)
		case !isDead:
			if f := wkFate(n); f == "fail" || f == "panic" {
				t.Fatalf("entry %d (%s) recorded done", n, f)
			}
			continue
		}
		crashed := strings.Contains(d.Error, "without an outcome")
		switch f := wkFate(n); {
		case crashed:
			crashDead++
		case f == "fail" && !strings.Contains(d.Error, "always fails"):
			t.Fatalf("entry %d: error %q", n, d.Error)
		case f == "panic" && (!strings.HasPrefix(d.Error, "panic: entry") || !strings.Contains(d.Error, "worker_kill_test.go")):
			t.Fatalf("entry %d: error without the panic and its stack: %q", n, d.Error)
		case f == "flaky" && strings.Contains(d.Error, "fails once"):
			flakyDead++ // its failures in several processes add up
		case f != "fail" && f != "panic":
			t.Fatalf("entry %d (%s) dead-lettered: %q", n, f, d.Error)
		}
		if inDone[n] == 1 {
			if !crashed {
				t.Fatalf("entry %d done and dead-lettered for failing: %q", n, d.Error)
			}
			both++
		}
	}
	t.Logf("%d kills: %d entries, %d done, %d dead-lettered (%d flaky ones that failed in %d processes, %d after crashes, %d of them done before)",
		kills, wkEntries, len(done), len(dead), flakyDead, wkMaxDeliv, crashDead, both)
}
