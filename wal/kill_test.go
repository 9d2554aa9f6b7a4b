package wal_test

import (
	"bufio"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"strconv"
	"testing"
	"time"

	"github.com/brookmq/brook/wal"
)

// killChildEnv names the log directory of a child process of TestKillLoop.
const killChildEnv = "BROOK_WAL_KILL_CHILD"

// killChild appends records under FsyncAlways to the log in dir and prints
// each position once Wait acknowledged it, until it is killed.
func killChild(dir string) {
	l, err := wal.Open(dir, wal.Options{SegmentSize: 4096})
	if err != nil {
		fmt.Fprintln(os.Stderr, "child: open:", err)
		os.Exit(2)
	}
	out := bufio.NewWriterSize(os.Stdout, 64)
	for {
		pos, err := l.Append(payload(l.LastPos() + 1))
		if err == nil {
			err = l.Wait(context.Background(), pos)
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, "child:", err)
			os.Exit(2)
		}
		fmt.Fprintln(out, pos)
		out.Flush()
	}
}

// TestKillLoop runs a child process that appends and acknowledges records on
// the real file system, SIGKILLs it at a random moment, reopens the log and
// checks that every acknowledged record is there, in order, intact. The page
// cache survives a process kill, so this tests the recovery code on the real
// OS, not power loss (TestPowerLoss does that).
func TestKillLoop(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns processes")
	}
	d := t.TempDir()
	rng := rand.New(rand.NewPCG(1, 2))
	rounds := 4
	if raceEnabled {
		rounds = 2 // a child takes seconds to start under the race detector
	}
	for round := range rounds {
		acked := runChild(t, d, time.Duration(20+rng.IntN(80))*time.Millisecond)
		l, err := wal.Open(d, wal.Options{})
		if err != nil {
			t.Fatalf("round %d: Open after kill: %v", round, err)
		}
		_, last := replayAll(t, l)
		closeT(t, l)
		if last < acked {
			t.Fatalf("round %d: log ends at %d, %d acknowledged", round, last, acked)
		}
		t.Logf("round %d: %d acknowledged, %d in the log", round, acked, last)
	}
}

// runChild starts a child on dir, kills it d after its first
// acknowledgement, and returns the last position it acknowledged.
func runChild(t *testing.T, dir string, d time.Duration) uint64 {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), killChildEnv+"="+dir)
	cmd.Stderr = os.Stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var acked uint64
	sc := bufio.NewScanner(stdout)
	for sc.Scan() {
		pos, err := strconv.ParseUint(sc.Text(), 10, 64)
		if err != nil {
			t.Errorf("child printed %q", sc.Text())
			continue
		}
		if acked == 0 { // the child is appending: kill it d from now
			time.AfterFunc(d, func() { cmd.Process.Kill() })
		}
		acked = pos
	}
	cmd.Wait()
	return acked
}
