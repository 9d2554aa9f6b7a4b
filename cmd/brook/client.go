package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/brookmq/brook/command"
)

// readingMessages is what redis-cli prints when it enters subscribed mode.
const readingMessages = "Reading messages... (press Ctrl-C to quit)"

// client runs input lines as one redis-cli session and prints the replies.
type client struct {
	h    *command.Handler
	sess *command.Session
	out  *bufio.Writer
	done context.Context // already cancelled: drains queued messages without waiting

	// interactive is set on a terminal. The terminal echoes ^C where the
	// cursor is, so the reply to an interrupted command starts a new line;
	// entering subscribed mode says that the prompt stays usable.
	interactive bool

	// stuck is set when a command was refused because it would wait for
	// ever ([command.Handler.NoBlockForever]): the command's name.
	stuck string
}

func newClient(h *command.Handler, out io.Writer) *client {
	done, cancel := context.WithCancel(context.Background())
	cancel()
	return &client{h: h, sess: h.NewSession(), out: bufio.NewWriter(out), done: done}
}

// close ends the client's subscription.
func (c *client) close() { c.sess.Close() }

// line runs one input line. It returns false when the line was quit or
// exit. What it prints stays buffered until [client.flush].
func (c *client) line(ctx context.Context, line string) bool {
	if isComment(line) {
		return true
	}
	args, err := command.SplitArgs(line)
	if err != nil {
		c.println(command.InvalidArgsMessage)
		return true
	}
	if len(args) == 0 {
		return true
	}
	repeat := 1
	if len(args) > 1 {
		if n, isRepeat := parseRepeat(args[0]); isRepeat {
			if n <= 0 {
				c.println("Invalid redis-cli repeat command option value.")
				return true
			}
			repeat, args = n, args[1:]
		}
	}
	if name := strings.ToLower(args[0]); name == "quit" || name == "exit" {
		return false
	}
	for range repeat {
		if ctx.Err() != nil || c.stuck != "" {
			break
		}
		c.exec(ctx, args)
	}
	return c.stuck == ""
}

// isComment reports whether line's first non-blank character is '#'.
// redis-cli has no comments (it would send "#" as a command name); brook
// skips such lines so that scripts can be annotated.
func isComment(line string) bool {
	return strings.HasPrefix(strings.TrimLeft(line, " \t\v\f\r"), "#")
}

// parseRepeat reports whether s is redis-cli's repeat prefix (what strtol
// reads entirely: blanks, a sign, digits; or the empty string) and its value,
// which is 0 when out of range.
func parseRepeat(s string) (int, bool) {
	t := strings.TrimLeft(s, " \t\n\v\f\r")
	digits := strings.TrimLeft(t, "+-")
	if len(t)-len(digits) > 1 {
		return 0, false
	}
	if s == "" {
		return 0, true
	}
	if digits == "" || strings.Trim(digits, "0123456789") != "" {
		return 0, false
	}
	n, err := strconv.Atoi(t)
	if err != nil {
		return 0, true
	}
	return n, true
}

// exec runs one command and prints its replies, then the messages it made
// arrive for this client's subscription.
func (c *client) exec(ctx context.Context, args []string) {
	name := strings.ToLower(args[0])
	if name == "xread" || name == "xreadgroup" {
		c.flush() // it may block: show what came before
	}
	defer c.drain()
	var replies []command.Reply
	switch {
	case !c.sess.Subscribed() || command.IsSubscription(name) || name == "ping":
		if (name == "subscribe" || name == "psubscribe") && !c.sess.Subscribed() {
			c.println(readingMessages)
			if c.interactive {
				c.println("(brook: keep typing; PUBLISH and other commands run as a second client)")
			}
		}
		replies = c.sess.Do(ctx, args)
	default:
		// Subscribed: anything else runs as a second client.
		replies = []command.Reply{c.h.Do(ctx, args)}
	}
	if c.interactive && ctx.Err() != nil {
		c.out.WriteByte('\n')
	}
	if name == "help" && len(replies) == 1 && replies[0].Kind == command.KindArray {
		replies[0] = helpWithCLI(replies[0])
	}
	for _, r := range replies {
		if r.IsError() && r.Str == command.BlockForeverMessage {
			c.stuck = strings.ToUpper(name)
			return
		}
		r.WriteTo(c.out)
	}
}

// helpWithCLI adds the CLI's own commands to the reply of HELP.
func helpWithCLI(r command.Reply) command.Reply {
	elems := append(append([]command.Reply(nil), r.Elems...),
		command.Simple("QUIT | EXIT (this CLI: end the session)"))
	return command.Array(elems...)
}

// drain prints the messages already queued for the subscription. When the
// broker ended the subscription (a slow consumer), the client starts over
// with a new session, as redis-cli reconnects after the server dropped it.
func (c *client) drain() {
	for {
		r, err := c.sess.Next(c.done)
		if err != nil {
			if !errors.Is(err, context.Canceled) {
				fmt.Fprintln(c.out, "brook: subscription ended:", err)
				c.sess.Close()
				c.sess = c.h.NewSession()
			}
			return
		}
		r.WriteTo(c.out)
	}
}

// flush writes out what the client printed.
func (c *client) flush() { c.out.Flush() }

func (c *client) println(s string) {
	c.out.WriteString(s)
	c.out.WriteByte('\n')
}

// script serves a non-terminal stdin: one command per line, run as soon as
// the line arrives, until end of input or quit. A line longer than maxLine
// bytes is not kept: brook prints an error for it and goes on. A read that
// would wait for ever ends the script with status 1 and a message on
// stderr.
func script(ctx context.Context, h *command.Handler, stdin io.Reader, stdout, stderr io.Writer, maxLine int) int {
	c := newClient(h, stdout)
	defer c.close()
	defer c.flush()
	in := newLineReader(stdin, maxLine)
	for n := 1; ; n++ {
		line, ok, err := in.next()
		if errors.Is(err, errLineTooLong) {
			c.println(fmt.Sprintf("(error) ERR Protocol error: line longer than %d bytes (brook's limit)", maxLine))
			line, err = "", nil
		}
		if line != "" && !c.line(ctx, line) {
			if c.stuck != "" {
				c.flush()
				fmt.Fprintf(stderr, "brook: line %d: %s with BLOCK 0 found nothing and would wait for ever: "+
					"brook runs one line at a time and is the only writer, so nothing can add an entry "+
					"while it waits (give BLOCK a timeout, or run brook on a terminal)\n", n, c.stuck)
				return 1
			}
			return 0
		}
		if err != nil {
			c.flush()
			fmt.Fprintln(stderr, "brook: read:", err)
			return 1
		}
		if !ok {
			return 0
		}
		if !in.buffered() {
			// Nothing more has arrived: show the replies before waiting
			// for input. A script read in big chunks is flushed per chunk.
			c.flush()
		}
	}
}
