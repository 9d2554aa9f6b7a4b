package command

import (
	"context"
	"errors"
	"math"
	"strings"
	"time"

	"github.com/brookmq/brook/broker"
	"github.com/brookmq/brook/stream"
)

// readArgs is what XREAD and XREADGROUP parse before the stream IDs.
type readArgs struct {
	count           int64
	block           time.Duration // 0: no BLOCK; BLOCK 0 is broker.BlockForever
	noAck           bool
	claim           *time.Duration // CLAIM min-idle-time (Redis 8.4)
	group, consumer string
	hasGroup        bool
	keys, ids       []string
}

// parseRead parses the options of XREAD (group false) or XREADGROUP, in
// Redis's order and with its errors.
func parseRead(args []string, group bool) (readArgs, *Reply) {
	var a readArgs
	fail := func(text string) (readArgs, *Reply) { r := Error(text); return a, &r }
	streamsAt := 0
	for i := 1; i < len(args) && streamsAt == 0; i++ {
		more := len(args) - 1 - i
		switch opt := strings.ToLower(args[i]); {
		case opt == "block" && more > 0:
			i++
			ms, ok := parseInt(args[i])
			if !ok {
				return fail("ERR timeout is not an integer or out of range")
			}
			if ms < 0 {
				return fail("ERR timeout is negative")
			}
			a.block = broker.BlockForever // BLOCK 0, and past Duration's range
			if ms > 0 && ms <= int64(math.MaxInt64/time.Millisecond) {
				a.block = time.Duration(ms) * time.Millisecond
			}
		case opt == "count" && more > 0:
			i++
			n, ok := parseInt(args[i])
			if !ok {
				return fail(errNotInteger)
			}
			a.count = max(n, 0)
		case opt == "streams" && more > 0:
			streamsAt = i + 1
			if (len(args)-streamsAt)%2 != 0 {
				return fail("ERR Unbalanced XREAD list of streams: for each stream key an ID or '$' must be specified.")
			}
		case opt == "group" && more >= 2:
			if !group {
				return fail("ERR The GROUP option is only supported by XREADGROUP. You called XREAD instead.")
			}
			a.group, a.consumer, a.hasGroup = args[i+1], args[i+2], true
			i += 2
		case opt == "claim" && more > 0:
			// Redis 8.4; the last CLAIM wins.
			if !group {
				return fail("ERR The CLAIM option is only supported by XREADGROUP. You called XREAD instead.")
			}
			i++
			ms, ok := parseInt(args[i])
			if !ok {
				return fail("ERR min-idle-time is not an integer or out of range")
			}
			if ms < 0 {
				return fail("ERR min-idle-time must be a positive integer")
			}
			d := msDuration(ms)
			a.claim = &d
		case opt == "noack":
			if !group {
				return fail("ERR The NOACK option is only supported by XREADGROUP. You called XREAD instead.")
			}
			a.noAck = true
		default:
			return fail(errSyntax)
		}
	}
	if streamsAt == 0 {
		return fail(errSyntax)
	}
	if group && !a.hasGroup {
		return fail("ERR Missing GROUP option for XREADGROUP")
	}
	n := (len(args) - streamsAt) / 2
	a.keys, a.ids = args[streamsAt:streamsAt+n], args[streamsAt+n:]
	return a, nil
}

// readReply is the reply of XREAD/XREADGROUP: [[key, entries], ...], or nil
// when no stream had anything.
func readReply(res []broker.StreamEntries) Reply {
	if len(res) == 0 {
		return Nil()
	}
	elems := make([]Reply, len(res))
	for i, se := range res {
		if se.Delivery != nil {
			elems[i] = Array(Bulk(se.Key), claimReadReply(se))
			continue
		}
		elems[i] = Array(Bulk(se.Key), entriesReply(se.Entries))
	}
	return Array(elems...)
}

// claimReadReply is the entries of an XREADGROUP CLAIM reply (Redis 8.4):
// [id, fields, idle-ms, delivery-count-before], integers since 8.4 GA.
func claimReadReply(se broker.StreamEntries) Reply {
	elems := make([]Reply, len(se.Entries))
	for i, e := range se.Entries {
		d := se.Delivery[i]
		r := entryReply(e)
		r.Elems = append(r.Elems, Int(d.Idle.Milliseconds()), Int(int64(d.Deliveries)))
		elems[i] = r
	}
	return Array(elems...)
}

// readResult turns a read's outcome into a reply; an expired BLOCK is the
// nil reply readReply gives to an empty result.
func readResult(res []broker.StreamEntries, err error) Reply {
	if err != nil {
		return errorReply(err)
	}
	return readReply(res)
}

func (h *Handler) xread(ctx context.Context, args []string) Reply {
	a, bad := parseRead(args, false)
	if bad != nil {
		return *bad
	}
	streams := make([]broker.ReadStream, len(a.keys))
	for i, key := range a.keys {
		rs := broker.ReadStream{Key: key}
		switch cstr(a.ids[i]) {
		case "$":
			rs.From = broker.Latest()
		case "+":
			rs.From = broker.LastEntry()
		case ">":
			return Error("ERR The > ID can be specified only when calling XREADGROUP using the GROUP <group> <consumer> option.")
		default:
			id, ok := parseStrictID(a.ids[i])
			if !ok {
				return Error(errInvalidID)
			}
			rs.From = broker.After(id)
		}
		streams[i] = rs
	}
	forever := h.blocksForever(&a)
	res, err := h.B.XRead(ctx, streams, broker.ReadOptions{Count: toInt(a.count), Block: a.blockUnless(forever)})
	if forever && err == nil && res == nil {
		return Error(BlockForeverMessage)
	}
	return readResult(res, err)
}

// blocksForever reports whether a read with these options would wait for
// ever when it finds nothing, and the handler must not let it
// ([Handler.NoBlockForever]). Such a read is made without blocking: if it
// finds nothing, a blocking one would have waited for ever.
func (h *Handler) blocksForever(a *readArgs) bool {
	return h.NoBlockForever && a.block == broker.BlockForever
}

// blockUnless is the Block option of the read: none if forever is refused.
func (a *readArgs) blockUnless(forever bool) time.Duration {
	if forever {
		return 0
	}
	return a.block
}

func (h *Handler) xreadgroup(ctx context.Context, args []string) Reply {
	a, bad := parseRead(args, true)
	if bad != nil {
		return *bad
	}
	streams := make([]broker.ReadStream, len(a.keys))
	for i, key := range a.keys {
		gs := broker.ReadStream{Key: key}
		switch cstr(a.ids[i]) {
		case ">":
			gs.From = broker.Undelivered()
		case "$":
			if r, missing := h.noGroupRead(ctx, a.keys[:i+1], a.group); missing {
				return r
			}
			return Error("ERR The $ ID is meaningless in the context of XREADGROUP: you want to read " +
				"the history of this consumer by specifying a proper ID, or use the > ID to get new " +
				"messages. The $ ID would just return an empty result set.")
		default:
			id, ok := parseStrictID(a.ids[i])
			if !ok {
				if r, missing := h.noGroupRead(ctx, a.keys[:i+1], a.group); missing {
					return r
				}
				return Error(errInvalidID)
			}
			// Redis stores ">" as the maximum ID, so the maximum ID written
			// out reads (and blocks) as ">" does.
			gs.From = broker.After(id)
			if id == stream.MaxID {
				gs.From = broker.Undelivered()
			}
		}
		streams[i] = gs
	}
	forever := h.blocksForever(&a)
	res, err := h.B.XReadGroup(ctx, a.group, a.consumer, streams,
		broker.GroupReadOptions{Count: toInt(a.count), Block: a.blockUnless(forever), NoAck: a.noAck, ClaimMinIdle: a.claim})
	if forever && err == nil && res == nil {
		return Error(BlockForeverMessage)
	}
	if !errors.Is(err, broker.ErrGroupDeleted) && !errors.Is(err, broker.ErrStreamDeleted) &&
		(errors.Is(err, stream.ErrNoGroup) || errors.Is(err, broker.ErrNoStream)) {
		if r, missing := h.noGroupRead(ctx, a.keys, a.group); missing {
			return r
		}
		return noGroupReadReply(a.keys[0], a.group)
	}
	return readResult(res, err)
}

// noGroupRead finds the first key among keys that is missing or has no
// group named group, and returns XREADGROUP's NOGROUP error for it.
func (h *Handler) noGroupRead(ctx context.Context, keys []string, group string) (Reply, bool) {
	for _, key := range keys {
		if !h.groupExists(ctx, key, group) {
			return noGroupReadReply(key, group), true
		}
	}
	return Reply{}, false
}

func noGroupReadReply(key, group string) Reply {
	return Error(sanitize("NOGROUP No such key '" + key + "' or consumer group '" + group +
		"' in XREADGROUP with GROUP option"))
}

// groupExists reports whether key is a stream with a group named group.
func (h *Handler) groupExists(ctx context.Context, key, group string) bool {
	groups, err := h.B.XInfoGroups(ctx, key)
	if err != nil {
		return false
	}
	for _, g := range groups {
		if g.Name == group {
			return true
		}
	}
	return false
}

// keyExists reports whether key exists.
func (h *Handler) keyExists(ctx context.Context, key string) bool {
	n, err := h.B.Exists(ctx, key)
	return err == nil && n > 0
}
