package main

import (
	"bufio"
	"io"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"

	"github.com/brookmq/brook/redis/redistest"
)

// chatProcess is a chat server running as its own process.
type chatProcess struct {
	cmd *exec.Cmd
	url string   // http://host:port
	log []string // its log lines up to the address
}

var servingRE = regexp.MustCompile(`chat on (http://\S+)`)

// startChat runs the chat program with args and --addr 127.0.0.1:0, and
// waits for the address it logs. The cleanup stops it (SIGTERM) and waits.
func startChat(t *testing.T, bin string, args ...string) *chatProcess {
	t.Helper()
	cmd := exec.Command(bin, append(args, "--addr", "127.0.0.1:0")...)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	pid := cmd.Process.Pid
	p := &chatProcess{cmd: cmd}
	t.Cleanup(func() {
		syscall.Kill(pid, syscall.SIGTERM)
		cmd.Wait()
	})
	sc := bufio.NewScanner(stderr)
	for sc.Scan() {
		p.log = append(p.log, sc.Text())
		if m := servingRE.FindStringSubmatch(sc.Text()); m != nil {
			p.url = m[1]
			go io.Copy(io.Discard, stderr) // until the process ends
			return p
		}
	}
	t.Fatalf("chat %v ended before serving: %s", args, strings.Join(p.log, "\n"))
	return nil
}

// TestTwoServersOneRedis runs two chat processes on one redis-server (as
// with two terminals): people connected to different servers see each
// other's messages live, and a later joiner on either gets them as
// history.
func TestTwoServersOneRedis(t *testing.T) {
	addr := redistest.Start(t)
	bin := filepath.Join(t.TempDir(), "chat")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	a := startChat(t, bin, "--redis", addr)
	b := startChat(t, bin, "--redis", addr)
	ctx := testCtx(t)

	ana := dialURL(ctx, t, a.url, "lobby", "ana")
	ana.until(ctx, "history", isType("history"))
	ana.until(ctx, "own join", isType("join"))
	bo := dialURL(ctx, t, b.url, "lobby", "bo")
	bo.until(ctx, "history", isType("history"))
	// bo's join, sent by server b, reaches ana on server a: both are
	// listening from here on.
	if j := ana.until(ctx, "bo's join", isType("join")); j.From != "bo" {
		t.Fatalf("join notice %+v, want bo's", j)
	}

	ana.send(ctx, "hello from a")
	if m := bo.until(ctx, "ana's message", isType("message")); m.From != "ana" || m.Text != "hello from a" {
		t.Fatalf("bo got %+v", m)
	}
	bo.send(ctx, "hello from b")
	for {
		m := ana.until(ctx, "bo's message", isType("message"))
		if m.From == "bo" {
			if m.Text != "hello from b" {
				t.Fatalf("ana got %+v", m)
			}
			break
		}
	}
	// A later joiner, on either server, gets both as history.
	for _, srv := range []*chatProcess{a, b} {
		cy := dialURL(ctx, t, srv.url, "lobby", "cy")
		h := cy.until(ctx, "history", isType("history"))
		var texts []string
		for _, m := range h.Messages {
			texts = append(texts, m.From+": "+m.Text)
		}
		if strings.Join(texts, "|") != "ana: hello from a|bo: hello from b" {
			t.Fatalf("history on %s: %q", srv.url, texts)
		}
		cy.c.CloseNow()
	}
}
