package command

import (
	"context"
	"strings"
	"time"

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
	if q.Count == 0 {
		// Nothing to list, but the group must exist.
		if _, err := h.B.XPending(ctx, key, group); err != nil {
			return pendingError(key, group, err)
		}
		return Array()
	}
	pending, err := h.B.XPendingRange(ctx, key, group, q)
	if err != nil {
		return pendingError(key, group, err)
	}
	now := h.nowMs()
	elems := make([]Reply, len(pending))
	for j, p := range pending {
		elems[j] = Array(Bulk(p.ID.String()), Bulk(p.Consumer),
			Int(idleMs(now, p.DeliveryMs)), Int(int64(p.DeliveryCount)))
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
func parsePendingQuery(args []string) (stream.PendingQuery, *Reply) {
	var q stream.PendingQuery
	fail := func(r Reply) (stream.PendingQuery, *Reply) { return q, &r }
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
		q.MinIdleMs = uint64(max(n, 0))
		i += 2
	}
	// Redis reads the count before the range.
	count, ok := parseInt(args[i+2])
	if !ok {
		return fail(Error(errNotInteger))
	}
	q.Count = toInt(max(count, 0))
	var err error
	if q.Start, err = stream.ParseRangeStart(args[i]); err != nil {
		return fail(errorReply(err))
	}
	if q.End, err = stream.ParseRangeEnd(args[i+1]); err != nil {
		return fail(errorReply(err))
	}
	if len(args) > i+3 {
		q.Consumer = args[i+3]
	}
	return q, nil
}

// pendingSummaryReply is XPENDING's summary: [count, min, max,
// [[consumer, "count"], ...]] or [0, nil, nil, nil].
func pendingSummaryReply(sum stream.PendingSummary) Reply {
	if sum.Count == 0 {
		return Array(Int(0), Nil(), Nil(), Nil())
	}
	cs := make([]Reply, len(sum.Consumers))
	for i, c := range sum.Consumers {
		cs[i] = BulkArray(c.Consumer, itoa(c.Count))
	}
	return Array(Int(sum.Count), Bulk(sum.Min.String()), Bulk(sum.Max.String()), Array(cs...))
}

// nowMs is the handler's clock in Unix milliseconds.
func (h *Handler) nowMs() uint64 {
	now := time.Now
	if h.Clock != nil {
		now = h.Clock
	}
	return uint64(max(now().UnixMilli(), 0))
}

// idleMs is now - then, never negative.
func idleMs(now, then uint64) int64 {
	if then >= now {
		return 0
	}
	return int64(now - then)
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
	claimed, err := h.B.XClaim(ctx, key, group, consumer, minIdle, ids, o)
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
func parseClaim(args []string) (time.Duration, []stream.ID, stream.ClaimOptions, *Reply) {
	var o stream.ClaimOptions
	fail := func(text string) (time.Duration, []stream.ID, stream.ClaimOptions, *Reply) {
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
			o.LastID = &id
		default:
			return fail("ERR Unrecognized XCLAIM option '" + args[j] + "'")
		}
	}
	return msDuration(minIdle), ids, o, nil
}

// setClaimNumber applies IDLE, TIME or RETRYCOUNT n. IDLE and TIME both set
// the delivery time (the last one wins); a negative TIME means now, and a
// negative RETRYCOUNT is ignored, as in Redis.
func setClaimNumber(o *stream.ClaimOptions, opt string, n int64) {
	switch opt {
	case "idle":
		v := uint64(max(n, 0))
		o.IdleMs, o.TimeMs = &v, nil
	case "time":
		v := uint64(max(n, 0))
		o.IdleMs, o.TimeMs = nil, &v
		if n < 0 {
			o.IdleMs, o.TimeMs = new(uint64), nil
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
	start, err := stream.ParseRangeStart(args[5])
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
	next, claimed, deleted, err := h.B.XAutoClaim(ctx, key, group, consumer, msDuration(minIdle), start, toInt(count), justID)
	if err != nil {
		if isNoGroup(err) {
			return noGroupReply(key, group)
		}
		return errorReply(err)
	}
	return Array(Bulk(next.String()), claimedReply(claimed, justID), idsReply(deleted))
}
