package brookredis_test

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/brookmq/brook/broker"
	"github.com/redis/go-redis/v9"
)

// The Cluster worker kill test: order workers (broker.Worker over
// brookredis) in three child processes (this test binary running
// TestClusterWorkerKillChild) consume one stream of a three-master Redis
// Cluster. One child, the victim, blocks in its handler at its
// kwBlockAt-th order and says so; the parent SIGKILLs it there, so it dies
// holding a batch of pending orders. The two others reclaim them
// (XAUTOCLAIM once idle for ReclaimIdle) and finish. Every order must then
// be processed (recorded in the hash kwDone) or dead-lettered, not both,
// the dead letters exactly the poisoned orders, once each; nothing is left
// pending; and only orders of the victim's batch were processed twice.

const (
	kwAddrsEnv   = "BROOKREDIS_KILL_ADDRS"
	kwNameEnv    = "BROOKREDIS_KILL_NAME"
	kwBlockAtEnv = "BROOKREDIS_KILL_BLOCK_AT"

	kwKey      = "orders" // no hash tag: the dead-letter key is "{orders}:dead"
	kwDead     = "{orders}:dead"
	kwGroup    = "workers"
	kwDone     = "orders:done"  // hash: order -> consumer that processed it first
	kwCalls    = "orders:calls" // hash: order -> successful handler calls
	kwOrders   = 240
	kwMaxDeliv = 4
	kwConc     = 2
	kwBatch    = 4
	kwBlockAt  = 20
)

// kwPoisoned orders fail every time; flaky ones fail their first call in
// each process.
func kwPoisoned(n int) bool { return n%23 == 0 }
func kwFlaky(n int) bool    { return n%7 == 0 }

// kwWorkerOptions are the children's: a short ReclaimIdle so that the
// victim's orders are reclaimed soon after it dies.
func kwWorkerOptions() broker.WorkerOptions {
	return broker.WorkerOptions{Concurrency: kwConc, Batch: kwBatch, MaxDeliveries: kwMaxDeliv,
		MinBackoff: time.Millisecond, MaxBackoff: 10 * time.Millisecond, ReclaimIdle: 2 * time.Second,
		Logf: func(f string, a ...any) { fmt.Fprintf(os.Stderr, f+"\n", a...) }}
}

// TestClusterWorkerKillChild is a worker process of TestClusterWorkerKill;
// without its environment it has nothing to do. It runs until SIGTERM.
func TestClusterWorkerKillChild(t *testing.T) {
	addrs, name := os.Getenv(kwAddrsEnv), os.Getenv(kwNameEnv)
	if addrs == "" {
		t.Skip("helper process of TestClusterWorkerKill")
	}
	time.AfterFunc(2*time.Minute, func() { os.Exit(3) }) // orphaned: give up
	blockAt, _ := strconv.Atoi(os.Getenv(kwBlockAtEnv))
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM)
	defer stop()
	c := newClient(strings.Split(addrs, ",")...)
	defer c.Close()
	rdb := redis.NewClusterClient(&redis.ClusterOptions{Addrs: strings.Split(addrs, ",")})
	defer rdb.Close()
	var mu sync.Mutex
	calls, seen := 0, make(map[int]bool)
	h := func(ctx context.Context, e broker.Entry) error {
		n, err := strconv.Atoi(e.Fields[0].Value)
		if err != nil {
			return err
		}
		mu.Lock()
		calls++
		first := !seen[n]
		seen[n] = true
		block := calls == blockAt
		mu.Unlock()
		if block {
			fmt.Printf("busy %d\n", n)
			select {} // until SIGKILL
		}
		time.Sleep(time.Millisecond) // the work
		switch {
		case kwPoisoned(n):
			return fmt.Errorf("order %d is poisoned", n)
		case kwFlaky(n) && first:
			return errors.New("flaky")
		}
		if err := rdb.HSetNX(ctx, kwDone, strconv.Itoa(n), name).Err(); err != nil {
			return err
		}
		return rdb.HIncrBy(ctx, kwCalls, strconv.Itoa(n), 1).Err()
	}
	fmt.Println("ready")
	if err := broker.Consume(ctx, c, kwKey, kwGroup, name, h, kwWorkerOptions()); err != nil {
		t.Fatalf("%s: Consume: %v", name, err)
	}
}

// kwChild is a running worker process.
type kwChild struct {
	name   string
	cmd    *exec.Cmd
	lines  chan string
	stderr *bytes.Buffer
}

func startKillChild(t *testing.T, addrs []string, name string, blockAt int) *kwChild {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestClusterWorkerKillChild$")
	cmd.Env = append(os.Environ(), kwAddrsEnv+"="+strings.Join(addrs, ","), kwNameEnv+"="+name,
		kwBlockAtEnv+"="+strconv.Itoa(blockAt))
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	ch := &kwChild{name: name, cmd: cmd, lines: make(chan string, 16), stderr: new(bytes.Buffer)}
	cmd.Stderr = ch.stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	pid := cmd.Process.Pid
	t.Cleanup(func() { syscall.Kill(pid, syscall.SIGKILL) }) // a no-op once it was waited for
	go func() {
		defer close(ch.lines)
		s := bufio.NewScanner(out)
		for s.Scan() {
			ch.lines <- s.Text()
		}
	}()
	return ch
}

// line returns the child's next line of output, or fails when it ends or
// the deadline passes.
func (ch *kwChild) line(t *testing.T, ctx context.Context) string {
	t.Helper()
	select {
	case l, ok := <-ch.lines:
		if !ok {
			t.Fatalf("%s ended: %v\n%s", ch.name, ch.cmd.Wait(), ch.stderr)
		}
		return l
	case <-ctx.Done():
		t.Fatalf("%s: no output before the deadline\n%s", ch.name, ch.stderr)
	}
	return ""
}

func TestClusterWorkerKill(t *testing.T) {
	needRedis(t, "redis-server", "redis-cli")
	addrs := startCluster(t)
	ctx, cancel := context.WithTimeout(t.Context(), 90*time.Second) // a hang, not a measure
	defer cancel()
	c := newClient(addrs...)
	defer c.Close()
	rdb := redis.NewClusterClient(&redis.ClusterOptions{Addrs: addrs})
	defer rdb.Close()
	if err := c.XGroupCreate(ctx, kwKey, kwGroup, broker.GroupCreateOptions{MkStream: true}); err != nil {
		t.Fatal(err)
	}
	// A dead-letter key outside the key's hash slot cannot be moved to
	// atomically: Run says so at once.
	err := broker.Consume(ctx, c, kwKey, kwGroup, "x", func(context.Context, broker.Entry) error { return nil },
		broker.WorkerOptions{DeadLetterKey: "dead-orders"})
	if !errors.Is(err, broker.ErrInvalidArgument) || !strings.Contains(err.Error(), "slot") {
		t.Fatalf("Run with a dead-letter key in another slot: %v, want ErrInvalidArgument naming the slots", err)
	}
	ids := make(map[int]broker.ID)
	for n := 1; n <= kwOrders; n++ {
		id, err := c.XAdd(ctx, kwKey, []broker.Field{{Name: "order_id", Value: strconv.Itoa(n)}}, broker.AddOptions{})
		if err != nil {
			t.Fatal(err)
		}
		ids[n] = id
	}
	victim := startKillChild(t, addrs, "victim", kwBlockAt)
	if l := victim.line(t, ctx); l != "ready" {
		t.Fatalf("victim said %q", l)
	}
	busy := victim.line(t, ctx)
	blocked, err := strconv.Atoi(strings.TrimPrefix(busy, "busy "))
	if err != nil {
		t.Fatalf("victim said %q", busy)
	}
	// The victim holds its batch: start the others, then kill it mid-run.
	var others []*kwChild
	for _, name := range []string{"w1", "w2"} {
		ch := startKillChild(t, addrs, name, 0)
		if l := ch.line(t, ctx); l != "ready" {
			t.Fatalf("%s said %q", name, l)
		}
		others = append(others, ch)
	}
	if err := victim.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	victim.cmd.Wait()
	sum, err := c.XPending(ctx, kwKey, kwGroup)
	if err != nil {
		t.Fatal(err)
	}
	var held int64
	for _, cc := range sum.Consumers {
		if cc.Consumer == "victim" {
			held = cc.Count
		}
	}
	if held == 0 {
		t.Fatalf("the victim died holding no order, want its batch (its order %d among them)", blocked)
	}
	// Wait until every order is done or dead and nothing is pending.
	for {
		done, err1 := rdb.HLen(ctx, kwDone).Result()
		dead, err2 := c.XLen(ctx, kwDead)
		sum, err3 := c.XPending(ctx, kwKey, kwGroup)
		if err := errors.Join(err1, err2, err3); err != nil {
			t.Fatal(err)
		}
		if done+dead >= kwOrders && sum.Count == 0 {
			break
		}
		if ctx.Err() != nil {
			t.Fatalf("%d done, %d dead of %d orders, %d pending before the deadline\n%s\n%s",
				done, dead, kwOrders, sum.Count, others[0].stderr, others[1].stderr)
		}
		time.Sleep(20 * time.Millisecond)
	}
	for _, ch := range others {
		ch.cmd.Process.Signal(syscall.SIGTERM)
		if err := ch.cmd.Wait(); err != nil {
			t.Fatalf("%s: %v\n%s", ch.name, err, ch.stderr)
		}
	}
	// Every order once, done or dead.
	doneBy, err := rdb.HGetAll(ctx, kwDone).Result()
	if err != nil {
		t.Fatal(err)
	}
	callsBy, err := rdb.HGetAll(ctx, kwCalls).Result()
	if err != nil {
		t.Fatal(err)
	}
	deadEntries, err := c.XRange(ctx, kwDead, broker.MinID, broker.MaxID, 0)
	if err != nil {
		t.Fatal(err)
	}
	dead := make(map[int]int)
	for _, e := range deadEntries {
		d, err := broker.ParseDeadLetter(e)
		if err != nil {
			t.Fatal(err)
		}
		n, _ := strconv.Atoi(d.Fields[0].Value)
		if d.Original != ids[n] || d.Stream != kwKey || d.Group != kwGroup {
			t.Fatalf("dead letter %+v", d)
		}
		dead[n]++
	}
	twice := 0
	for n := 1; n <= kwOrders; n++ {
		key := strconv.Itoa(n)
		by, done := doneBy[key]
		switch {
		case kwPoisoned(n) && (done || dead[n] != 1):
			t.Errorf("poisoned order %d: done %v, %d dead letters; want one dead letter", n, done, dead[n])
		case !kwPoisoned(n) && (!done || dead[n] != 0):
			t.Errorf("order %d: done %v, %d dead letters; want done", n, done, dead[n])
		case n == blocked && by == "victim":
			t.Errorf("order %d, the victim's when it died, was done by the victim", n)
		}
		if callsBy[key] != "" && callsBy[key] != "1" {
			twice++
		}
	}
	if twice > kwConc*kwBatch {
		t.Errorf("%d orders processed more than once; only the victim's batch (at most %d) may be", twice, kwConc*kwBatch)
	}
	t.Logf("%d orders: the victim died holding %d, %d dead letters, %d processed twice", kwOrders, held, len(deadEntries), twice)
}
