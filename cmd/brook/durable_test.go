package main_test

import (
	"bufio"
	"os/exec"
	"strings"
	"testing"
)

// TestDirSurvivesRestart runs the CLI twice on one data directory: the
// second run shows what the first wrote, for every fsync policy.
func TestDirSurvivesRestart(t *testing.T) {
	for _, policy := range []string{"always", "everysec", "no"} {
		t.Run(policy, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			first := runBrook(t, "XADD s 1-0 f v\nXGROUP CREATE s g 0\nXREADGROUP GROUP g c STREAMS s >\n",
				"--dir", dir, "--appendfsync", policy)
			if !strings.HasPrefix(first, "\"1-0\"\nOK\n") {
				t.Fatalf("first run: %q", first)
			}
			got := runBrook(t, "XRANGE s - +\nXPENDING s g\n", "--dir", dir)
			want := "1) 1) \"1-0\"\n   2) 1) \"f\"\n      2) \"v\"\n" +
				"1) (integer) 1\n2) \"1-0\"\n3) \"1-0\"\n4) 1) 1) \"c\"\n      2) \"1\"\n"
			if got != want {
				t.Fatalf("second run:\n got %q\nwant %q", got, want)
			}
		})
	}
}

// TestDirLocked checks that a second CLI on a directory in use fails with a
// clear message while the first keeps running.
func TestDirLocked(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	first := exec.Command(brookBinary(t), "--dir", dir)
	stdin, err := first.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := first.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := first.Start(); err != nil {
		t.Fatal(err)
	}
	defer first.Wait()
	defer stdin.Close()
	if _, err := stdin.Write([]byte("PING\n")); err != nil {
		t.Fatal(err)
	}
	// Once PONG is out, the first brook holds the lock.
	if line, err := bufio.NewReader(stdout).ReadString('\n'); line != "PONG\n" {
		t.Fatalf("first brook: %q, %v", line, err)
	}
	second := exec.Command(brookBinary(t), "--dir", dir)
	second.Stdin = strings.NewReader("PING\n")
	msg, err := second.CombinedOutput()
	if err == nil {
		t.Fatalf("second brook on a locked directory succeeded: %q", msg)
	}
	if !strings.Contains(string(msg), "in use") {
		t.Fatalf("second brook: %q, want a message saying the directory is in use", msg)
	}
}

func TestAppendfsyncInvalid(t *testing.T) {
	t.Parallel()
	cmd := exec.Command(brookBinary(t), "--appendfsync", "sometimes")
	cmd.Stdin = strings.NewReader("")
	msg, err := cmd.CombinedOutput()
	if err == nil || !strings.Contains(string(msg), "sometimes") {
		t.Fatalf("--appendfsync sometimes: %v %q", err, msg)
	}
}
