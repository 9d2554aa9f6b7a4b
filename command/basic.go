package command

import (
	"context"
	"slices"
	"strings"
)

func basicSpecs() []*spec {
	return []*spec{
		{name: "ping", arity: -1, run: (*Handler).ping, usage: "PING [message]"},
		{name: "echo", arity: 2, run: (*Handler).echo, usage: "ECHO message"},
		{name: "help", arity: -1, run: (*Handler).help, usage: "HELP"},
		{name: "publish", arity: 3, run: (*Handler).publish, usage: "PUBLISH channel message"},
		{name: "pubsub", arity: -2, usage: "PUBSUB CHANNELS [pattern] | NUMSUB [channel ...] | NUMPAT | HELP",
			subs: map[string]*spec{
				"channels": {name: "pubsub|channels", arity: -2, run: (*Handler).pubsubChannels},
				"numsub":   {name: "pubsub|numsub", arity: -2, run: (*Handler).pubsubNumSub},
				"numpat":   {name: "pubsub|numpat", arity: 2, run: (*Handler).pubsubNumPat},
				"help":     {name: "pubsub|help", arity: 2, run: (*Handler).pubsubHelp},
			}},
		{name: "subscribe", arity: -2, run: (*Handler).needSession, usage: "SUBSCRIBE channel [channel ...]"},
		{name: "psubscribe", arity: -2, run: (*Handler).needSession, usage: "PSUBSCRIBE pattern [pattern ...]"},
		{name: "unsubscribe", arity: -1, run: (*Handler).needSession, usage: "UNSUBSCRIBE [channel ...]"},
		{name: "punsubscribe", arity: -1, run: (*Handler).needSession, usage: "PUNSUBSCRIBE [pattern ...]"},
	}
}

func (h *Handler) ping(_ context.Context, args []string) Reply {
	switch len(args) {
	case 1:
		return Simple("PONG")
	case 2:
		return Bulk(args[1])
	}
	return wrongArgs("ping")
}

func (h *Handler) echo(_ context.Context, args []string) Reply { return Bulk(args[1]) }

// help lists every command brook understands, one syntax line each.
func (h *Handler) help(_ context.Context, _ []string) Reply {
	lines := make([]string, 0, len(commands))
	for _, sp := range commands {
		lines = append(lines, sp.usage)
	}
	slices.Sort(lines)
	elems := make([]Reply, 0, len(lines)+1)
	elems = append(elems, Simple("brook commands (Redis syntax; names are case-insensitive):"))
	for _, l := range lines {
		elems = append(elems, Simple(l))
	}
	return Array(elems...)
}

func (h *Handler) needSession(_ context.Context, args []string) Reply {
	return Error("ERR " + strings.ToUpper(args[0]) + " needs a client session (command.Session)")
}

func (h *Handler) publish(ctx context.Context, args []string) Reply {
	n, err := h.B.Publish(ctx, args[1], []byte(args[2]))
	if err != nil {
		return errorReply(err)
	}
	return Int(int64(n))
}

func (h *Handler) pubsubChannels(_ context.Context, args []string) Reply {
	if len(args) > 3 {
		return subSyntaxError(args)
	}
	if len(args) == 3 {
		return BulkArray(h.B.Channels(args[2])...)
	}
	// No pattern: every channel, "" included, which "*" does not match.
	chans := h.B.Channels("*")
	if h.B.NumSub("")[0] > 0 {
		chans = append([]string{""}, chans...)
	}
	return BulkArray(chans...)
}

func (h *Handler) pubsubNumSub(_ context.Context, args []string) Reply {
	chans := args[2:]
	counts := h.B.NumSub(chans...)
	elems := make([]Reply, 0, 2*len(chans))
	for i, ch := range chans {
		elems = append(elems, Bulk(ch), Int(int64(counts[i])))
	}
	return Array(elems...)
}

func (h *Handler) pubsubNumPat(_ context.Context, _ []string) Reply {
	return Int(int64(h.B.NumPat()))
}

func (h *Handler) pubsubHelp(_ context.Context, _ []string) Reply {
	return helpReply("PUBSUB",
		"CHANNELS [<pattern>]",
		"    Return the currently active channels matching a <pattern> (default: '*').",
		"NUMPAT",
		"    Return number of subscriptions to patterns.",
		"NUMSUB [<channel> ...]",
		"    Return the number of subscribers for the specified channels, excluding",
		"    pattern subscriptions(default: no channels).",
	)
}
