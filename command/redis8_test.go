package command_test

// Redis 8 stream commands (XNACK 8.8, XREADGROUP CLAIM 8.4, XACKDEL and
// XDELEX 8.2, KEEPREF|DELREF|ACKED on XADD/XTRIM 8.2). No Redis 8 binary is
// available to record conformance cases from, so these are Go tests whose
// expected replies are the examples of ../shared/notes/redis8-streams.md
// (from Redis's source, tests and documentation), printed as redis-cli
// --no-raw does; the rest follows the note's rules.

import (
	"testing"
	"time"

	"github.com/brookmq/brook/broker"
	"github.com/brookmq/brook/command"
)

// newClockHandler returns a handler on an in-memory broker whose clock the
// test moves with advance.
func newClockHandler(t *testing.T) (h *command.Handler, advance func(time.Duration)) {
	t.Helper()
	now := time.UnixMilli(1_700_000_000_000)
	clock := func() time.Time { return now }
	b, err := broker.New(broker.Options{Clock: clock})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	return &command.Handler{B: b, Clock: clock}, func(d time.Duration) { now = now.Add(d) }
}

// note section 1.
func TestXAckDelNoteExample(t *testing.T) {
	h := newHandler(t)
	runSteps(t, h, []step{
		{"XADD s 1-0 f v", "\"1-0\"\n"},
		{"XADD s 2-0 f v", "\"2-0\"\n"},
		{"XGROUP CREATE s g1 0", "OK\n"},
		{"XGROUP CREATE s g2 0", "OK\n"},
		{"XREADGROUP GROUP g1 c1 STREAMS s >", "1) 1) \"s\"\n   2) 1) 1) \"1-0\"\n         2) 1) \"f\"\n            2) \"v\"\n" +
			"      2) 1) \"2-0\"\n         2) 1) \"f\"\n            2) \"v\"\n"},
		{"XREADGROUP GROUP g2 c2 COUNT 1 STREAMS s >", "1) 1) \"s\"\n   2) 1) 1) \"1-0\"\n         2) 1) \"f\"\n            2) \"v\"\n"},
		{"XACKDEL s g1 ACKED IDS 3 1-0 2-0 3-0", "1) (integer) 2\n2) (integer) 2\n3) (integer) -1\n"},
		{"XACKDEL s g2 ACKED IDS 1 1-0", "1) (integer) 1\n"},
		{"XLEN s", "(integer) 1\n"},
	})
}

func TestXAckDelModes(t *testing.T) {
	setup := []step{
		{"XADD s 1-0 f v", "\"1-0\"\n"},
		{"XADD s 2-0 f v", "\"2-0\"\n"},
		{"XGROUP CREATE s g1 0", "OK\n"},
		{"XGROUP CREATE s g2 0", "OK\n"},
		{"XREADGROUP GROUP g1 c1 STREAMS s >", "1) 1) \"s\"\n   2) 1) 1) \"1-0\"\n         2) 1) \"f\"\n            2) \"v\"\n" +
			"      2) 1) \"2-0\"\n         2) 1) \"f\"\n            2) \"v\"\n"},
		{"XREADGROUP GROUP g2 c2 STREAMS s >", "1) 1) \"s\"\n   2) 1) 1) \"1-0\"\n         2) 1) \"f\"\n            2) \"v\"\n" +
			"      2) 1) \"2-0\"\n         2) 1) \"f\"\n            2) \"v\"\n"},
	}
	tests := map[string][]step{
		"keepref leaves other PELs": {
			{"XACKDEL s g1 IDS 1 1-0", "1) (integer) 1\n"},
			{"XPENDING s g2", "1) (integer) 2\n2) \"1-0\"\n3) \"2-0\"\n4) 1) 1) \"c2\"\n      2) \"2\"\n"},
			{"XREADGROUP GROUP g2 c2 STREAMS s 0", "1) 1) \"s\"\n   2) 1) 1) \"1-0\"\n         2) (nil)\n" +
				"      2) 1) \"2-0\"\n         2) 1) \"f\"\n            2) \"v\"\n"},
		},
		"delref clears other PELs": {
			{"XACKDEL s g1 DELREF IDS 2 1-0 1-0", "1) (integer) 1\n2) (integer) -1\n"},
			{"XPENDING s g2", "1) (integer) 1\n2) \"2-0\"\n3) \"2-0\"\n4) 1) 1) \"c2\"\n      2) \"1\"\n"},
			{"XLEN s", "(integer) 1\n"},
		},
		"missing group and key": {
			{"XACKDEL s nog IDS 2 1-0 bad", "1) (integer) -1\n2) (integer) -1\n"},
			{"XACKDEL nokey g1 IDS 1 1-0", "1) (integer) -1\n"},
			{"XACKDEL s g1 IDS 2 1-0 bad", "(error) ERR Invalid stream ID specified as stream command argument\n"},
			{"XLEN s", "(integer) 2\n"},
		},
		"errors": {
			{"XACKDEL s g1 KEEPREF DELREF IDS 1 1-0", "(error) ERR syntax error\n"},
			{"XACKDEL s g1 IDS 0 1-0", "(error) ERR Number of IDs must be a positive integer\n"},
			{"XACKDEL s g1 IDS x 1-0", "(error) ERR Number of IDs must be a positive integer\n"},
			{"XACKDEL s g1 IDS 3 1-0 2-0", "(error) ERR The `numids` parameter must match the number of arguments\n"},
			{"XACKDEL s g1 IDS 1 1-0 2-0", "(error) ERR syntax error\n"},
			{"XACKDEL s g1 KEEPREF 1-0 2-0 3-0", "(error) ERR syntax error\n"},
			{"XACKDEL s g1 KEEPREF KEEPREF IDS 1 1-0", "(error) ERR syntax error\n"},
			{"XACKDEL s g1 ACKED x y z", "(error) ERR syntax error\n"},
			{"XACKDEL s g IDS 1", "(error) ERR wrong number of arguments for 'xackdel' command\n"},
			{"XACKDEL s g1 IDS 1 1-0 ACKED", "1) (integer) 2\n"},
		},
	}
	for name, steps := range tests {
		t.Run(name, func(t *testing.T) {
			h := newHandler(t)
			runSteps(t, h, setup)
			runSteps(t, h, steps)
		})
	}
}

// note section 2.
func TestXDelExNoteExample(t *testing.T) {
	h := newHandler(t)
	runSteps(t, h, []step{
		{"XADD s 1-0 a 1", "\"1-0\"\n"},
		{"XADD s 2-0 b 2", "\"2-0\"\n"},
		{"XGROUP CREATE s g 0", "OK\n"},
		{"XREADGROUP GROUP g c COUNT 1 STREAMS s >", "1) 1) \"s\"\n   2) 1) 1) \"1-0\"\n         2) 1) \"a\"\n            2) \"1\"\n"},
		{"XDELEX s ACKED IDS 2 1-0 2-0", "1) (integer) 2\n2) (integer) 2\n"},
		{"XDELEX s DELREF IDS 2 1-0 9-0", "1) (integer) 1\n2) (integer) -1\n"},
		{"XPENDING s g", "1) (integer) 0\n2) (nil)\n3) (nil)\n4) (nil)\n"},
	})
}

func TestXDelEx(t *testing.T) {
	h := newHandler(t)
	runSteps(t, h, []step{
		{"XDELEX nokey IDS 2 1-0 x", "1) (integer) -1\n2) (integer) -1\n"},
		{"XADD s 1-0 a 1", "\"1-0\"\n"},
		{"XADD s 2-0 b 2", "\"2-0\"\n"},
		{"XADD s 3-0 c 3", "\"3-0\"\n"},
		{"XDELEX s IDS 1 x", "(error) ERR Invalid stream ID specified as stream command argument\n"},
		// No groups: ACKED deletes (Redis's source, not its documentation).
		{"XDELEX s ACKED IDS 2 1-0 7-0", "1) (integer) 1\n2) (integer) -1\n"},
		{"XGROUP CREATE s g 0", "OK\n"},
		{"XREADGROUP GROUP g c COUNT 1 STREAMS s >", "1) 1) \"s\"\n   2) 1) 1) \"2-0\"\n         2) 1) \"b\"\n            2) \"2\"\n"},
		{"XACK s g 2-0", "(integer) 1\n"},
		// 2-0 read and acked: unreferenced. 3-0 unread: referenced, and so is a
		// missing ID above last-delivered-id.
		{"XDELEX s ACKED IDS 3 2-0 3-0 9-0", "1) (integer) 1\n2) (integer) 2\n3) (integer) 2\n"},
		{"XGROUP DESTROY s g", "(integer) 1\n"},
		{"XDELEX s ACKED IDS 1 3-0", "1) (integer) 1\n"},
		{"XINFO STREAM s", " 1) \"length\"\n 2) (integer) 0\n 3) \"radix-tree-keys\"\n 4) (integer) 0\n 5) \"radix-tree-nodes\"\n" +
			" 6) (integer) 1\n 7) \"last-generated-id\"\n 8) \"3-0\"\n 9) \"max-deleted-entry-id\"\n10) \"3-0\"\n" +
			"11) \"entries-added\"\n12) (integer) 3\n13) \"recorded-first-entry-id\"\n14) \"0-0\"\n15) \"groups\"\n" +
			"16) (integer) 0\n17) \"first-entry\"\n18) (nil)\n19) \"last-entry\"\n20) (nil)\n"},
	})
}

// note section 3.
func TestTrimRefModes(t *testing.T) {
	h := newHandler(t)
	runSteps(t, h, []step{
		{"XADD s 1-0 f v", "\"1-0\"\n"},
		{"XADD s 2-0 f v", "\"2-0\"\n"},
		{"XADD s 3-0 f v", "\"3-0\"\n"},
		{"XADD s 4-0 f v", "\"4-0\"\n"},
		{"XADD s 5-0 f v", "\"5-0\"\n"},
		{"XGROUP CREATE s g 0", "OK\n"},
		{"XREADGROUP GROUP g c COUNT 0 STREAMS s >", "1) 1) \"s\"\n   2) 1) 1) \"1-0\"\n         2) 1) \"f\"\n            2) \"v\"\n" +
			"      2) 1) \"2-0\"\n         2) 1) \"f\"\n            2) \"v\"\n      3) 1) \"3-0\"\n         2) 1) \"f\"\n            2) \"v\"\n" +
			"      4) 1) \"4-0\"\n         2) 1) \"f\"\n            2) \"v\"\n      5) 1) \"5-0\"\n         2) 1) \"f\"\n            2) \"v\"\n"},
		{"XACK s g 1-0 2-0 4-0", "(integer) 3\n"},
		{"XTRIM s MINID 6-0 ACKED", "(integer) 3\n"},
		{"XRANGE s - +", "1) 1) \"3-0\"\n   2) 1) \"f\"\n      2) \"v\"\n2) 1) \"5-0\"\n   2) 1) \"f\"\n      2) \"v\"\n"},
		{"XTRIM s MAXLEN 0 DELREF", "(integer) 2\n"},
		{"XPENDING s g", "1) (integer) 0\n2) (nil)\n3) (nil)\n4) (nil)\n"},
		{"XGROUP CREATE s late $", "OK\n"},
		{"XGROUP CREATE s none 0", "OK\n"},
		// A group that read nothing keeps every entry under ACKED.
		{"XADD s MAXLEN = 1 ACKED 6-0 f v", "\"6-0\"\n"},
		{"XADD s ACKED MAXLEN 1 7-0 f v", "\"7-0\"\n"},
		{"XLEN s", "(integer) 2\n"},
		{"XTRIM s MAXLEN 0 ACKED DELREF", "(error) ERR syntax error\n"},
		{"XADD s ACKED DELREF 8-0 f v", "(error) ERR Invalid stream ID specified as stream command argument\n"},
		{"XTRIM s MAXLEN ~ 1 KEEPREF", "(integer) 0\n"},
		// DELREF goes entry by entry even with ~.
		{"XTRIM s MAXLEN ~ 1 DELREF", "(integer) 1\n"},
		{"XTRIM s MAXLEN ~ 0 LIMIT 1 DELREF", "(integer) 1\n"},
		{"XLEN s", "(integer) 0\n"},
	})
}

// note section 4.
func TestXReadGroupClaimNoteExample(t *testing.T) {
	h, advance := newClockHandler(t)
	runSteps(t, h, []step{
		{"XADD s 1-0 f v1", "\"1-0\"\n"},
		{"XADD s 2-0 f v2", "\"2-0\"\n"},
		{"XGROUP CREATE s g 0", "OK\n"},
		{"XREADGROUP GROUP g c1 COUNT 1 STREAMS s >", "1) 1) \"s\"\n   2) 1) 1) \"1-0\"\n         2) 1) \"f\"\n            2) \"v1\"\n"},
	})
	advance(104 * time.Millisecond)
	runSteps(t, h, []step{
		{"XREADGROUP GROUP g c2 CLAIM 50 STREAMS s >", "1) 1) \"s\"\n   2) 1) 1) \"1-0\"\n         2) 1) \"f\"\n            2) \"v1\"\n" +
			"         3) (integer) 104\n         4) (integer) 1\n" +
			"      2) 1) \"2-0\"\n         2) 1) \"f\"\n            2) \"v2\"\n         3) (integer) 0\n         4) (integer) 0\n"},
		{"XREADGROUP GROUP g c2 CLAIM 50 STREAMS s >", "(nil)\n"},
		{"XPENDING s g - + 10", "1) 1) \"1-0\"\n   2) \"c2\"\n   3) (integer) 0\n   4) (integer) 2\n" +
			"2) 1) \"2-0\"\n   2) \"c2\"\n   3) (integer) 0\n   4) (integer) 1\n"},
	})
	advance(10 * time.Millisecond)
	runSteps(t, h, []step{
		{"XREADGROUP GROUP g c3 CLAIM 0 COUNT 1 STREAMS s >", "1) 1) \"s\"\n   2) 1) 1) \"1-0\"\n         2) 1) \"f\"\n            2) \"v1\"\n" +
			"         3) (integer) 10\n         4) (integer) 2\n"},
		// An explicit ID ignores CLAIM.
		{"XREADGROUP GROUP g c3 CLAIM 0 STREAMS s 0", "1) 1) \"s\"\n   2) 1) 1) \"1-0\"\n         2) 1) \"f\"\n            2) \"v1\"\n"},
		{"XREADGROUP GROUP g c3 CLAIM 9223372036854775807 STREAMS s >", "(nil)\n"},
	})
}

func TestXReadGroupClaimErrors(t *testing.T) {
	h := newHandler(t)
	runSteps(t, h, []step{
		{"XREADGROUP GROUP g c CLAIM x STREAMS s >", "(error) ERR min-idle-time is not an integer or out of range\n"},
		{"XREADGROUP GROUP g c CLAIM -0 STREAMS s >", "(error) ERR min-idle-time is not an integer or out of range\n"},
		{"XREADGROUP GROUP g c CLAIM +10 STREAMS s >", "(error) ERR min-idle-time is not an integer or out of range\n"},
		{"XREADGROUP GROUP g c CLAIM 5.5 STREAMS s >", "(error) ERR min-idle-time is not an integer or out of range\n"},
		{"XREADGROUP GROUP g c CLAIM -1 STREAMS s >", "(error) ERR min-idle-time must be a positive integer\n"},
		{"XREAD CLAIM 10 STREAMS s 0", "(error) ERR The CLAIM option is only supported by XREADGROUP. You called XREAD instead.\n"},
	})
}

// note section 5.
func TestXNackNoteExample(t *testing.T) {
	h, advance := newClockHandler(t)
	runSteps(t, h, []step{
		{"XADD s 1-0 f v", "\"1-0\"\n"},
		{"XADD s 2-0 f v", "\"2-0\"\n"},
		{"XGROUP CREATE s g 0", "OK\n"},
		{"XREADGROUP GROUP g c1 STREAMS s >", "1) 1) \"s\"\n   2) 1) 1) \"1-0\"\n         2) 1) \"f\"\n            2) \"v\"\n" +
			"      2) 1) \"2-0\"\n         2) 1) \"f\"\n            2) \"v\"\n"},
	})
	advance(15 * time.Millisecond)
	runSteps(t, h, []step{
		{"XNACK s g FAIL IDS 2 1-0 9-0", "(integer) 1\n"},
		{"XPENDING s g - + 10", "1) 1) \"1-0\"\n   2) \"\"\n   3) (integer) -1\n   4) (integer) 1\n" +
			"2) 1) \"2-0\"\n   2) \"c1\"\n   3) (integer) 15\n   4) (integer) 1\n"},
		// Summary: counted, under no consumer; per-consumer views omit it.
		{"XPENDING s g", "1) (integer) 2\n2) \"1-0\"\n3) \"2-0\"\n4) 1) 1) \"c1\"\n      2) \"1\"\n"},
		{"XPENDING s g IDLE 1000000 - + 10", "1) 1) \"1-0\"\n   2) \"\"\n   3) (integer) -1\n   4) (integer) 1\n"},
		{"XPENDING s g - + 10 c1", "1) 1) \"2-0\"\n   2) \"c1\"\n   3) (integer) 15\n   4) (integer) 1\n"},
		{"XREADGROUP GROUP g c1 STREAMS s 0", "1) 1) \"s\"\n   2) 1) 1) \"2-0\"\n         2) 1) \"f\"\n            2) \"v\"\n"},
		{"XREADGROUP GROUP g c1 STREAMS s >", "(nil)\n"},
	})
}

func TestXNackCountsAndOrder(t *testing.T) {
	h, _ := newClockHandler(t)
	runSteps(t, h, []step{
		{"XADD s 1-0 f v", "\"1-0\"\n"},
		{"XADD s 2-0 f v", "\"2-0\"\n"},
		{"XADD s 3-0 f v", "\"3-0\"\n"},
		{"XADD s 4-0 f v", "\"4-0\"\n"},
		{"XGROUP CREATE s g 0", "OK\n"},
		{"XREADGROUP GROUP g c COUNT 3 STREAMS s >", "1) 1) \"s\"\n   2) 1) 1) \"1-0\"\n         2) 1) \"f\"\n            2) \"v\"\n" +
			"      2) 1) \"2-0\"\n         2) 1) \"f\"\n            2) \"v\"\n      3) 1) \"3-0\"\n         2) 1) \"f\"\n            2) \"v\"\n"},
		{"XNACK s g SILENT IDS 1 1-0", "(integer) 1\n"},
		{"XNACK s g silent IDS 1 1-0", "(integer) 1\n"}, // floor 0, and to the tail again
		{"XNACK s g FATAL IDS 1 2-0", "(integer) 1\n"},
		{"XNACK s g FAIL IDS 1 3-0 RETRYCOUNT 7", "(integer) 1\n"},
		{"XNACK s g FAIL IDS 1 1-0", "(integer) 1\n"}, // re-NACK: 1-0 now last
		{"XNACK s g FAIL IDS 1 4-0", "(integer) 0\n"},
		{"XNACK s g FATAL IDS 2 4-0 9-0 FORCE", "(integer) 1\n"},
		{"XPENDING s g - + 10", "1) 1) \"1-0\"\n   2) \"\"\n   3) (integer) -1\n   4) (integer) 0\n" +
			"2) 1) \"2-0\"\n   2) \"\"\n   3) (integer) -1\n   4) (integer) 9223372036854775807\n" +
			"3) 1) \"3-0\"\n   2) \"\"\n   3) (integer) -1\n   4) (integer) 7\n" +
			"4) 1) \"4-0\"\n   2) \"\"\n   3) (integer) -1\n   4) (integer) 9223372036854775807\n"},
		{"XINFO CONSUMERS s g", "1) 1) \"name\"\n   2) \"c\"\n   3) \"pending\"\n   4) (integer) 0\n   5) \"idle\"\n   6) (integer) 0\n"},
		// CLAIM serves the NACK zone in NACK order, whatever min-idle-time;
		// the count goes up by one and stops at LLONG_MAX.
		{"XREADGROUP GROUP g d CLAIM 9223372036854775807 STREAMS s >", "1) 1) \"s\"\n" +
			"   2) 1) 1) \"2-0\"\n         2) 1) \"f\"\n            2) \"v\"\n         3) (integer) 1700000000000\n         4) (integer) 9223372036854775807\n" +
			"      2) 1) \"3-0\"\n         2) 1) \"f\"\n            2) \"v\"\n         3) (integer) 1700000000000\n         4) (integer) 7\n" +
			"      3) 1) \"1-0\"\n         2) 1) \"f\"\n            2) \"v\"\n         3) (integer) 1700000000000\n         4) (integer) 0\n" +
			"      4) 1) \"4-0\"\n         2) 1) \"f\"\n            2) \"v\"\n         3) (integer) 1700000000000\n         4) (integer) 9223372036854775807\n" +
			// 4-0 was never delivered to the group: it comes again as new,
			// its count reset to 1 (Redis 8.4, after XGROUP SETID backwards).
			"      5) 1) \"4-0\"\n         2) 1) \"f\"\n            2) \"v\"\n         3) (integer) 0\n         4) (integer) 0\n"},
		{"XPENDING s g - + 1", "1) 1) \"1-0\"\n   2) \"d\"\n   3) (integer) 0\n   4) (integer) 1\n"},
	})
}

func TestXNackRedelivery(t *testing.T) {
	h, _ := newClockHandler(t)
	runSteps(t, h, []step{
		{"XADD s 1-0 f v", "\"1-0\"\n"},
		{"XADD s 2-0 f v", "\"2-0\"\n"},
		{"XGROUP CREATE s g 0", "OK\n"},
		{"XREADGROUP GROUP g c STREAMS s >", "1) 1) \"s\"\n   2) 1) 1) \"1-0\"\n         2) 1) \"f\"\n            2) \"v\"\n" +
			"      2) 1) \"2-0\"\n         2) 1) \"f\"\n            2) \"v\"\n"},
		{"XNACK s g FAIL IDS 2 1-0 2-0", "(integer) 2\n"},
		{"XINFO STREAM s FULL", " 1) \"length\"\n 2) (integer) 2\n 3) \"radix-tree-keys\"\n 4) (integer) 1\n 5) \"radix-tree-nodes\"\n 6) (integer) 2\n" +
			" 7) \"last-generated-id\"\n 8) \"2-0\"\n 9) \"max-deleted-entry-id\"\n10) \"0-0\"\n11) \"entries-added\"\n12) (integer) 2\n" +
			"13) \"recorded-first-entry-id\"\n14) \"1-0\"\n15) \"entries\"\n16) 1) 1) \"1-0\"\n       2) 1) \"f\"\n          2) \"v\"\n" +
			"    2) 1) \"2-0\"\n       2) 1) \"f\"\n          2) \"v\"\n17) \"groups\"\n18) 1)  1) \"name\"\n        2) \"g\"\n" +
			"        3) \"last-delivered-id\"\n        4) \"2-0\"\n        5) \"entries-read\"\n        6) (integer) 2\n" +
			"        7) \"lag\"\n        8) (integer) 0\n        9) \"pel-count\"\n       10) (integer) 2\n" +
			"       11) \"nacked-count\"\n       12) (integer) 2\n       13) \"pending\"\n" +
			"       14) 1) 1) \"1-0\"\n              2) \"\"\n              3) (integer) 0\n              4) (integer) 1\n" +
			"           2) 1) \"2-0\"\n              2) \"\"\n              3) (integer) 0\n              4) (integer) 1\n" +
			"       15) \"consumers\"\n       16) 1) 1) \"name\"\n              2) \"c\"\n              3) \"seen-time\"\n" +
			"              4) (integer) 1700000000000\n              5) \"pel-count\"\n              6) (integer) 0\n" +
			"              7) \"pending\"\n              8) (empty array)\n"},
		{"XCLAIM s g d 999999999 2-0 JUSTID", "1) \"2-0\"\n"},
		{"XAUTOCLAIM s g e 999999999 0", "1) \"0-0\"\n2) 1) 1) \"1-0\"\n      2) 1) \"f\"\n         2) \"v\"\n3) (empty array)\n"},
		// FAIL kept the counts at 1; XAUTOCLAIM counts a delivery, JUSTID does not.
		{"XPENDING s g - + 10", "1) 1) \"1-0\"\n   2) \"e\"\n   3) (integer) 0\n   4) (integer) 2\n" +
			"2) 1) \"2-0\"\n   2) \"d\"\n   3) (integer) 0\n   4) (integer) 1\n"},
		{"XNACK s g FAIL IDS 1 1-0", "(integer) 1\n"},
		{"XGROUP DELCONSUMER s g e", "(integer) 0\n"},
		{"XACK s g 1-0", "(integer) 1\n"},
		{"XPENDING s g", "1) (integer) 1\n2) \"2-0\"\n3) \"2-0\"\n4) 1) 1) \"d\"\n      2) \"1\"\n"},
	})
}

func TestXNackErrors(t *testing.T) {
	h := newHandler(t)
	runSteps(t, h, []step{
		{"XNACK s g BAD IDS 1 1-0", "(error) NOGROUP No such key 's' or consumer group 'g'\n"},
		{"XADD s 1-0 f v", "\"1-0\"\n"},
		{"XNACK s g FAIL IDS 1 1-0", "(error) NOGROUP No such key 's' or consumer group 'g'\n"},
		{"XGROUP CREATE s g 0", "OK\n"},
		{"XNACK s g BAD IDS 1 1-0", "(error) ERR mode must be SILENT, FAIL, or FATAL\n"},
		{"XNACK s g FAIL FATAL IDS 1 1-0", "(error) ERR Unrecognized XNACK option 'FATAL'\n"},
		{"XNACK s g FAIL IDS 1 1-0 BOGUS", "(error) ERR Unrecognized XNACK option 'BOGUS'\n"},
		{"XNACK s g FAIL IDS 1 1-0 2-0", "(error) ERR Unrecognized XNACK option '2-0'\n"},
		{"XNACK s g FAIL IDS 1 1-0 RETRYCOUNT", "(error) ERR Unrecognized XNACK option 'RETRYCOUNT'\n"},
		{"XNACK s g FAIL IDS 0 1-0", "(error) ERR numids must be a positive integer\n"},
		{"XNACK s g FAIL IDS 3 1-0 2-0", "(error) ERR number of IDs doesn't match numids\n"},
		{"XNACK s g FAIL FORCE 1-0 2-0", "(error) ERR Unrecognized XNACK option '1-0'\n"},
		{"XNACK s g FAIL FORCE FORCE FORCE", "(error) ERR syntax error, expected IDS keyword\n"},
		{"XNACK s g FAIL IDS 1 1-0 RETRYCOUNT -1", "(error) ERR Invalid RETRYCOUNT value, must be >= 0\n"},
		{"XNACK s g FAIL IDS 1 1-0 RETRYCOUNT x", "(error) ERR value is not an integer or out of range\n"},
		{"XNACK s g FAIL IDS 1 x", "(error) ERR Invalid stream ID specified as stream command argument\n"},
		{"XNACK s g FAIL IDS 1", "(error) ERR wrong number of arguments for 'xnack' command\n"},
		{"XNACK s g FAIL RETRYCOUNT 3 FORCE IDS 1 1-0", "(integer) 1\n"},
	})
}
