package main_test

import (
	"bufio"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// runBrook pipes input into the brook binary and returns its stdout.
func runBrook(t *testing.T, input string, args ...string) string {
	t.Helper()
	cmd := exec.Command(brookBinary(t), args...)
	cmd.Stdin = strings.NewReader(input)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("brook %v: %v\n%s", args, err, out)
	}
	return string(out)
}

func TestScript(t *testing.T) {
	tests := []struct{ name, input, want string }{
		{"empty", "", ""},
		{"blank lines", "\n  \n\t\n", ""},
		{"no final newline", "PING", "PONG\n"},
		{"crlf", "ECHO a\r\n", "\"a\"\n"},
		{"comments", "# a comment\n  \t# another\nPING # not a comment\n",
			"(error) ERR wrong number of arguments for 'ping' command\n"},
		{"invalid args", "ECHO \"a\nPING\n", "Invalid argument(s)\nPONG\n"},
		{"quit", "PING\nquit\nPING\n", "PONG\n"},
		{"exit any case", "EXIT now\nPING\n", ""},
		{"repeat", "3 ECHO x\n", "\"x\"\n\"x\"\n\"x\"\n"},
		{"repeat invalid", "0 PING\n-1 PING\n\"\" PING\n", strings.Repeat("Invalid redis-cli repeat command option value.\n", 3)},
		{"number alone", "3\n", "(error) ERR unknown command '3', with args beginning with: \n"},
		{"subscribe", "SUBSCRIBE a\nPUBLISH a hi\nPSUBSCRIBE *\nPUBLISH a x\nUNSUBSCRIBE a\nPING\nPUNSUBSCRIBE\nPING\n",
			"Reading messages... (press Ctrl-C to quit)\n" +
				"1) \"subscribe\"\n2) \"a\"\n3) (integer) 1\n" +
				"(integer) 1\n" +
				"1) \"message\"\n2) \"a\"\n3) \"hi\"\n" +
				"1) \"psubscribe\"\n2) \"*\"\n3) (integer) 2\n" +
				"(integer) 2\n" +
				"1) \"message\"\n2) \"a\"\n3) \"x\"\n" +
				"1) \"pmessage\"\n2) \"*\"\n3) \"a\"\n4) \"x\"\n" +
				"1) \"unsubscribe\"\n2) \"a\"\n3) (integer) 1\n" +
				"1) \"pong\"\n2) \"\"\n" +
				"1) \"punsubscribe\"\n2) \"*\"\n3) (integer) 0\n" +
				"PONG\n"},
		{"empty pattern", "PSUBSCRIBE \"\"\nPUBLISH \"\" x\nPUBLISH a y\n",
			"Reading messages... (press Ctrl-C to quit)\n" +
				"1) \"psubscribe\"\n2) \"\"\n3) (integer) 1\n" +
				"(integer) 1\n" +
				"1) \"pmessage\"\n2) \"\"\n3) \"\"\n4) \"x\"\n" +
				"(integer) 0\n"},
		{"streams", "XADD s 1-0 f v\nXREAD COUNT 1 STREAMS s 0\n",
			"\"1-0\"\n1) 1) \"s\"\n   2) 1) 1) \"1-0\"\n         2) 1) \"f\"\n            2) \"v\"\n"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := runBrook(t, tc.input); got != tc.want {
				t.Errorf("input %q:\n got %q\nwant %q", tc.input, got, tc.want)
			}
		})
	}
}

// TestScriptLinesAsTheyArrive checks that a line is answered before the next
// one is written: brook must not wait for the end of its input.
func TestScriptLinesAsTheyArrive(t *testing.T) {
	cmd := exec.Command(brookBinary(t))
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	out := bufio.NewReader(stdout)
	for _, tc := range []struct{ in, want string }{
		{"XADD s 1-0 f v\n", "\"1-0\"\n"},
		{"PING\n", "PONG\n"},
		{"XLEN s\n", "(integer) 1\n"},
	} {
		io.WriteString(stdin, tc.in)
		got, err := out.ReadString('\n')
		if err != nil || got != tc.want {
			t.Errorf("%q: got %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
	stdin.Close()
	if err := cmd.Wait(); err != nil {
		t.Errorf("brook exited with %v", err)
	}
}

func TestFlags(t *testing.T) {
	cmd := exec.Command(brookBinary(t), "-h")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("brook -h: %v", err)
	}
	for _, want := range []string{"Usage: brook", "SUBSCRIBE", "terminal", "pipe"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("brook -h does not mention %q:\n%s", want, out)
		}
	}
	cmd = exec.Command(brookBinary(t), "extra")
	if err := cmd.Run(); err == nil {
		t.Error("brook extra: no error")
	}
}

// TestScriptFlushesBeforeBlocking checks that replies to earlier lines are
// shown before a blocking read, even when later lines are already buffered.
func TestScriptFlushesBeforeBlocking(t *testing.T) {
	cmd := exec.Command(brookBinary(t))
	cmd.Stdin = strings.NewReader("XADD s 1-0 f v\nXREAD BLOCK 100000000 STREAMS s $\nPING\n")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	got, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil || got != "\"1-0\"\n" {
		t.Errorf("first reply = %q, %v; want \"1-0\"", got, err)
	}
	cmd.Process.Kill() // blocked until the timeout, as redis-cli would be
	cmd.Wait()
}

// TestOrdersScript runs the README's first command, go run ./cmd/brook <
// examples/orders.redis, and requires the output Redis 7.0.15 gave for the
// same script (examples/orders.expected, recorded with
// testdata/conformance/run.sh -d examples --record).
func TestOrdersScript(t *testing.T) {
	root := repoRoot(t)
	script, err := os.ReadFile(filepath.Join(root, "examples", "orders.redis"))
	if err != nil {
		t.Fatal(err)
	}
	want, err := os.ReadFile(filepath.Join(root, "examples", "orders.expected"))
	if err != nil {
		t.Fatal(err)
	}
	if got := runBrook(t, string(script)); got != string(want) {
		t.Errorf("examples/orders.redis printed\n%s\nRedis printed\n%s", got, want)
	}
}
