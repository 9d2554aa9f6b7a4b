package main_test

import (
	"bytes"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// ptySession runs brook on a pseudo-terminal made by util-linux's script(1)
// and lets the test type keys and wait for output.
type ptySession struct {
	t     *testing.T
	cmd   *exec.Cmd
	stdin io.WriteCloser

	mu   sync.Mutex
	out  bytes.Buffer
	seen int // output before seen has been matched already
	done chan struct{}
}

// startPTY starts brook on a pseudo-terminal, with the environment
// variables env ("NAME=value") added; BROOKCLI_HISTFILE is a file in a
// temporary directory unless env sets it, so no test touches ~.
func startPTY(t *testing.T, env ...string) *ptySession {
	t.Helper()
	if _, err := exec.LookPath("script"); err != nil {
		t.Skip("script(1) not found: no pseudo-terminal to run the REPL on")
	}
	p := &ptySession{t: t, done: make(chan struct{})}
	// script(1) runs its command through $SHELL -c. exec makes brook the
	// pty's only process: a shell left waiting (dash does not exec the last
	// command) would take the Ctrl-C below as its own SIGINT and die.
	p.cmd = exec.Command("script", "-qec", "exec '"+brookBinary(t)+"'", "/dev/null")
	p.cmd.Env = append(append(os.Environ(), "BROOKCLI_HISTFILE="+filepath.Join(t.TempDir(), "history")), env...)
	var err error
	if p.stdin, err = p.cmd.StdinPipe(); err != nil {
		t.Fatal(err)
	}
	stdout, err := p.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		defer close(p.done)
		buf := make([]byte, 4096)
		for {
			n, err := stdout.Read(buf)
			p.mu.Lock()
			p.out.Write(buf[:n])
			p.mu.Unlock()
			if err != nil {
				return
			}
		}
	}()
	t.Cleanup(func() {
		p.stdin.Close()
		p.cmd.Process.Kill()
		<-p.done
		p.cmd.Wait()
	})
	return p
}

// expect waits until want appears in the output after what was matched
// before. The deadline only keeps a broken REPL from hanging the test.
func (p *ptySession) expect(want string) {
	p.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		p.mu.Lock()
		out := p.out.String()
		p.mu.Unlock()
		if i := strings.Index(out[p.seen:], want); i >= 0 {
			p.seen += i + len(want)
			return
		}
		select {
		case <-p.done:
			p.t.Fatalf("brook ended before printing %q; output:\n%s", want, out)
		default:
		}
		if time.Now().After(deadline) {
			p.t.Fatalf("no %q in the output:\n%s", want, out)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// waitCooked waits until brook has left raw mode, so that the terminal
// turns a Ctrl-C into SIGINT: brook echoes a line before it restores the
// terminal's mode. It reads the mode of brook's terminal with stty(1), and
// returns at once where it cannot (no stty, no /proc).
func (p *ptySession) waitCooked() {
	p.t.Helper()
	stty, err := exec.LookPath("stty")
	if err != nil {
		return
	}
	pid := strconv.Itoa(p.cmd.Process.Pid) // script(1); brook is its child
	children, err := os.ReadFile("/proc/" + pid + "/task/" + pid + "/children")
	if err != nil || len(strings.Fields(string(children))) != 1 {
		return
	}
	tty, err := os.Readlink("/proc/" + strings.Fields(string(children))[0] + "/fd/0")
	if err != nil {
		return
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		out, err := exec.Command(stty, "-F", tty, "-a").Output()
		if err != nil {
			return
		}
		if modes := strings.Fields(string(out)); slices.Contains(modes, "isig") && slices.Contains(modes, "icanon") {
			return
		}
		if time.Now().After(deadline) {
			p.t.Fatalf("%s stayed in raw mode:\n%s", tty, out)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func (p *ptySession) send(keys string) {
	p.t.Helper()
	if _, err := io.WriteString(p.stdin, keys); err != nil {
		p.t.Fatal(err)
	}
}

func TestREPL(t *testing.T) {
	p := startPTY(t)
	p.expect("(in memory). Type HELP")
	p.expect("brook> ")
	p.send("PING\r")
	p.expect("PONG\r\n")
	p.expect("brook> ")
	p.send("xad\tk 1-0 f \"a b\"\r") // Tab completes XADD
	p.expect("XADD k 1-0")
	p.expect("\"1-0\"\r\n")
	p.expect("brook> ")
	p.send("\x1b[A") // Up recalls the last line
	p.expect(`XADD k 1-0 f "a b"`)
	p.send("\x15XLEN k\r") // Ctrl-U clears it
	p.expect("(integer) 1\r\n")
	p.expect("brook> ")
	p.send("XREAD BLOCK 0 STREAMS k $\r")
	p.expect("XREAD BLOCK 0 STREAMS k $\r\n")
	p.waitCooked() // a Ctrl-C typed in raw mode is a byte, not a signal
	p.send("\x03") // Ctrl-C interrupts the blocked command, not the REPL
	p.expect("(error) ERR interrupted\r\n")
	p.expect("brook> ")
	p.send("SUBSCRIBE ch\r")
	p.expect("Reading messages... (press Ctrl-C to quit)\r\n")
	p.expect("second client)\r\n1) \"subscribe\"\r\n2) \"ch\"\r\n3) (integer) 1\r\n")
	p.send("PUBLISH ch hi\r")
	p.expect("(integer) 1\r\n1) \"message\"\r\n2) \"ch\"\r\n3) \"hi\"\r\n")
	p.expect("brook> ")
	p.send("\x04") // Ctrl-D on an empty line quits
	<-p.done
	if err := p.cmd.Wait(); err != nil {
		t.Errorf("brook on a terminal exited with %v", err)
	}
}

// TestREPLHistoryFile: the REPL keeps its history in BROOKCLI_HISTFILE, so
// a second session recalls the first one's lines with Up.
func TestREPLHistoryFile(t *testing.T) {
	hist := filepath.Join(t.TempDir(), "brook_history")
	p := startPTY(t, "BROOKCLI_HISTFILE="+hist)
	p.expect("brook> ")
	p.send("ECHO remembered\r")
	p.expect("\"remembered\"\r\n")
	p.expect("brook> ")
	p.send("quit\r")
	<-p.done
	p.cmd.Wait()
	data, err := os.ReadFile(hist)
	if err != nil || string(data) != "ECHO remembered\nquit\n" {
		t.Fatalf("history file: %q, %v", data, err)
	}
	if fi, err := os.Stat(hist); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("history file mode: %v, %v", fi.Mode(), err)
	}

	p = startPTY(t, "BROOKCLI_HISTFILE="+hist)
	p.expect("brook> ")
	p.send("\x1b[A\x1b[A") // Up twice: past quit to the ECHO
	p.expect("ECHO remembered")
	p.send("\r")
	p.expect("\"remembered\"\r\n")
	p.expect("brook> ")
	p.send("\x04")
	<-p.done
	p.cmd.Wait()
}
