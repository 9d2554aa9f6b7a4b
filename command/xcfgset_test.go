package command_test

import (
	"context"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/brookmq/brook/broker"
	"github.com/brookmq/brook/command"
)

// The expected replies below come from the Redis 8.6 documentation and
// tests as /work/shared/notes/redis8-streams.md §6 gathers them: there is no
// Redis 8 binary here to record them from, so unlike testdata/conformance
// they were not printed by a live server.

// clockHandler is newHandler on a broker whose clock stands at ms and
// moves only by the returned function.
func clockHandler(t *testing.T, ms int64) (*command.Handler, func(time.Duration)) {
	t.Helper()
	var now atomic.Int64 // the broker's sweeper reads the clock too
	now.Store(ms)
	clock := func() time.Time { return time.UnixMilli(now.Load()) }
	b, err := broker.New(broker.Options{Clock: clock})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	return &command.Handler{B: b, Clock: clock}, func(d time.Duration) { now.Add(d.Milliseconds()) }
}

func TestXAddIdmpNoteExample(t *testing.T) {
	h, advance := clockHandler(t, 1700000000000)
	runSteps(t, h, []step{
		{"XADD s IDMP p1 ord-7 * amt 100", "\"1700000000000-0\"\n"},
	})
	advance(time.Millisecond)
	runSteps(t, h, []step{
		{"XADD s IDMP p1 ord-7 * amt 999", "\"1700000000000-0\"\n"},
		{"XLEN s", "(integer) 1\n"},
	})
	info := do(t, h, "XINFO STREAM s")
	want := strings.Join([]string{
		`13) "recorded-first-entry-id"`,
		`14) "1700000000000-0"`,
		`15) "idmp-duration"`,
		`16) (integer) 100`,
		`17) "idmp-maxsize"`,
		`18) (integer) 100`,
		`19) "pids-tracked"`,
		`20) (integer) 1`,
		`21) "iids-tracked"`,
		`22) (integer) 1`,
		`23) "iids-added"`,
		`24) (integer) 1`,
		`25) "iids-duplicates"`,
		`26) (integer) 1`,
		`27) "groups"`,
	}, "\n")
	if !strings.Contains(info, want) {
		t.Fatalf("XINFO STREAM:\n%s\nwant the lines\n%s", info, want)
	}
	full := do(t, h, "XINFO STREAM s FULL")
	if !strings.Contains(full, "25) \"iids-duplicates\"\n26) (integer) 1\n27) \"entries\"") {
		t.Fatalf("XINFO STREAM FULL:\n%s", full)
	}
}

func TestXAddIdmp(t *testing.T) {
	h, advance := clockHandler(t, 1000)
	runSteps(t, h, []step{
		{"XADD s MAXLEN 1 IDMP p a * f 1", "\"1000-0\"\n"},
		{"XADD s * f 2", "\"1000-1\"\n"},
		// A duplicate with MAXLEN: the first ID, nothing appended or trimmed.
		{"XADD s IDMP p a MAXLEN 0 * f 3", "\"1000-0\"\n"},
		{"XLEN s", "(integer) 2\n"},
		// After XDEL the iid still answers.
		{"XADD s IDMP p b * f 4", "\"1000-2\"\n"},
		{"XDEL s 1000-2", "(integer) 1\n"},
		{"XADD s IDMP p b * f 5", "\"1000-2\"\n"},
		// Another producer, same iid: a new entry.
		{"XADD s IDMP q b * f 5", "\"1000-3\"\n"},
		// IDMPAUTO: the same pairs in another order are a duplicate.
		{"XADD s IDMPAUTO p * a 1 b 2", "\"1000-4\"\n"},
		{"XADD s IDMPAUTO p * b 2 a 1", "\"1000-4\"\n"},
		{"XADD s IDMPAUTO p * b 1 a 2", "\"1000-5\"\n"},
		{"XADD missing NOMKSTREAM IDMP p a * f 1", "(nil)\n"},
	})
	info := do(t, h, "XINFO STREAM s")
	for _, kv := range []string{"pids-tracked\"\n20) (integer) 2", "iids-tracked\"\n22) (integer) 5",
		"iids-added\"\n24) (integer) 5", "iids-duplicates\"\n26) (integer) 3"} {
		if !strings.Contains(info, kv) {
			t.Errorf("XINFO STREAM lacks %q:\n%s", kv, info)
		}
	}
	// Eviction beyond IDMP-MAXSIZE, oldest first; expiry is the sweeper's
	// (see the broker tests).
	advance(time.Second)
	runSteps(t, h, []step{
		{"XCFGSET s IDMP-MAXSIZE 2", "OK\n"},
		{"XADD s IDMP p 1 * f v", "\"2000-0\"\n"},
		{"XADD s IDMP p 2 * f v", "\"2000-1\"\n"},
		{"XADD s IDMP p 3 * f v", "\"2000-2\"\n"},
		{"XADD s IDMP p 1 * f v", "\"2000-3\"\n"},
		{"XADD s IDMP p 3 * f v", "\"2000-2\"\n"},
	})
}

func TestXAddIdmpErrors(t *testing.T) {
	h := newHandler(t)
	runSteps(t, h, []step{
		{"XADD s IDMP p a IDMP p b * f v", "(error) ERR syntax error, IDMP/IDMPAUTO specified multiple times\n"},
		{"XADD s IDMP p a IDMPAUTO p * f v", "(error) ERR syntax error, IDMP/IDMPAUTO specified multiple times\n"},
		{"XADD s IDMPAUTO p IDMP p a * f v", "(error) ERR syntax error, IDMP/IDMPAUTO specified multiple times\n"},
		{"XADD s IDMP p a 5-0 f v", "(error) ERR syntax error, IDMP/IDMPAUTO can be used only with auto-generated IDs\n"},
		{"XADD s IDMPAUTO p 5-* f v", "(error) ERR syntax error, IDMP/IDMPAUTO can be used only with auto-generated IDs\n"},
		{`XADD s IDMP "" a * f v`, "(error) ERR syntax error, IDMP requires a non-empty producer ID\n"},
		{`XADD s IDMP p "" * f v`, "(error) ERR syntax error, IDMP requires a non-empty idempotent ID\n"},
		{`XADD s IDMPAUTO "" * f v`, "(error) ERR syntax error, IDMPAUTO requires a non-empty producer ID\n"},
		{"XADD s IDMP p1 * f v", "(error) ERR Invalid stream ID specified as stream command argument\n"},
		{"EXISTS s", "(integer) 0\n"},
	})
}

func TestXCfgSet(t *testing.T) {
	h := newHandler(t)
	runSteps(t, h, []step{
		{"XCFGSET s IDMP-DURATION 5", "(error) ERR no such key\n"},
		{"XCFGSET s FOO", "(error) ERR no such key\n"},
		{"XADD s 1-0 f v", "\"1-0\"\n"},
		{"XCFGSET s", "(error) ERR At least one parameter must be specified\n"},
		{"XCFGSET s FOO 1", "(error) ERR syntax error\n"},
		{"XCFGSET s IDMP-DURATION", "(error) ERR syntax error\n"},
		{"XCFGSET s IDMP-DURATION 5 IDMP-DURATION 6", "(error) ERR IDMP-DURATION specified multiple times\n"},
		{"XCFGSET s IDMP-MAXSIZE 5 idmp-maxsize 6", "(error) ERR IDMP-MAXSIZE specified multiple times\n"},
		{"XCFGSET s IDMP-DURATION x", "(error) ERR value is not an integer or out of range\n"},
		{"XCFGSET s IDMP-DURATION 0", "(error) ERR IDMP-DURATION must be between 1 and 86400 seconds\n"},
		{"XCFGSET s IDMP-DURATION 86401", "(error) ERR IDMP-DURATION must be between 1 and 86400 seconds\n"},
		{"XCFGSET s IDMP-MAXSIZE 0", "(error) ERR IDMP-MAXSIZE must be between 1 and 10000 entries\n"},
		{"XCFGSET s IDMP-MAXSIZE 10001", "(error) ERR IDMP-MAXSIZE must be between 1 and 10000 entries\n"},
		// Left to right: the first bad argument decides.
		{"XCFGSET s IDMP-MAXSIZE 0 FOO", "(error) ERR IDMP-MAXSIZE must be between 1 and 10000 entries\n"},
		{"XCFGSET s FOO 1 IDMP-MAXSIZE 0", "(error) ERR syntax error\n"},
		{"XCFGSET s RETENTION-MAXLEN -1", "(error) ERR RETENTION-MAXLEN must be >= 0\n"},
		{"XCFGSET s RETENTION-MAXBYTES -1", "(error) ERR RETENTION-MAXBYTES must be >= 0\n"},
		{"XCFGSET s IDMP-DURATION 86400 IDMP-MAXSIZE 10000", "OK\n"},
		{"XCFGSET s idmp-duration 1", "OK\n"},
		{"XADD s 2-0 f v", "\"2-0\"\n"},
		{"XADD s 3-0 f v", "\"3-0\"\n"},
		{"XCFGSET s RETENTION-MAXLEN 2", "OK\n"},
		{"XLEN s", "(integer) 2\n"},
		{"XADD s 4-0 f v", "\"4-0\"\n"},
		{"XRANGE s - +", "1) 1) \"3-0\"\n   2) 1) \"f\"\n      2) \"v\"\n2) 1) \"4-0\"\n   2) 1) \"f\"\n      2) \"v\"\n"},
		{"XCFGSET s RETENTION-MAXLEN 0 RETENTION-MAXBYTES 2", "OK\n"},
		{"XLEN s", "(integer) 1\n"},
	})
	info := do(t, h, "XINFO STREAM s")
	if !strings.Contains(info, "\"idmp-duration\"\n16) (integer) 1\n17) \"idmp-maxsize\"\n18) (integer) 10000") {
		t.Fatalf("XINFO STREAM:\n%s", info)
	}
}

// TestXCfgSetRetentionAcked: with RETENTION-ACKED 1 an entry goes once both
// groups acknowledged it, oldest first; one still pending or not yet read
// by a group holds back the rest; without groups nothing goes.
func TestXCfgSetRetentionAcked(t *testing.T) {
	h := newHandler(t)
	runSteps(t, h, []step{
		{"XCFGSET s RETENTION-ACKED 1", "(error) ERR no such key\n"},
		{"XADD s 1-0 f v", "\"1-0\"\n"},
		{"XCFGSET s RETENTION-ACKED 2", "(error) ERR RETENTION-ACKED must be 0 or 1\n"},
		{"XCFGSET s RETENTION-ACKED -1", "(error) ERR RETENTION-ACKED must be 0 or 1\n"},
		{"XCFGSET s RETENTION-ACKED yes", "(error) ERR value is not an integer or out of range\n"},
		{"XCFGSET s RETENTION-ACKED 1 retention-acked 0", "(error) ERR RETENTION-ACKED specified multiple times\n"},
		{"XCFGSET s RETENTION-ACKED", "(error) ERR syntax error\n"},
		{"XCFGSET s RETENTION-ACKED 1", "OK\n"},
		{"XADD s 2-0 f v", "\"2-0\"\n"},
		{"XLEN s", "(integer) 2\n"}, // no group: kept
		{"XADD s 3-0 f v", "\"3-0\"\n"},
		{"XGROUP CREATE s g1 0", "OK\n"},
		{"XGROUP CREATE s g2 0", "OK\n"},
		{"XREADGROUP GROUP g1 c STREAMS s >", "1) 1) \"s\"\n   2) 1) 1) \"1-0\"\n         2) 1) \"f\"\n            2) \"v\"\n      2) 1) \"2-0\"\n         2) 1) \"f\"\n            2) \"v\"\n      3) 1) \"3-0\"\n         2) 1) \"f\"\n            2) \"v\"\n"},
		{"XREADGROUP GROUP g2 c COUNT 2 STREAMS s >", "1) 1) \"s\"\n   2) 1) 1) \"1-0\"\n         2) 1) \"f\"\n            2) \"v\"\n      2) 1) \"2-0\"\n         2) 1) \"f\"\n            2) \"v\"\n"},
		{"XACK s g1 1-0 2-0 3-0", "(integer) 3\n"},
		{"XLEN s", "(integer) 3\n"},
		{"XACK s g2 2-0", "(integer) 1\n"},
		{"XLEN s", "(integer) 3\n"}, // 1-0 pending in g2
		{"XACK s g2 1-0", "(integer) 1\n"},
		{"XRANGE s - +", "1) 1) \"3-0\"\n   2) 1) \"f\"\n      2) \"v\"\n"}, // not read by g2
		{"XGROUP DESTROY s g2", "(integer) 1\n"},
		{"XLEN s", "(integer) 0\n"},
		{"XCFGSET s RETENTION-ACKED 0", "OK\n"},
		{"XADD s 4-0 f v", "\"4-0\"\n"},
		{"XREADGROUP GROUP g1 c NOACK STREAMS s >", "1) 1) \"s\"\n   2) 1) 1) \"4-0\"\n         2) 1) \"f\"\n            2) \"v\"\n"},
		{"XLEN s", "(integer) 1\n"}, // the bound removed
	})
	r, err := h.B.StreamRetention(context.Background(), "s")
	if err != nil || r != (broker.Retention{}) {
		t.Fatalf("StreamRetention = %+v, %v", r, err)
	}
}
