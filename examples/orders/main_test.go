package main

import (
	"bufio"
	"context"
	"math/rand/v2"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/brookmq/brook/broker"
	brookredis "github.com/brookmq/brook/redis"
	"github.com/brookmq/brook/redis/redistest"
	"github.com/redis/go-redis/v9"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// build compiles the program into a temporary directory.
func build(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "orders")
	out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// TestKilledAndResumed kills the program (SIGKILL) a few times at random
// points, then runs it to completion: every order ends processed exactly
// once or dead-lettered, by the program's report and by reading the streams
// afterwards.
func TestKilledAndResumed(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	killAndResume(t, []string{"--dir", dir}, func() (broker.Client, error) { return broker.Open(dir, broker.Options{}) })
}

// TestKilledAndResumedRedis is TestKilledAndResumed with --redis on a
// redis-server of its own: the same program, on Redis.
func TestKilledAndResumedRedis(t *testing.T) {
	addr := redistest.Start(t)
	killAndResume(t, []string{"--redis", addr}, func() (broker.Client, error) {
		return brookredis.New(redis.NewUniversalClient(&redis.UniversalOptions{Addrs: []string{addr}}), brookredis.Options{}), nil
	})
}

// killAndResume runs the program with the backend's flags, kills it three
// times, runs it to completion, and checks the report and the streams
// through a client of the same backend.
func killAndResume(t *testing.T, backend []string, open func() (broker.Client, error)) {
	bin := build(t)
	seed := time.Now().UnixNano()
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(uint64(seed), 0))
	// Three kills add at most three deliveries to an order, a flaky order's
	// failure one more: under the five of --max-deliveries, so only the
	// poisoned orders are dead-lettered.
	args := append(backend, "--orders", "60", "--reclaim-idle", "300ms", "--backoff", "10ms", "--work", "2ms")

	// Kill it after a random number of lines of output: mid-way, at a
	// different point every time.
	for range 3 {
		lines := 1 + rng.IntN(60)
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		cmd := exec.CommandContext(ctx, bin, args...)
		stdout, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(stdout)
		n := 0
		for n < lines && sc.Scan() {
			n++
		}
		_ = cmd.Process.Kill() // SIGKILL
		_ = cmd.Wait()
		cancel()
		t.Logf("killed after %d lines of output", n)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, bin, args...).Output()
	text := string(out)
	if err != nil {
		t.Fatalf("last run: %v\n%s", err, text)
	}
	for _, want := range []string{
		"processed exactly once, 2 dead-lettered [13 38], 0 duplicated [], 0 both done and dead [], 0 missing [], 0 still pending",
		"OK: every order was processed exactly once or dead-lettered",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("the report lacks %q:\n%s", want, text)
		}
	}

	// Check the streams ourselves.
	b, err := open()
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	seen := make(map[int]string)
	for _, key := range []string{doneKey, deadKey} {
		entries, err := b.XRange(ctx, key, broker.MinID, broker.MaxID, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range entries {
			o := orderID(e)
			if prev, dup := seen[o]; dup {
				t.Errorf("order %d is in %s and in %s", o, prev, key)
			}
			seen[o] = key
		}
	}
	for o := 1; o <= 60; o++ {
		want := doneKey
		if poisoned(o) {
			want = deadKey
		}
		if seen[o] != want {
			t.Errorf("order %d: in %q, want %q", o, seen[o], want)
		}
	}
}
