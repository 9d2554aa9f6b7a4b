package command

// The stream commands of Redis 8.2 to 8.8: XNACK (8.8), XACKDEL and XDELEX
// (8.2). XREADGROUP's CLAIM (8.4) is in read.go, the KEEPREF|DELREF|ACKED
// options of XADD and XTRIM (8.2) in streams.go.

import (
	"context"
	"strings"

	"github.com/brookmq/brook/broker"
	"github.com/brookmq/brook/stream"
)

func redis8Specs() []*spec {
	return []*spec{
		{name: "xnack", arity: -7, run: (*Handler).xnack,
			usage: "XNACK key group SILENT|FAIL|FATAL IDS numids id [id ...] [RETRYCOUNT count] [FORCE]"},
		{name: "xackdel", arity: -6, run: (*Handler).xackdel,
			usage: "XACKDEL key group [KEEPREF|DELREF|ACKED] IDS numids id [id ...]"},
		{name: "xdelex", arity: -5, run: (*Handler).xdelex,
			usage: "XDELEX key [KEEPREF|DELREF|ACKED] IDS numids id [id ...]"},
	}
}

// XNACK's error texts (Redis 8.8). Redis's source passes the ones other
// than numids already starting with "ERR ", and its error reply adds
// another, so the wire may read "ERR ERR ..."; Redis's tests only match the
// text after it, and without a Redis 8.8 to record from, brook writes one
// "ERR ".
const (
	errNackMode      = "ERR mode must be SILENT, FAIL, or FATAL"
	errNackNumIDs    = "ERR numids must be a positive integer"
	errNackIDsCount  = "ERR number of IDs doesn't match numids"
	errNackNoIDs     = "ERR syntax error, expected IDS keyword"
	errNackRetry     = "ERR Invalid RETRYCOUNT value, must be >= 0"
	errRefNumIDs     = "ERR Number of IDs must be a positive integer"
	errRefIDsCount   = "ERR The `numids` parameter must match the number of arguments"
	errRefIDsMissing = "ERR IDS option is required"
)

func nackOption(arg string) Reply {
	return Error(sanitize("ERR Unrecognized XNACK option '" + arg + "'"))
}

// parseNackMode parses XNACK's mode word.
func parseNackMode(s string) (broker.NackMode, bool) {
	switch strings.ToLower(s) {
	case "silent":
		return broker.NackSilent, true
	case "fail":
		return broker.NackFail, true
	case "fatal":
		return broker.NackFatal, true
	}
	return 0, false
}

// xnack is XNACK key group mode IDS n id... [RETRYCOUNT c] [FORCE]. Redis
// checks the key and the group first, then the mode (always the third
// argument), then the options in any order.
func (h *Handler) xnack(ctx context.Context, args []string) Reply {
	key, group := args[1], args[2]
	if !h.groupExists(ctx, key, group) {
		return noGroupReply(key, group)
	}
	mode, ok := parseNackMode(args[3])
	if !ok {
		return Error(errNackMode)
	}
	o := broker.NackOptions{Mode: mode}
	var raw []string
	idsSeen := false
	for i := 4; i < len(args); i++ {
		switch opt := strings.ToLower(args[i]); {
		case opt == "ids" && !idsSeen && i+1 < len(args):
			n, ok := parseInt(args[i+1])
			if !ok || n < 1 {
				return Error(errNackNumIDs)
			}
			if n > int64(len(args)-i-2) {
				return Error(errNackIDsCount)
			}
			raw, idsSeen = args[i+2:i+2+int(n)], true
			i += 1 + int(n)
		case opt == "retrycount" && i+1 < len(args):
			c, ok := parseInt(args[i+1])
			if !ok {
				return Error(errNotInteger)
			}
			if c < 0 {
				return Error(errNackRetry)
			}
			u := uint64(c)
			o.RetryCount = &u
			i++
		case opt == "force":
			o.Force = true
		default:
			return nackOption(args[i])
		}
	}
	if !idsSeen {
		return Error(errNackNoIDs)
	}
	ids, ok := parseIDList(raw)
	if !ok {
		return Error(errInvalidID)
	}
	n, err := h.B.XNack(ctx, key, group, ids, o)
	if isNoGroup(err) {
		return noGroupReply(key, group)
	}
	if err != nil {
		return errorReply(err)
	}
	return Int(n)
}

// parseIDList parses IDs as XDEL does: all or nothing.
func parseIDList(raw []string) ([]stream.ID, bool) {
	ids := make([]stream.ID, len(raw))
	for i, s := range raw {
		id, ok := parseStrictID(s)
		if !ok {
			return nil, false
		}
		ids[i] = id
	}
	return ids, true
}

// parseRefArgs parses XACKDEL's and XDELEX's options from args[from:]: at
// most one of KEEPREF|DELREF|ACKED and the IDS block, in any order. The IDs
// are returned unparsed: Redis checks them after the key.
func parseRefArgs(args []string, from int) (broker.RefOptions, []string, *Reply) {
	var o broker.RefOptions
	fail := func(text string) (broker.RefOptions, []string, *Reply) { r := Error(text); return o, nil, &r }
	var raw []string
	refSet, idsSeen := false, false
	for i := from; i < len(args); i++ {
		switch opt := strings.ToLower(args[i]); {
		case (opt == "keepref" || opt == "delref" || opt == "acked") && !refSet:
			o.Ref, refSet = refModes[opt], true
		case opt == "ids" && !idsSeen && i+1 < len(args):
			n, ok := parseInt(args[i+1])
			if !ok || n < 1 {
				return fail(errRefNumIDs)
			}
			if n > int64(len(args)-i-2) {
				return fail(errRefIDsCount)
			}
			raw, idsSeen = args[i+2:i+2+int(n)], true
			i += 1 + int(n)
		default:
			return fail(errSyntax)
		}
	}
	if !idsSeen {
		return fail(errRefIDsMissing)
	}
	return o, raw, nil
}

// refCodes is the reply of XACKDEL and XDELEX: one integer per ID.
func refCodes(codes []int) Reply {
	elems := make([]Reply, len(codes))
	for i, c := range codes {
		elems[i] = Int(int64(c))
	}
	return Array(elems...)
}

// allNotFound is the reply for a missing key (or group): -1 per ID.
func allNotFound(n int) Reply {
	codes := make([]int, n)
	for i := range codes {
		codes[i] = broker.RefNotFound
	}
	return refCodes(codes)
}

func (h *Handler) xackdel(ctx context.Context, args []string) Reply {
	key, group := args[1], args[2]
	o, raw, bad := parseRefArgs(args, 3)
	if bad != nil {
		return *bad
	}
	ids, ok := parseIDList(raw)
	if !ok {
		// A missing key or group answers -1 for every ID before the IDs
		// are checked (Redis 8.2).
		if !h.groupExists(ctx, key, group) {
			return allNotFound(len(raw))
		}
		return Error(errInvalidID)
	}
	codes, err := h.B.XAckDel(ctx, key, group, ids, o)
	if err != nil {
		return errorReply(err)
	}
	return refCodes(codes)
}

func (h *Handler) xdelex(ctx context.Context, args []string) Reply {
	key := args[1]
	o, raw, bad := parseRefArgs(args, 2)
	if bad != nil {
		return *bad
	}
	ids, ok := parseIDList(raw)
	if !ok {
		if !h.keyExists(ctx, key) {
			return allNotFound(len(raw))
		}
		return Error(errInvalidID)
	}
	codes, err := h.B.XDelEx(ctx, key, ids, o)
	if err != nil {
		return errorReply(err)
	}
	return refCodes(codes)
}
