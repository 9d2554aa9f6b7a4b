package main_test

import (
	"bytes"
	"context"
	"errors"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// runBrookStatus pipes input into the brook binary and returns its stdout,
// stderr and exit status.
func runBrookStatus(t *testing.T, input string, args ...string) (stdout, stderr string, status int) {
	t.Helper()
	// The deadline only turns a hung CLI into a failure.
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, brookBinary(t), args...)
	cmd.Stdin = strings.NewReader(input)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	var exit *exec.ExitError
	switch {
	case errors.As(err, &exit):
		status = exit.ExitCode()
	case err != nil:
		t.Fatalf("brook %v: %v", args, err)
	}
	return out.String(), errOut.String(), status
}

// TestScriptBlockForever: in a script a read with BLOCK 0 that finds
// nothing could never be woken (brook runs one line at a time and is the
// only writer), so brook says so on stderr and exits with status 1 instead
// of waiting (or dying of Go's deadlock detector); the lines after it do
// not run. Reads that find data, and BLOCK with a timeout, work as in Redis.
func TestScriptBlockForever(t *testing.T) {
	entry := "1) 1) \"s\"\n   2) 1) 1) \"1-0\"\n         2) 1) \"f\"\n            2) \"v\"\n"
	tests := []struct {
		name, input, want, stuck string
	}{
		{"xread $", "XADD s 1-0 f v\nXREAD BLOCK 0 STREAMS s $\nPING\n", "\"1-0\"\n", "line 2: XREAD with BLOCK 0"},
		{"xread missing key", "XREAD COUNT 1 BLOCK 0 STREAMS nokey 0\nPING\n", "", "line 1: XREAD with BLOCK 0"},
		{"xreadgroup >", "XGROUP CREATE s g $ MKSTREAM\nXREADGROUP GROUP g c BLOCK 0 STREAMS s >\nPING\n", "OK\n", "line 2: XREADGROUP with BLOCK 0"},
		{"repeated", "2 XREAD BLOCK 0 STREAMS s $\nPING\n", "", "line 1: XREAD with BLOCK 0"},
		{"subscribed", "SUBSCRIBE ch\nXREAD BLOCK 0 STREAMS s $\nPING\n",
			"Reading messages... (press Ctrl-C to quit)\n1) \"subscribe\"\n2) \"ch\"\n3) (integer) 1\n", "line 2: XREAD with BLOCK 0"},
		{"data", "XADD s 1-0 f v\nXREAD BLOCK 0 STREAMS s 0\nPING\n", "\"1-0\"\n" + entry + "PONG\n", ""},
		{"history", "XADD s 1-0 f v\nXGROUP CREATE s g 0\nXREADGROUP GROUP g c BLOCK 0 STREAMS s 0\nPING\n",
			"\"1-0\"\nOK\n1) 1) \"s\"\n   2) (empty array)\nPONG\n", ""},
		{"timeout", "XREAD BLOCK 1 STREAMS s $\nPING\n", "(nil)\nPONG\n", ""},
	}
	for _, durable := range []bool{false, true} {
		for _, tc := range tests {
			name := tc.name
			if durable {
				name += " durable"
			}
			t.Run(name, func(t *testing.T) {
				t.Parallel()
				var args []string
				if durable {
					// everysec used to hang here instead of crashing: its
					// flusher kept the deadlock detector quiet.
					args = []string{"--dir", t.TempDir(), "--appendfsync", "everysec"}
				}
				stdout, stderr, status := runBrookStatus(t, tc.input, args...)
				if stdout != tc.want {
					t.Errorf("stdout %q, want %q", stdout, tc.want)
				}
				if tc.stuck == "" {
					if status != 0 || stderr != "" {
						t.Errorf("status %d, stderr %q; want 0 and nothing", status, stderr)
					}
					return
				}
				if status != 1 || !strings.Contains(stderr, tc.stuck) || !strings.Contains(stderr, "would wait for ever") {
					t.Errorf("status %d, stderr %q; want 1 and a message with %q", status, stderr, tc.stuck)
				}
				if strings.Contains(stderr, "goroutine") {
					t.Errorf("a Go crash: %s", stderr)
				}
			})
		}
	}
}

// TestAppendfsyncNeedsDir: --appendfsync without --dir would be ignored
// (an in-memory broker has no log), so it is an error.
func TestAppendfsyncNeedsDir(t *testing.T) {
	t.Parallel()
	_, stderr, status := runBrookStatus(t, "PING\n", "--appendfsync", "everysec")
	if status != 2 || !strings.Contains(stderr, "--appendfsync needs --dir") {
		t.Fatalf("--appendfsync without --dir: status %d, stderr %q", status, stderr)
	}
	if stdout, _, status := runBrookStatus(t, "PING\n", "--appendfsync", "everysec", "--dir", t.TempDir()); status != 0 || stdout != "PONG\n" {
		t.Fatalf("--appendfsync with --dir: status %d, stdout %q", status, stdout)
	}
}

// TestHelpMentionsQuit: HELP lists the CLI's own quit and exit.
func TestHelpMentionsQuit(t *testing.T) {
	t.Parallel()
	out := runBrook(t, "HELP\n")
	if !strings.HasSuffix(out, ") QUIT | EXIT (this CLI: end the session)\n") || !strings.Contains(out, "1) brook commands") {
		t.Fatalf("HELP:\n%s", out)
	}
}
