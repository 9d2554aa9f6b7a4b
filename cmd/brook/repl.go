package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"

	"golang.org/x/term"

	"github.com/brookmq/brook/command"
)

// terminal returns stdin as a terminal file when both stdin and stdout are
// terminals.
func terminal(stdin io.Reader, stdout io.Writer) (*os.File, bool) {
	in, ok := stdin.(*os.File)
	if !ok || !term.IsTerminal(int(in.Fd())) {
		return nil, false
	}
	out, ok := stdout.(*os.File)
	if !ok || !term.IsTerminal(int(out.Fd())) {
		return nil, false
	}
	return in, true
}

// repl serves a terminal: line editing and history in raw mode while a line
// is typed, the terminal's normal mode while a command runs (so Ctrl-C
// interrupts a blocking command through SIGINT). where is printed in the
// banner: "in memory" or the data directory.
func repl(ctx context.Context, h *command.Handler, tty *os.File, stderr io.Writer, where string) int {
	fd := int(tty.Fd())
	t := term.NewTerminal(struct {
		io.Reader
		io.Writer
	}{tty, os.Stdout}, "brook> ")
	t.AutoCompleteCallback = complete
	t.History = loadHistory(historyFile())
	c := newClient(h, os.Stdout)
	c.interactive = true
	defer c.close()
	fmt.Fprintf(os.Stdout, "brook: embedded broker (%s). Type HELP for the commands, quit to exit.\n", where)
	for {
		// SIGINT is caught before the terminal leaves raw mode, so a Ctrl-C
		// typed as soon as the command starts interrupts it, never the
		// process. In raw mode the key is a byte, not a signal.
		cmdCtx, stop := signal.NotifyContext(ctx, os.Interrupt)
		line, err := readLine(fd, t)
		if errors.Is(err, io.EOF) { // Ctrl-D on an empty line, or Ctrl-C
			stop()
			fmt.Fprintln(os.Stdout)
			return 0
		}
		if err != nil && !errors.Is(err, term.ErrPasteIndicator) {
			stop()
			fmt.Fprintln(stderr, "brook:", err)
			return 1
		}
		more := c.line(cmdCtx, line)
		c.flush()
		stop()
		if !more {
			return 0
		}
	}
}

// readLine reads one line with the terminal in raw mode, restoring it after.
func readLine(fd int, t *term.Terminal) (string, error) {
	if w, h, err := term.GetSize(fd); err == nil && w > 0 && h > 0 {
		t.SetSize(w, h) // a pty of unknown size reports 0x0: keep the default
	}
	old, err := term.MakeRaw(fd)
	if err != nil {
		return "", err
	}
	defer term.Restore(fd, old)
	return t.ReadLine()
}

// complete is the REPL's Tab completion of command names: the first word
// is completed to the longest prefix shared by the commands it starts.
func complete(line string, pos int, key rune) (string, int, bool) {
	if key != '\t' || pos != len(line) || strings.ContainsAny(line, " \t") {
		return "", 0, false
	}
	prefix := strings.ToUpper(line)
	var match []string
	for _, name := range command.Commands() {
		if strings.HasPrefix(name, prefix) {
			match = append(match, name)
		}
	}
	if len(match) == 0 {
		return "", 0, false
	}
	common := match[0]
	for _, m := range match[1:] {
		for !strings.HasPrefix(m, common) {
			common = common[:len(common)-1]
		}
	}
	if len(match) == 1 {
		common += " "
	}
	return common, len(common), true
}
