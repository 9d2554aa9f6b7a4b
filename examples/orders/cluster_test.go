package main

import (
	"bufio"
	"bytes"
	"context"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/brookmq/brook/broker"
	brookredis "github.com/brookmq/brook/redis"
	"github.com/brookmq/brook/redis/redistest"
	"github.com/redis/go-redis/v9"
)

// TestClusterOneWorkerKilled runs the program on a three-master Redis Cluster as
// separate processes: one adds the orders (--produce-only), then three
// worker processes (--workers-only, one worker each) share them. One of
// them, the victim, is stopped (SIGSTOP) mid-run while it holds orders,
// then killed (SIGKILL). The two others reclaim its orders and finish, and
// each prints a report saying every order was processed exactly once or
// dead-lettered. The test then reads the streams itself: every order in
// "orders:done" exactly once or (the poisoned ones) in the dead letters,
// none missing, nothing pending, and nothing left to the victim.
func TestClusterOneWorkerKilled(t *testing.T) {
	addrs := redistest.StartCluster(t)
	bin := build(t)
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute) // a hang, not a measure
	defer cancel()
	const orders = 120
	args := []string{"--redis", strings.Join(addrs, ","), "--orders", strconv.Itoa(orders),
		"--reclaim-idle", "1s", "--backoff", "10ms", "--work", "5ms"}
	if out, err := exec.CommandContext(ctx, bin, append(args, "--produce-only")...).CombinedOutput(); err != nil {
		t.Fatalf("--produce-only: %v\n%s", err, out)
	}
	c := brookredis.New(redis.NewClusterClient(&redis.ClusterOptions{Addrs: addrs}), brookredis.Options{})
	defer c.Close()

	type worker struct {
		name   string
		cmd    *exec.Cmd
		stdout bytes.Buffer
		stderr bytes.Buffer
	}
	start := func(name string) *worker {
		w := &worker{name: name}
		w.cmd = exec.CommandContext(ctx, bin, append(args, "--workers-only", "--workers", "1", "--name", name)...)
		w.cmd.Stderr = &w.stderr
		return w
	}
	victim := start("victim")
	lines, err := victim.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var others []*worker
	for _, name := range []string{"a", "b"} {
		w := start(name)
		w.cmd.Stdout = &w.stdout
		others = append(others, w)
	}
	for _, w := range append(others, victim) {
		if err := w.cmd.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { w.cmd.Process.Kill(); w.cmd.Wait() }) // no-ops once it was waited for
	}

	// Once the victim has processed a few orders, freeze it and look at
	// what it holds; kill it holding some, else let it go on a little.
	sc := bufio.NewScanner(lines)
	var held []broker.Pending
	for processed := 0; held == nil; {
		if !sc.Scan() {
			t.Fatalf("the victim ended before it was killed: %v\n%s", victim.cmd.Wait(), victim.stderr.String())
		}
		if !strings.Contains(sc.Text(), " processed") {
			continue
		}
		if processed++; processed < 5 {
			continue
		}
		victimPID := victim.cmd.Process.Pid
		if err := syscall.Kill(victimPID, syscall.SIGSTOP); err != nil {
			t.Fatal(err)
		}
		p, err := c.XPendingRange(ctx, ordersKey, group, broker.PendingOptions{Consumer: "victim1"})
		if err != nil {
			t.Fatal(err)
		}
		if len(p) > 0 {
			held = p
			break
		}
		if processed == orders {
			t.Fatal("the victim never held an order when stopped")
		}
		syscall.Kill(victimPID, syscall.SIGCONT)
	}
	if err := victim.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	victim.cmd.Wait()
	t.Logf("killed the victim holding %d orders", len(held))

	// The others finish by themselves: every order done or dead, nothing
	// pending. Each says so in its report.
	for _, w := range others {
		if err := w.cmd.Wait(); err != nil {
			t.Fatalf("%s: %v\n%s\n%s", w.name, err, w.stdout.String(), w.stderr.String())
		}
		for _, want := range []string{
			"processed exactly once, 5 dead-lettered [13 38 63 88 113], 0 duplicated [], 0 both done and dead [], 0 missing [], 0 still pending",
			"OK: every order was processed exactly once or dead-lettered",
		} {
			if !strings.Contains(w.stdout.String(), want) {
				t.Errorf("the report of %s lacks %q:\n%s", w.name, want, w.stdout.String())
			}
		}
	}

	// Read the streams ourselves.
	doneBy := make(map[int][]string)
	done, err := c.XRange(ctx, doneKey, broker.MinID, broker.MaxID, 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range done {
		doneBy[orderID(e)] = append(doneBy[orderID(e)], e.Fields[1].Value) // order_id, worker
	}
	dead := make(map[int]int)
	deadLetters, err := c.XRange(ctx, deadKey, broker.MinID, broker.MaxID, 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range deadLetters {
		d, err := broker.ParseDeadLetter(e)
		if err != nil || d.Stream != ordersKey || d.Group != group {
			t.Fatalf("dead letter %+v: %v", d, err)
		}
		dead[orderID(e)]++
	}
	for o := 1; o <= orders; o++ {
		switch {
		case poisoned(o) && (len(doneBy[o]) != 0 || dead[o] != 1):
			t.Errorf("poisoned order %d: done by %v, %d dead letters; want one dead letter", o, doneBy[o], dead[o])
		case !poisoned(o) && (len(doneBy[o]) != 1 || dead[o] != 0):
			t.Errorf("order %d: done by %v, %d dead letters; want done once", o, doneBy[o], dead[o])
		}
	}
	sum, err := c.XPending(ctx, ordersKey, group)
	if err != nil {
		t.Fatal(err)
	}
	if sum.Count != 0 {
		t.Errorf("%d orders still pending: %+v", sum.Count, sum.Consumers)
	}
	byOthers := 0
	for _, p := range held {
		entries, err := c.XRange(ctx, ordersKey, p.ID, p.ID, 1)
		if err != nil || len(entries) != 1 {
			t.Fatalf("order entry %s: %v", p.ID, err)
		}
		if by := doneBy[orderID(entries[0])]; len(by) == 1 && by[0] != "victim1" {
			byOthers++
		}
	}
	t.Logf("%d orders: %d done, %d dead letters; of the %d the victim held, %d were processed by the others",
		orders, len(done), len(deadLetters), len(held), byOthers)
}
