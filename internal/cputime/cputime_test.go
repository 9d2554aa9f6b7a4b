package cputime_test

import (
	"runtime"
	"testing"
	"time"

	"github.com/brookmq/brook/internal/cputime"
)

// spin burns CPU on the calling thread for about d of wall-clock time.
func spin(d time.Duration) int {
	n := 0
	for end := time.Now().Add(d); time.Now().Before(end); n++ {
	}
	return n
}

func TestProcessAndThreadAdvance(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("thread CPU time is read on Linux only")
	}
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	p0 := cputime.Process()
	t0, ok := cputime.Thread()
	if !ok {
		t.Fatal("Thread: not readable on Linux")
	}
	if spin(50*time.Millisecond) == 0 {
		t.Fatal("spin: no iteration in 50 ms")
	}
	t1, _ := cputime.Thread()
	if p1 := cputime.Process(); p1 <= p0 {
		t.Errorf("process CPU time did not advance: %v -> %v", p0, p1)
	}
	if t1 <= t0 {
		t.Errorf("thread CPU time did not advance: %v -> %v", t0, t1)
	}
}
