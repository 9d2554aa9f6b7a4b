package command

import (
	"context"
	"errors"
	"math"
	"strings"

	"github.com/brookmq/brook/broker"
	"github.com/brookmq/brook/stream"
)

func streamSpecs() []*spec {
	return []*spec{
		{name: "xadd", arity: -5, run: (*Handler).xadd,
			usage: "XADD key [NOMKSTREAM] [KEEPREF|DELREF|ACKED] [MAXLEN|MINID [=|~] threshold [LIMIT count]] [IDMP pid iid|IDMPAUTO pid] *|id field value [field value ...]"},
		{name: "xcfgset", arity: -2, run: (*Handler).xcfgset,
			usage: "XCFGSET key [IDMP-DURATION seconds] [IDMP-MAXSIZE n] [RETENTION-MAXLEN n] [RETENTION-MAXAGE ms] [RETENTION-MAXBYTES n]"},
		{name: "xlen", arity: 2, run: (*Handler).xlen, usage: "XLEN key"},
		{name: "xrange", arity: -4, run: (*Handler).xrange, usage: "XRANGE key start end [COUNT count]"},
		{name: "xrevrange", arity: -4, run: (*Handler).xrevrange, usage: "XREVRANGE key end start [COUNT count]"},
		{name: "xdel", arity: -3, run: (*Handler).xdel, usage: "XDEL key id [id ...]"},
		{name: "xtrim", arity: -4, run: (*Handler).xtrim,
			usage: "XTRIM key MAXLEN|MINID [=|~] threshold [LIMIT count] [KEEPREF|DELREF|ACKED]"},
		{name: "xread", arity: -4, run: (*Handler).xread,
			usage: "XREAD [COUNT count] [BLOCK milliseconds] STREAMS key [key ...] id|$|+ [id|$|+ ...]"},
		{name: "xreadgroup", arity: -7, run: (*Handler).xreadgroup,
			usage: "XREADGROUP GROUP group consumer [COUNT count] [BLOCK milliseconds] [CLAIM min-idle-time] [NOACK] STREAMS key [key ...] id|> [id|> ...]"},
		{name: "del", arity: -2, run: (*Handler).del, usage: "DEL key [key ...]"},
		{name: "exists", arity: -2, run: (*Handler).exists, usage: "EXISTS key [key ...]"},
		{name: "type", arity: 2, run: (*Handler).typ, usage: "TYPE key"},
	}
}

// entryReply is one entry as [id, [field, value, ...]]; an entry deleted
// from the stream but still pending has nil fields.
func entryReply(e stream.Entry) Reply {
	id := Bulk(e.ID.String())
	if e.Fields == nil {
		return Array(id, Nil())
	}
	fv := make([]Reply, 0, 2*len(e.Fields))
	for _, f := range e.Fields {
		fv = append(fv, Bulk(f.Name), Bulk(f.Value))
	}
	return Array(id, Array(fv...))
}

func entriesReply(es []stream.Entry) Reply {
	elems := make([]Reply, len(es))
	for i, e := range es {
		elems[i] = entryReply(e)
	}
	return Array(elems...)
}

func idsReply(ids []stream.ID) Reply {
	elems := make([]Reply, len(ids))
	for i, id := range ids {
		elems[i] = Bulk(id.String())
	}
	return Array(elems...)
}

// trimArgs is what XADD and XTRIM parse before the ID / fields.
type trimArgs struct {
	trim     stream.Trim
	noMk     bool
	id       stream.AddID
	idGiven  bool
	next     int // index after the ID (XADD); len(args) for XTRIM
	limitSet bool
	refSet   bool               // KEEPREF|DELREF|ACKED given (Redis 8.2)
	idmp     broker.Idempotency // XADD IDMP / IDMPAUTO
}

// parseTrim parses XADD's or XTRIM's options the way Redis's
// streamParseAddOrTrimArgsOrReply does, in the same order and with the same
// errors.
func parseTrim(args []string, xadd bool) (trimArgs, *Reply) {
	var a trimArgs
	fail := func(text string) (trimArgs, *Reply) { r := Error(text); return a, &r }
	i := 2
	for ; i < len(args); i++ {
		more := len(args) - 1 - i
		opt := strings.ToLower(args[i])
		switch {
		case xadd && cstr(args[i]) == "*":
			a.id, a.idGiven = stream.AutoID(), true
			a.next = i + 1
			return a, a.check(xadd)
		case (opt == "maxlen" || opt == "minid") && more > 0:
			next, bad := a.parseStrategy(args, i, opt == "maxlen")
			if bad != nil {
				return a, bad
			}
			i = next
		case opt == "limit" && more > 0:
			n, ok := parseInt(args[i+1])
			if !ok {
				return fail(errNotInteger)
			}
			if n < 0 {
				return fail("ERR The LIMIT argument must be >= 0.")
			}
			a.trim.Limit, a.limitSet = n, true
			i++
		case xadd && opt == "nomkstream":
			a.noMk = true
		case (opt == "keepref" || opt == "delref" || opt == "acked") && !a.refSet:
			// Redis 8.2. A second one is a syntax error in XTRIM; XADD
			// takes it for the ID (below), which is invalid.
			a.trim.Ref, a.refSet = refModes[opt], true
		case xadd && (opt == "idmp" && more >= 2 || opt == "idmpauto" && more >= 1):
			next, bad := a.parseIdmp(args, i, opt == "idmpauto")
			if bad != nil {
				return a, bad
			}
			i = next
		case xadd:
			id, err := parseAddID(args[i])
			if err != nil {
				return fail(errInvalidID)
			}
			a.id, a.idGiven, a.next = id, true, i+1
			return a, a.check(xadd)
		default:
			return fail(errSyntax)
		}
	}
	a.next = i
	return a, a.check(xadd)
}

// refModes are the reference modes by their lowercase Redis names.
var refModes = map[string]broker.RefMode{"keepref": broker.KeepRef, "delref": broker.DelRef, "acked": broker.Acked}

// parseStrategy parses MAXLEN or MINID at args[i]: an optional "=" or "~",
// then the threshold. It returns the index of the threshold.
func (a *trimArgs) parseStrategy(args []string, i int, maxlen bool) (int, *Reply) {
	fail := func(text string) (int, *Reply) { r := Error(text); return 0, &r }
	if a.trim.Strategy != stream.TrimNone {
		return fail("ERR syntax error, MAXLEN and MINID options at the same time are not compatible")
	}
	a.trim.Approx = false
	if len(args)-1-i >= 2 && (args[i+1] == "~" || args[i+1] == "=") {
		a.trim.Approx = args[i+1] == "~"
		i++
	}
	if maxlen {
		n, ok := parseInt(args[i+1])
		if !ok {
			return fail(errNotInteger)
		}
		if n < 0 {
			return fail("ERR The MAXLEN argument must be >= 0.")
		}
		a.trim.Strategy, a.trim.MaxLen = stream.TrimMaxLen, n
	} else {
		id, ok := parseStrictID(args[i+1])
		if !ok {
			return fail(errInvalidID)
		}
		a.trim.Strategy, a.trim.MinID = stream.TrimMinID, id
	}
	return i + 1, nil
}

// parseIdmp parses IDMP pid iid (or IDMPAUTO pid) at args[i] (Redis 8.6)
// and returns the index of its last argument.
func (a *trimArgs) parseIdmp(args []string, i int, auto bool) (int, *Reply) {
	fail := func(text string) (int, *Reply) { r := Error(text); return 0, &r }
	if a.idmp != (broker.Idempotency{}) {
		return fail("ERR syntax error, IDMP/IDMPAUTO specified multiple times")
	}
	pid := args[i+1]
	if auto {
		if pid == "" {
			return fail("ERR syntax error, IDMPAUTO requires a non-empty producer ID")
		}
		a.idmp = broker.Idempotency{Producer: pid, Auto: true}
		return i + 1, nil
	}
	iid := args[i+2]
	switch {
	case pid == "":
		return fail("ERR syntax error, IDMP requires a non-empty producer ID")
	case iid == "":
		return fail("ERR syntax error, IDMP requires a non-empty idempotent ID")
	}
	a.idmp = broker.Idempotency{Producer: pid, ID: iid}
	return i + 2, nil
}

// check applies the checks Redis makes after the option loop.
func (a *trimArgs) check(xadd bool) *Reply {
	fail := func(text string) *Reply { r := Error(text); return &r }
	if a.trim.Limit != 0 && a.trim.Strategy == stream.TrimNone {
		return fail("ERR syntax error, LIMIT cannot be used without specifying a trimming strategy")
	}
	if !xadd && a.trim.Strategy == stream.TrimNone {
		return fail("ERR syntax error, XTRIM must be called with a trimming strategy")
	}
	if a.limitSet && !a.trim.Approx {
		return fail("ERR syntax error, LIMIT cannot be used without the special ~ option")
	}
	if a.limitSet && a.trim.Limit == 0 {
		a.trim.Limit = math.MaxInt64 // LIMIT 0: no cap
	}
	return nil
}

func (h *Handler) xadd(ctx context.Context, args []string) Reply {
	a, bad := parseTrim(args, true)
	if bad != nil {
		return *bad
	}
	fv := args[min(a.next, len(args)):]
	if !a.idGiven || len(fv) < 2 || len(fv)%2 == 1 {
		return wrongArgs("xadd")
	}
	if a.idmp != (broker.Idempotency{}) && a.id != stream.AutoID() {
		return Error("ERR syntax error, IDMP/IDMPAUTO can be used only with auto-generated IDs")
	}
	if a.id == stream.ExplicitID(stream.ID{}) {
		return errorReply(stream.ErrIDZero)
	}
	fields := make([]stream.Field, len(fv)/2)
	for i := range fields {
		fields[i] = stream.Field{Name: fv[2*i], Value: fv[2*i+1]}
	}
	id, err := h.B.XAdd(ctx, args[1], fields, broker.AddOptions{ID: a.id, NoMkStream: a.noMk, Trim: a.trim, Idempotency: a.idmp})
	if errors.Is(err, broker.ErrNoStream) {
		return Nil()
	}
	if err != nil {
		return errorReply(err)
	}
	return Bulk(id.String())
}

func (h *Handler) xtrim(ctx context.Context, args []string) Reply {
	a, bad := parseTrim(args, false)
	if bad != nil {
		return *bad
	}
	n, err := h.B.XTrim(ctx, args[1], a.trim)
	if err != nil && !errors.Is(err, broker.ErrNoStream) {
		return errorReply(err)
	}
	return Int(n)
}

func (h *Handler) xlen(ctx context.Context, args []string) Reply {
	n, err := h.B.XLen(ctx, args[1])
	if err != nil && !errors.Is(err, broker.ErrNoStream) {
		return errorReply(err)
	}
	return Int(n)
}

func (h *Handler) xrange(ctx context.Context, args []string) Reply {
	return h.rangeGeneric(ctx, args, false)
}

func (h *Handler) xrevrange(ctx context.Context, args []string) Reply {
	return h.rangeGeneric(ctx, args, true)
}

// rangeGeneric is XRANGE (key start end) and XREVRANGE (key end start).
func (h *Handler) rangeGeneric(ctx context.Context, args []string, rev bool) Reply {
	startArg, endArg := args[2], args[3]
	if rev {
		startArg, endArg = endArg, startArg
	}
	start, err := parseRangeStart(startArg)
	if err != nil {
		return errorReply(err)
	}
	end, err := parseRangeEnd(endArg)
	if err != nil {
		return errorReply(err)
	}
	count := int64(-1)
	for j := 4; j < len(args); j++ {
		if !strings.EqualFold(args[j], "COUNT") || j+1 >= len(args) {
			return Error(errSyntax)
		}
		n, ok := parseInt(args[j+1])
		if !ok {
			return Error(errNotInteger)
		}
		count = max(n, 0)
		j++
	}
	if count == 0 {
		// COUNT 0 is a nil reply, but only for a key that exists.
		n, err := h.B.Exists(ctx, args[1])
		if err != nil {
			return errorReply(err)
		}
		if n == 0 {
			return Array()
		}
		return Nil()
	}
	var es []stream.Entry
	if rev {
		es, err = h.B.XRevRange(ctx, args[1], end, start, toInt(max(count, 0)))
	} else {
		es, err = h.B.XRange(ctx, args[1], start, end, toInt(max(count, 0)))
	}
	if err != nil && !errors.Is(err, broker.ErrNoStream) {
		return errorReply(err)
	}
	return entriesReply(es)
}

func (h *Handler) xdel(ctx context.Context, args []string) Reply {
	ids := make([]stream.ID, 0, len(args)-2)
	for _, s := range args[2:] {
		id, ok := parseStrictID(s)
		if !ok {
			return Error(errInvalidID)
		}
		ids = append(ids, id)
	}
	n, err := h.B.XDel(ctx, args[1], ids...)
	if err != nil && !errors.Is(err, broker.ErrNoStream) {
		return errorReply(err)
	}
	return Int(n)
}

func (h *Handler) del(ctx context.Context, args []string) Reply {
	n, err := h.B.Del(ctx, args[1:]...)
	if err != nil {
		return errorReply(err)
	}
	return Int(n)
}

func (h *Handler) exists(ctx context.Context, args []string) Reply {
	n, err := h.B.Exists(ctx, args[1:]...)
	if err != nil {
		return errorReply(err)
	}
	return Int(n)
}

func (h *Handler) typ(ctx context.Context, args []string) Reply {
	t, err := h.B.Type(ctx, args[1])
	if err != nil {
		return errorReply(err)
	}
	return Simple(t)
}
