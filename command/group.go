package command

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/brookmq/brook/broker"
	"github.com/brookmq/brook/stream"
)

func groupSpecs() []*spec {
	return []*spec{
		{name: "xgroup", arity: -2,
			usage: "XGROUP CREATE key group id|$ [MKSTREAM] [ENTRIESREAD n] | SETID key group id|$ [ENTRIESREAD n] | " +
				"DESTROY key group | CREATECONSUMER key group consumer | DELCONSUMER key group consumer | HELP",
			subs: map[string]*spec{
				"create":         {name: "xgroup|create", arity: -5, run: (*Handler).xgroupCreate},
				"setid":          {name: "xgroup|setid", arity: -5, run: (*Handler).xgroupSetID},
				"destroy":        {name: "xgroup|destroy", arity: 4, run: (*Handler).xgroupDestroy},
				"createconsumer": {name: "xgroup|createconsumer", arity: 5, run: (*Handler).xgroupCreateConsumer},
				"delconsumer":    {name: "xgroup|delconsumer", arity: 5, run: (*Handler).xgroupDelConsumer},
				"help":           {name: "xgroup|help", arity: 2, run: (*Handler).xgroupHelp},
			}},
		{name: "xack", arity: -4, run: (*Handler).xack, usage: "XACK key group id [id ...]"},
		{name: "xpending", arity: -3, run: (*Handler).xpending,
			usage: "XPENDING key group [[IDLE min-idle-time] start end count [consumer]]"},
		{name: "xclaim", arity: -6, run: (*Handler).xclaim,
			usage: "XCLAIM key group consumer min-idle-time id [id ...] [IDLE ms] [TIME unix-ms] [RETRYCOUNT count] [FORCE] [JUSTID] [LASTID id]"},
		{name: "xautoclaim", arity: -6, run: (*Handler).xautoclaim,
			usage: "XAUTOCLAIM key group consumer min-idle-time start [COUNT count] [JUSTID]"},
		{name: "xinfo", arity: -2, usage: "XINFO STREAM key [FULL [COUNT count]] | GROUPS key | CONSUMERS key group | HELP",
			subs: map[string]*spec{
				"stream":    {name: "xinfo|stream", arity: -3, run: (*Handler).xinfoStream},
				"groups":    {name: "xinfo|groups", arity: 3, run: (*Handler).xinfoGroups},
				"consumers": {name: "xinfo|consumers", arity: 4, run: (*Handler).xinfoConsumers},
				"help":      {name: "xinfo|help", arity: 2, run: (*Handler).xinfoHelp},
			}},
	}
}

// noGroupReply is the NOGROUP text of XPENDING, XCLAIM and XAUTOCLAIM.
func noGroupReply(key, group string) Reply {
	return Error(sanitize("NOGROUP No such key '" + key + "' or consumer group '" + group + "'"))
}

// noGroupForKey is the NOGROUP text of XGROUP SETID, CREATECONSUMER,
// DELCONSUMER and XINFO CONSUMERS.
func noGroupForKey(key, group string) Reply {
	return Error(sanitize("NOGROUP No such consumer group '" + group + "' for key name '" + key + "'"))
}

// isNoGroup reports whether err says the key or the group is missing.
func isNoGroup(err error) bool {
	return errors.Is(err, stream.ErrNoGroup) || errors.Is(err, broker.ErrNoStream)
}

// groupOptions parses XGROUP CREATE/SETID options from args[5:]: MKSTREAM
// (CREATE only) and ENTRIESREAD n.
func groupOptions(args []string, create bool) (mkstream bool, entriesRead *int64, bad *Reply) {
	fail := func(r Reply) (bool, *int64, *Reply) { return false, nil, &r }
	for i := 5; i < len(args); i++ {
		switch {
		case create && strings.EqualFold(args[i], "MKSTREAM"):
			mkstream = true
		case strings.EqualFold(args[i], "ENTRIESREAD") && i+1 < len(args):
			n, ok := parseInt(args[i+1])
			if !ok {
				return fail(Error(errNotInteger))
			}
			if n < -1 {
				return fail(Error("ERR value for ENTRIESREAD must be positive or -1"))
			}
			entriesRead = nil
			if n >= 0 {
				entriesRead = &n
			}
			i++
		default:
			return fail(subSyntaxError(args))
		}
	}
	return mkstream, entriesRead, nil
}

func (h *Handler) xgroupCreate(ctx context.Context, args []string) Reply {
	mkstream, entriesRead, bad := groupOptions(args, true)
	if bad != nil {
		return *bad
	}
	if len(args) > 8 {
		return subSyntaxError(args)
	}
	key, group := args[2], args[3]
	o := broker.GroupCreateOptions{Start: broker.Latest(), MkStream: mkstream, EntriesRead: entriesRead}
	if cstr(args[4]) != "$" {
		id, ok := parseStrictID(args[4])
		if !ok {
			if !mkstream && !h.keyExists(ctx, key) {
				return Error(errGroupKeyMusts)
			}
			return Error(errInvalidID)
		}
		o.Start = broker.After(id)
	}
	err := h.B.XGroupCreate(ctx, key, group, o)
	switch {
	case errors.Is(err, broker.ErrNoStream):
		return Error(errGroupKeyMusts)
	case err != nil:
		return errorReply(err)
	}
	return OK()
}

func (h *Handler) xgroupSetID(ctx context.Context, args []string) Reply {
	_, entriesRead, bad := groupOptions(args, false)
	if bad != nil {
		return *bad
	}
	if len(args) != 5 && len(args) != 7 {
		return subSyntaxError(args)
	}
	key, group := args[2], args[3]
	o := broker.GroupSetIDOptions{Start: broker.Latest(), EntriesRead: entriesRead}
	if cstr(args[4]) != "$" {
		id, ok := parseLooseID(args[4])
		if !ok {
			if r, missing := h.groupMissing(ctx, key, group); missing {
				return r
			}
			return Error(errInvalidID)
		}
		o.Start = broker.After(id)
	}
	err := h.B.XGroupSetID(ctx, key, group, o)
	if err != nil {
		return h.groupError(key, group, err)
	}
	return OK()
}

// groupMissing returns XGROUP's error for a missing key or group, if one is.
func (h *Handler) groupMissing(ctx context.Context, key, group string) (Reply, bool) {
	if !h.keyExists(ctx, key) {
		return Error(errGroupKeyMusts), true
	}
	if !h.groupExists(ctx, key, group) {
		return noGroupForKey(key, group), true
	}
	return Reply{}, false
}

// groupError maps the errors of the XGROUP subcommands that need the group.
func (h *Handler) groupError(key, group string, err error) Reply {
	switch {
	case errors.Is(err, broker.ErrNoStream):
		return Error(errGroupKeyMusts)
	case errors.Is(err, stream.ErrNoGroup):
		return noGroupForKey(key, group)
	}
	return errorReply(err)
}

func (h *Handler) xgroupDestroy(ctx context.Context, args []string) Reply {
	ok, err := h.B.XGroupDestroy(ctx, args[2], args[3])
	switch {
	case errors.Is(err, broker.ErrNoStream):
		return Error(errGroupKeyMusts)
	case errors.Is(err, stream.ErrNoGroup):
		return Int(0)
	case err != nil:
		return errorReply(err)
	case ok:
		return Int(1)
	}
	return Int(0)
}

func (h *Handler) xgroupCreateConsumer(ctx context.Context, args []string) Reply {
	created, err := h.B.XGroupCreateConsumer(ctx, args[2], args[3], args[4])
	if err != nil {
		return h.groupError(args[2], args[3], err)
	}
	if created {
		return Int(1)
	}
	return Int(0)
}

func (h *Handler) xgroupDelConsumer(ctx context.Context, args []string) Reply {
	n, err := h.B.XGroupDelConsumer(ctx, args[2], args[3], args[4])
	if err != nil {
		return h.groupError(args[2], args[3], err)
	}
	return Int(n)
}

func (h *Handler) xgroupHelp(_ context.Context, _ []string) Reply {
	return helpReply("XGROUP",
		"CREATE <key> <groupname> <id|$> [option]",
		"    Create a new consumer group. Options are:",
		"    * MKSTREAM",
		"      Create the empty stream if it does not exist.",
		"    * ENTRIESREAD entries_read",
		"      Set the group's entries_read counter (internal use).",
		"CREATECONSUMER <key> <groupname> <consumer>",
		"    Create a new consumer in the specified group.",
		"DELCONSUMER <key> <groupname> <consumer>",
		"    Remove the specified consumer.",
		"DESTROY <key> <groupname>",
		"    Remove the specified group.",
		"SETID <key> <groupname> <id|$> [ENTRIESREAD entries_read]",
		"    Set the current group ID and entries_read counter.",
	)
}

func (h *Handler) xack(ctx context.Context, args []string) Reply {
	ids := make([]stream.ID, 0, len(args)-3)
	for _, s := range args[3:] {
		id, ok := parseStrictID(s)
		if !ok {
			// Redis answers 0 for a missing key or group before it parses
			// the IDs; with the group there, a bad ID acknowledges nothing.
			if !h.groupExists(ctx, args[1], args[2]) {
				return Int(0)
			}
			return Error(errInvalidID)
		}
		ids = append(ids, id)
	}
	n, err := h.B.XAck(ctx, args[1], args[2], ids...)
	if err != nil && !isNoGroup(err) {
		return errorReply(err)
	}
	return Int(n)
}

// msDuration converts a non-negative millisecond count to a Duration,
// saturating.
func msDuration(ms int64) time.Duration {
	const maxMs = int64(1<<63-1) / int64(time.Millisecond)
	return time.Duration(min(max(ms, 0), maxMs)) * time.Millisecond
}
