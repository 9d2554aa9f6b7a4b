package command

import (
	"context"
	"strings"
	"time"

	"github.com/brookmq/brook/broker"
	"github.com/brookmq/brook/stream"
)

func (h *Handler) xpending(ctx context.Context, args []string) Reply {
	key, group := args[1], args[2]
	if len(args) == 3 {
		sum, err := h.B.XPending(ctx, key, group)
		if err != nil {
			return pendingError(key, group, err)
		}
		return pendingSummaryReply(sum)
	}
	q, bad := parsePendingQuery(args)
	if bad != nil {
		return *bad
	}
	if q.Count == 0 || q.End == (stream.ID{}) {
		// Nothing to list (a COUNT of 0 or less, or an end of 0-0, which no
		// entry has; to the broker a zero End means no bound), but the
		// group must exist.
		if _, err := h.B.XPending(ctx, key, group); err != nil {
			return pendingError(key, group, err)
		}
		return Array()
	}
	pending, err := h.B.XPendingRange(ctx, key, group, q)
	if err != nil {
		return pendingError(key, group, err)
	}
	elems := make([]Reply, len(pending))
	for j, p := range pending {
		idle := p.Idle.Milliseconds()
		if p.Nacked {
			idle = -1 // Redis 8.8: owner "", idle -1
		}
		elems[j] = Array(Bulk(p.ID.String()), Bulk(p.Consumer), Int(idle), Int(int64(p.Deliveries)))
	}
	return Array(elems...)
}

func pendingError(key, group string, err error) Reply {
	if isNoGroup(err) {
		return noGroupReply(key, group)
	}
	return errorReply(err)
}

// parsePendingQuery parses XPENDING's extended form: [IDLE n] start end
// count [consumer]. Like Redis it accepts 6 to 9 arguments and ignores one
// extra argument after the consumer.
func parsePendingQuery(args []string) (broker.PendingOptions, *Reply) {
	var q broker.PendingOptions
	fail := func(r Reply) (broker.PendingOptions, *Reply) { return q, &r }
	if len(args) < 6 || len(args) > 9 {
		return fail(Error(errSyntax))
	}
	i := 3
	if strings.EqualFold(args[i], "IDLE") {
		n, ok := parseInt(args[i+1])
		if !ok {
			return fail(Error(errNotInteger))
		}
		if len(args) < 8 {
			return fail(Error(errSyntax))
		}
		q.MinIdle = msDuration(max(n, 0))
		i += 2
	}
	// Redis reads the count before the range.
	count, ok := parseInt(args[i+2])
	if !ok {
		return fail(Error(errNotInteger))
	}
	q.Count = toInt(max(count, 0))
	var err error
	if q.Start, err = parseRangeStart(args[i]); err != nil {
		return fail(errorReply(err))
	}
	if q.End, err = parseRangeEnd(args[i+1]); err != nil {
		return fail(errorReply(err))
	}
	if len(args) > i+3 {
		q.Consumer = args[i+3]
	}
	return q, nil
}

// pendingSummaryReply is XPENDING's summary: [count, min, max,
// [[consumer, "count"], ...]] or [0, nil, nil, nil].
func pendingSummaryReply(sum broker.PendingSummary) Reply {
	if sum.Count == 0 {
		return Array(Int(0), Nil(), Nil(), Nil())
	}
	cs := make([]Reply, len(sum.Consumers))
	for i, c := range sum.Consumers {
		cs[i] = BulkArray(c.Consumer, itoa(c.Count))
	}
	return Array(Int(sum.Count), Bulk(sum.Min.String()), Bulk(sum.Max.String()), Array(cs...))
}

func (h *Handler) xclaim(ctx context.Context, args []string) Reply {
	key, group, consumer := args[1], args[2], args[3]
	minIdle, ids, o, bad := parseClaim(args)
	if bad != nil {
		if !h.groupExists(ctx, key, group) {
			return noGroupReply(key, group)
		}
		return *bad
	}
	o.MinIdle = minIdle
	claimed, err := h.B.XClaim(ctx, key, group, consumer, ids, o)
	if err != nil {
		if isNoGroup(err) {
			return noGroupReply(key, group)
		}
		return errorReply(err)
	}
	return claimedReply(claimed, o.JustID)
}

// claimedReply is the claimed entries of XCLAIM or XAUTOCLAIM: whole
// entries, or only their IDs with JUSTID.
func claimedReply(claimed []stream.Entry, justID bool) Reply {
	if !justID {
		return entriesReply(claimed)
	}
	ids := make([]stream.ID, len(claimed))
	for i, e := range claimed {
		ids[i] = e.ID
	}
	return idsReply(ids)
}

// parseClaim parses XCLAIM's min-idle-time, IDs and options.
func parseClaim(args []string) (time.Duration, []stream.ID, broker.ClaimOptions, *Reply) {
	var o broker.ClaimOptions
	fail := func(text string) (time.Duration, []stream.ID, broker.ClaimOptions, *Reply) {
		r := Error(sanitize(text))
		return 0, nil, o, &r
	}
	minIdle, ok := parseInt(args[4])
	if !ok {
		return fail("ERR Invalid min-idle-time argument for XCLAIM")
	}
	j := 5
	var ids []stream.ID
	for ; j < len(args); j++ {
		id, ok := parseStrictID(args[j])
		if !ok {
			break
		}
		ids = append(ids, id)
	}
	for ; j < len(args); j++ {
		more := len(args) - 1 - j
		opt := strings.ToLower(args[j])
		switch {
		case opt == "force":
			o.Force = true
		case opt == "justid":
			o.JustID = true
		case (opt == "idle" || opt == "time" || opt == "retrycount") && more > 0:
			j++
			n, ok := parseInt(args[j])
			if !ok {
				return fail("ERR Invalid " + strings.ToUpper(opt) + " option argument for XCLAIM")
			}
			setClaimNumber(&o, opt, n)
		case opt == "lastid" && more > 0:
			j++
			id, ok := parseStrictID(args[j])
			if !ok {
				return fail(errInvalidID)
			}
			o.LastID = id
		default:
			return fail("ERR Unrecognized XCLAIM option '" + args[j] + "'")
		}
	}
	return msDuration(minIdle), ids, o, nil
}

// setClaimNumber applies IDLE, TIME or RETRYCOUNT n. IDLE and TIME both set
// the delivery time (the last one wins); a negative TIME means now, and a
// negative RETRYCOUNT is ignored, as in Redis.
func setClaimNumber(o *broker.ClaimOptions, opt string, n int64) {
	switch opt {
	case "idle":
		o.Idle, o.Time = msDuration(max(n, 0)), time.Time{}
	case "time":
		o.Idle, o.Time = 0, time.UnixMilli(n)
		if n < 0 {
			o.Time = time.Time{}
		}
	default:
		o.RetryCount = nil
		if n >= 0 {
			v := uint64(n)
			o.RetryCount = &v
		}
	}
}

func (h *Handler) xautoclaim(ctx context.Context, args []string) Reply {
	key, group, consumer := args[1], args[2], args[3]
	minIdle, ok := parseInt(args[4])
	if !ok {
		return Error("ERR Invalid min-idle-time argument for XAUTOCLAIM")
	}
	start, err := parseRangeStart(args[5])
	if err != nil {
		return errorReply(err)
	}
	count, justID := int64(100), false
	const maxCount = int64(1<<63-1) / 16
	for j := 6; j < len(args); j++ {
		switch opt := strings.ToLower(args[j]); {
		case opt == "count" && j+1 < len(args):
			n, ok := parseInt(args[j+1])
			if !ok || n < 1 || n > maxCount {
				return Error("ERR COUNT must be > 0")
			}
			count = n
			j++
		case opt == "justid":
			justID = true
		default:
			return Error(errSyntax)
		}
	}
	res, err := h.B.XAutoClaim(ctx, key, group, consumer,
		broker.AutoClaimOptions{MinIdle: msDuration(minIdle), Start: start, Count: toInt(count), JustID: justID})
	if err != nil {
		if isNoGroup(err) {
			return noGroupReply(key, group)
		}
		return errorReply(err)
	}
	return Array(Bulk(res.Next.String()), claimedReply(res.Claimed, justID), idsReply(res.Deleted))
}
