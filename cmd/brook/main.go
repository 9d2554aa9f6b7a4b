// Command brook is a command-line client for an embedded brook broker: it
// reads Redis commands (redis-cli syntax) and prints the replies exactly as
// `redis-cli --no-raw` does.
//
// On a terminal it is a REPL with line editing and history; with a pipe or
// file on stdin it runs one command per line as the lines arrive, with no
// prompt. Run `brook -h` for the details.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/brookmq/brook/broker"
	"github.com/brookmq/brook/command"
	"github.com/brookmq/brook/wal"
)

// config is what the flags set.
type config struct {
	dir    string          // --dir: data directory of a durable broker; "": in memory
	fsync  wal.FsyncPolicy // --appendfsync
	repair bool            // --repair: salvage a corrupt log in dir
}

const usageText = `Usage: brook [flags]

brook runs an embedded brook broker and reads Redis commands, one per line,
in redis-cli syntax ("double quotes" with \n \xHH escapes, 'single quotes').
Replies are printed exactly as redis-cli --no-raw prints them. HELP lists the
commands; quit or exit ends the session. A line starting with a number N
followed by a command runs the command N times, as in redis-cli. Lines whose
first non-blank character is # are comments (redis-cli has no comments).

Stdin a terminal: a REPL with line editing and history (prompt "brook> ").
  The history is kept in ~/.brookcli_history, as redis-cli keeps
  ~/.rediscli_history; the environment variable BROOKCLI_HISTFILE moves it,
  and BROOKCLI_HISTFILE empty or /dev/null keeps no file.
  Ctrl-C or Ctrl-D at the prompt quits; Ctrl-C while a command blocks (XREAD
  BLOCK 0) interrupts that command.
Stdin a pipe or file: no prompt, no banner; each line runs as soon as it
  arrives. End of input quits. XREAD/XREADGROUP with BLOCK and a timeout
  wait and time out as in Redis; with BLOCK 0 they return what is there,
  but when nothing is, brook says so on stderr and exits with status 1
  instead of waiting: brook runs one line at a time and is the broker's
  only writer, so nothing could ever wake the read.

Limits: an argument longer than 512 MB (Redis's proto-max-bulk-len) gets
Redis's "ERR Protocol error: invalid bulk length"; a line longer than 1 GB
(Redis's client-query-buffer-limit) is read and dropped without being kept,
with an error line, and brook goes on with the next line.

Pub/Sub: SUBSCRIBE/PSUBSCRIBE print "Reading messages..." and the
confirmations, as redis-cli does. Since the broker lives in this process,
messages can only come from commands typed in this same session: while
subscribed, brook keeps reading commands; UNSUBSCRIBE, PUNSUBSCRIBE and PING
act on the subscription, any other command (PUBLISH, XADD, ...) runs as a
second client, and the messages it causes are printed right after its reply.
End of input (or Ctrl-C on a terminal) ends subscribed mode and brook.

A damaged log in --dir makes brook refuse to start with an error naming the
segment, offset and position; --repair starts it anyway, discarding the
records from that position to the end of the log (copies are kept).

Flags:
`

func main() {
	cfg, err := parseFlags(os.Args[1:], os.Stderr)
	if errors.Is(err, flag.ErrHelp) {
		os.Exit(0)
	}
	if err != nil {
		os.Exit(2)
	}
	os.Exit(run(context.Background(), cfg, os.Stdin, os.Stdout, os.Stderr))
}

// parseFlags parses the command line into a config.
func parseFlags(args []string, stderr io.Writer) (config, error) {
	var cfg config
	fs := flag.NewFlagSet("brook", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(stderr, usageText)
		fs.PrintDefaults()
	}
	fs.StringVar(&cfg.dir, "dir", "", "data `directory`: streams are durable there and a later run finds them\n(created 0700, locked while in use); empty: in memory only")
	fsyncSet := false
	fs.Func("appendfsync", "when the log is fsynced with --dir: `always` (before each reply, the\ndefault), everysec or no, as Redis's appendfsync", func(s string) (err error) {
		cfg.fsync, err = wal.ParseFsyncPolicy(s)
		fsyncSet = true
		return err
	})
	fs.BoolVar(&cfg.repair, "repair", false, "with --dir: open a corrupt log by cutting it where it is damaged, discarding\nthe records from there to its end (copies are kept as *.broken in DIR/wal)")
	if err := fs.Parse(args); err != nil {
		return cfg, err
	}
	if fsyncSet && cfg.dir == "" {
		fmt.Fprintln(stderr, "brook: --appendfsync needs --dir: without a data directory the broker is in memory and has no log to fsync")
		return cfg, errors.New("brook: --appendfsync without --dir")
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "brook: unexpected argument %q\n", fs.Arg(0))
		fs.Usage()
		return cfg, errors.New("brook: unexpected arguments")
	}
	if cfg.repair && cfg.dir == "" {
		fmt.Fprintln(stderr, "brook: --repair needs --dir")
		return cfg, errors.New("brook: --repair without --dir")
	}
	return cfg, nil
}

// openBroker makes the broker the session talks to.
func openBroker(cfg config) (*broker.Broker, error) {
	if cfg.dir == "" {
		return broker.New(broker.Options{})
	}
	return broker.Open(cfg.dir, broker.Options{Durability: broker.DurabilityOptions{Fsync: cfg.fsync, Repair: cfg.repair}})
}

// describe says where the session's streams live, for the REPL's banner.
func (cfg config) describe() string {
	if cfg.dir == "" {
		return "in memory"
	}
	return fmt.Sprintf("durable in %s, appendfsync %s", cfg.dir, cfg.fsync)
}

// run is the whole program: it opens the broker, serves stdin and returns
// the exit status.
func run(ctx context.Context, cfg config, stdin io.Reader, stdout, stderr io.Writer) int {
	b, err := openBroker(cfg)
	if err != nil {
		fmt.Fprintln(stderr, "brook:", err)
		return 1
	}
	h := &command.Handler{B: b}
	var status int
	if f, ok := terminal(stdin, stdout); ok {
		status = repl(ctx, h, f, stderr, cfg.describe())
	} else {
		// A script runs one line at a time and brook is the only writer:
		// a read waiting for ever would hang it, so it is refused.
		h.NoBlockForever = true
		status = script(ctx, h, stdin, stdout, stderr, defaultMaxLine)
	}
	if err := b.Close(); err != nil {
		fmt.Fprintln(stderr, "brook: close:", err)
		if status == 0 {
			status = 1
		}
	}
	return status
}
