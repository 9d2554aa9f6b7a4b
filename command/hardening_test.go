package command_test

import (
	"context"
	"testing"
	"testing/synctest"

	"github.com/brookmq/brook/command"
)

// TestXAckChecksGroupBeforeIDs: Redis 7.0.15 answers XACK on a missing key
// or group with 0 before it parses the IDs, so a bad ID is an error only
// when the group exists, and then nothing is acknowledged.
func TestXAckChecksGroupBeforeIDs(t *testing.T) {
	const invalid = "(error) ERR Invalid stream ID specified as stream command argument\n"
	runSteps(t, newHandler(t), []step{
		{"XACK nokey g 1-1", "(integer) 0\n"},
		{"XACK nokey g bad", "(integer) 0\n"},
		{"XACK nokey g 2-2 bad", "(integer) 0\n"},
		{"XADD k 1-1 f v", "\"1-1\"\n"},
		{"XACK k nogroup 2-2 bad", "(integer) 0\n"},
		{"XACK k nogroup bad", "(integer) 0\n"},
		{"XGROUP CREATE k g 0", "OK\n"},
		{"XACK k g 2-2 bad", invalid},
		{"XREADGROUP GROUP g c STREAMS k >", "1) 1) \"k\"\n   2) 1) 1) \"1-1\"\n         2) 1) \"f\"\n            2) \"v\"\n"},
		{"XACK k g 1-1 bad", invalid},
		{"XPENDING k g", "1) (integer) 1\n2) \"1-1\"\n3) \"1-1\"\n4) 1) 1) \"c\"\n      2) \"1\"\n"},
		{"XACK k g \" 1-1\"", "(integer) 1\n"},
	})
}

// TestXReadGroupMaxIDIsNew: Redis 7.0 stores ">" as the maximum ID, so an
// explicit 18446744073709551615-18446744073709551615 (however written)
// reads new entries, and blocks, exactly like ">".
func TestXReadGroupMaxIDIsNew(t *testing.T) {
	const max = "18446744073709551615-18446744073709551615"
	runSteps(t, newHandler(t), []step{
		{"XADD k 1-1 f v", "\"1-1\"\n"},
		{"XGROUP CREATE k g 0", "OK\n"},
		{"XREADGROUP GROUP g c STREAMS k " + max, "1) 1) \"k\"\n   2) 1) 1) \"1-1\"\n         2) 1) \"f\"\n            2) \"v\"\n"},
		{"XREADGROUP GROUP g c STREAMS k " + max, "(nil)\n"},
		{"XREADGROUP GROUP g c BLOCK 1 STREAMS k " + max, "(nil)\n"},
		{"XREADGROUP GROUP g c STREAMS k 18446744073709551615-18446744073709551614", "1) 1) \"k\"\n   2) (empty array)\n"},
		{"XADD k 2-1 f v", "\"2-1\"\n"},
		{"XREADGROUP GROUP g c2 STREAMS k \" 18446744073709551615--01\"", "1) 1) \"k\"\n   2) 1) 1) \"2-1\"\n         2) 1) \"f\"\n            2) \"v\"\n"},
		{"XPENDING k g", "1) (integer) 2\n2) \"1-1\"\n3) \"2-1\"\n4) 1) 1) \"c\"\n      2) \"1\"\n   2) 1) \"c2\"\n      2) \"1\"\n"},
	})
	synctest.Test(t, func(t *testing.T) {
		h := newHandler(t)
		do(t, h, "XGROUP CREATE k g $ MKSTREAM")
		done := make(chan string, 1)
		go func() {
			done <- h.Do(context.Background(), []string{"XREADGROUP", "GROUP", "g", "c", "BLOCK", "0", "STREAMS", "k", max}).String()
		}()
		synctest.Wait()
		select {
		case got := <-done:
			t.Fatalf("XREADGROUP BLOCK 0 with the maximum ID returned before any XADD: %q", got)
		default:
		}
		do(t, h, "XADD k 3-1 f v")
		if got, want := <-done, "1) 1) \"k\"\n   2) 1) 1) \"3-1\"\n         2) 1) \"f\"\n            2) \"v\"\n"; got != want {
			t.Errorf("blocked XREADGROUP = %q, want %q", got, want)
		}
	})
}

// TestPubSubChannelsPattern: the argument of PUBSUB CHANNELS is always a
// glob, so "" lists only the channel "" and "*" every channel but ""; with
// no argument every channel is listed (observed with Redis 7.0.15).
func TestPubSubChannelsPattern(t *testing.T) {
	h := newHandler(t)
	s := h.NewSession()
	defer s.Close()
	for _, line := range []string{`SUBSCRIBE a b "" x.y`} {
		sessionDo(t, s, line)
	}
	runSteps(t, h, []step{
		{`PUBSUB CHANNELS ""`, "1) \"\"\n"},
		{`PUBSUB CHANNELS *`, "1) \"a\"\n2) \"b\"\n3) \"x.y\"\n"},
		{`PUBSUB CHANNELS`, "1) \"\"\n2) \"a\"\n3) \"b\"\n4) \"x.y\"\n"},
		{`PUBSUB CHANNELS x*`, "1) \"x.y\"\n"},
		{`PUBSUB CHANNELS "" extra`, "(error) ERR unknown subcommand or wrong number of arguments for 'CHANNELS'. Try PUBSUB HELP.\n"},
	})
	sessionDo(t, s, `UNSUBSCRIBE ""`)
	runSteps(t, h, []step{
		{`PUBSUB CHANNELS ""`, "(empty array)\n"},
		{`PUBSUB CHANNELS`, "1) \"a\"\n2) \"b\"\n3) \"x.y\"\n"},
	})
}

// TestNoBlockForever: under Handler.NoBlockForever a read that would wait
// for ever replies BlockForeverMessage at once; reads that find data, that
// never block, or that have a timeout behave as before.
func TestNoBlockForever(t *testing.T) {
	h := newHandler(t)
	h.NoBlockForever = true
	forever := "(error) " + command.BlockForeverMessage + "\n"
	entry := "1) 1) \"s\"\n   2) 1) 1) \"1-0\"\n         2) 1) \"f\"\n            2) \"v\"\n"
	runSteps(t, h, []step{
		{"XREAD BLOCK 0 STREAMS s $", forever},
		{"XREAD BLOCK 0 STREAMS s 0", forever},
		{"XREAD BLOCK 99999999999999999 STREAMS s $", forever},
		{"XADD s 1-0 f v", "\"1-0\"\n"},
		{"XREAD BLOCK 0 STREAMS s 0", entry},
		{"XREAD BLOCK 0 STREAMS s +", entry},
		{"XREAD BLOCK 0 STREAMS s $", forever},
		{"XREAD BLOCK 1 STREAMS s $", "(nil)\n"},
		{"XREAD BLOCK 0 STREAMS s", "(error) ERR Unbalanced XREAD list of streams: for each stream key an ID or '$' must be specified.\n"},
		{"XGROUP CREATE s g $", "OK\n"},
		{"XREADGROUP GROUP g c BLOCK 0 STREAMS s >", forever},
		{"XREADGROUP GROUP g c BLOCK 0 STREAMS s 0", "1) 1) \"s\"\n   2) (empty array)\n"},
		{"XREADGROUP GROUP nog c BLOCK 0 STREAMS s >", "(error) NOGROUP No such key 's' or consumer group 'nog' in XREADGROUP with GROUP option\n"},
		{"XREADGROUP GROUP g c BLOCK 1 STREAMS s >", "(nil)\n"},
		{"XGROUP SETID s g 0", "OK\n"},
		{"XREADGROUP GROUP g c BLOCK 0 STREAMS s >", entry},
	})
}

// TestMaxArgLen: an argument over the limit (Redis's proto-max-bulk-len,
// here made small) is refused with Redis's protocol error before the
// command is looked at, through Handler.Do and Session.Do alike; an
// argument of exactly the limit is fine (observed with Redis 7.0.15 and
// proto-max-bulk-len 1mb).
func TestMaxArgLen(t *testing.T) {
	h := newHandler(t)
	h.MaxArgLen = 10
	const refused = "(error) ERR Protocol error: invalid bulk length\n"
	runSteps(t, h, []step{
		{"ECHO 0123456789", "\"0123456789\"\n"},
		{"ECHO 01234567890", refused},
		{"ECHO 0123456789 y", "(error) ERR wrong number of arguments for 'echo' command\n"},
		{"NOSUCHCOMMAND 01234567890", refused},
		{"XADD s 1-0 f 01234567890", refused},
		{"XLEN s", "(integer) 0\n"},
	})
	s := h.NewSession()
	defer s.Close()
	if got := sessionDo(t, s, "SUBSCRIBE 01234567890"); got != refused {
		t.Errorf("SUBSCRIBE with a long channel: %q", got)
	}
	if got := (&command.Handler{B: h.B}).Do(context.Background(), []string{"ECHO", "01234567890"}).String(); got != "\"01234567890\"\n" {
		t.Errorf("default limit: %q", got)
	}
}
