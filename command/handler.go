package command

import (
	"context"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/brookmq/brook/broker"
)

// Handler runs Redis commands against a broker. It holds no per-client
// state, so one Handler may serve many goroutines at once; subscribed mode
// is per client and lives in a [Session]. CONFIG SET changes the broker
// (client-output-buffer-limit pubsub) or the Handler (the other classes,
// kept only for CONFIG GET), for every client of either. A Handler must
// not be copied after first use.
type Handler struct {
	// B is the broker the commands run against. It must be set.
	B *broker.Broker

	// Clock returns the current time, used to print idle times (XPENDING).
	// Default: time.Now. Set it to the broker's [broker.Options.Clock] when
	// that is not the wall clock.
	Clock func() time.Time

	// NoBlockForever is for a caller that runs one command at a time and is
	// the broker's only writer, such as a CLI reading a script: nothing can
	// add an entry while one of its reads waits, so a read that would wait
	// for ever would hang it. With NoBlockForever, XREAD and XREADGROUP with
	// BLOCK 0 (or a timeout too large for a time.Duration) that find nothing
	// do not wait: they reply an error with the text [BlockForeverMessage].
	// Reads that find data, and BLOCK with a timeout, are unchanged.
	NoBlockForever bool

	// MaxArgLen is the longest argument a command may have, in bytes: a
	// command with a longer one is refused with Redis's reply to a bulk
	// argument over proto-max-bulk-len, "ERR Protocol error: invalid bulk
	// length", before anything else is looked at. 0 means
	// [DefaultMaxArgLen].
	MaxArgLen int

	// cfgMu guards cfg, the client-output-buffer-limit classes other than
	// pubsub (CONFIG SET keeps them for CONFIG GET; they have no effect).
	cfgMu sync.Mutex
	cfg   otherLimits
}

// DefaultMaxArgLen is Redis's default proto-max-bulk-len, 512 MB: the
// longest argument Redis accepts.
const DefaultMaxArgLen = 512 << 20

// BlockForeverMessage is the text of the error reply of a read that would
// wait for ever under [Handler.NoBlockForever]. It is brook's: Redis, with
// other clients to wake the read, waits.
const BlockForeverMessage = "ERR BLOCK 0 would wait for ever: no other client can add an entry"

// spec describes one command or subcommand.
type spec struct {
	name  string // full lowercase name as Redis reports it: "xlen", "xgroup|create"
	arity int    // Redis arity: n > 0 exactly n arguments (with the name), n < 0 at least -n
	run   func(h *Handler, ctx context.Context, args []string) Reply
	subs  map[string]*spec // subcommands of a container command (XGROUP, XINFO, PUBSUB)
	usage string           // one line for HELP
}

// commands is the command table, keyed by lowercase name. It is filled by
// init because HELP's reply reads the table.
var commands map[string]*spec

func init() {
	commands = make(map[string]*spec)
	for _, group := range [][]*spec{basicSpecs(), streamSpecs(), groupSpecs(), configSpecs(), redis8Specs()} {
		for _, sp := range group {
			commands[sp.name] = sp
		}
	}
}

// Do runs one command, args[0] being its name (case-insensitive), and returns
// its reply. Errors are error replies with Redis 7.0's texts; Do never
// panics on bad input. XREAD and XREADGROUP with BLOCK wait until data
// arrives, the BLOCK timeout passes (nil reply) or ctx ends. The subscription
// commands need a [Session]: Do answers them with an error reply.
func (h *Handler) Do(ctx context.Context, args []string) Reply {
	if bad, ok := h.checkArgLen(args); !ok {
		return bad
	}
	sp, bad := lookup(args)
	if sp == nil {
		return bad
	}
	return sp.run(h, ctx, args)
}

// checkArgLen refuses args with an argument longer than [Handler.MaxArgLen]
// with Redis's protocol error, which Redis sends before it looks at the
// command.
func (h *Handler) checkArgLen(args []string) (Reply, bool) {
	limit := h.MaxArgLen
	if limit <= 0 {
		limit = DefaultMaxArgLen
	}
	for _, a := range args {
		if len(a) > limit {
			return Error("ERR Protocol error: invalid bulk length"), false
		}
	}
	return Reply{}, true
}

// lookup finds the spec for args and checks its arity, or returns the error
// reply Redis gives for an unknown command, unknown subcommand or wrong
// number of arguments.
func lookup(args []string) (*spec, Reply) {
	if len(args) == 0 {
		return nil, Error("ERR empty command")
	}
	sp := commands[strings.ToLower(args[0])]
	if sp == nil {
		return nil, Error(unknownCommand(args))
	}
	if sp.subs != nil && len(args) >= 2 {
		sub := sp.subs[strings.ToLower(args[1])]
		if sub == nil {
			return nil, Error(sanitize("ERR unknown subcommand '" + clip(args[1], 128) +
				"'. Try " + strings.ToUpper(args[0]) + " HELP."))
		}
		sp = sub
	}
	if n := len(args); sp.arity > 0 && n != sp.arity || sp.arity < 0 && n < -sp.arity {
		return nil, wrongArgs(sp.name)
	}
	return sp, Reply{}
}

// unknownCommand is Redis's text for a command name it does not know: the
// name and the first arguments, quoted, up to about 128 bytes of them.
func unknownCommand(args []string) string {
	var b strings.Builder
	b.WriteString("ERR unknown command '")
	b.WriteString(clip(args[0], 128))
	b.WriteString("', with args beginning with: ")
	n := 0
	for _, a := range args[1:] {
		if n >= 128 {
			break
		}
		a = clip(a, 128-n)
		b.WriteString("'" + a + "' ")
		n += len(a) + 3
	}
	return sanitize(b.String())
}

// clip returns at most n bytes of s, as C's "%.128s" does.
func clip(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}

// sanitize replaces CR and LF with spaces: Redis error replies are one line.
func sanitize(s string) string {
	return strings.Map(func(r rune) rune {
		if r == '\r' || r == '\n' {
			return ' '
		}
		return r
	}, s)
}

// wrongArgs is Redis's arity error for the command's full name.
func wrongArgs(name string) Reply {
	return Error("ERR wrong number of arguments for '" + name + "' command")
}

// subSyntaxError is Redis's addReplySubcommandSyntaxError: a known
// subcommand used with arguments it does not accept.
func subSyntaxError(args []string) Reply {
	return Error(sanitize("ERR unknown subcommand or wrong number of arguments for '" +
		clip(args[1], 128) + "'. Try " + strings.ToUpper(args[0]) + " HELP."))
}

// helpReply builds a HELP reply: the header line, then the lines, as
// simple strings.
func helpReply(cmd string, lines ...string) Reply {
	elems := make([]Reply, 0, len(lines)+3)
	elems = append(elems, Simple(cmd+" <subcommand> [<arg> [value] [opt] ...]. Subcommands are:"))
	for _, l := range lines {
		elems = append(elems, Simple(l))
	}
	elems = append(elems, Simple("HELP"), Simple("    Prints this help."))
	return Array(elems...)
}

// Commands returns the names of every command the handler understands, in
// upper case and sorted, for help screens and completion.
func Commands() []string {
	names := make([]string, 0, len(commands))
	for name := range commands {
		names = append(names, strings.ToUpper(name))
	}
	slices.Sort(names)
	return names
}
