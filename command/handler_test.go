package command_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/brookmq/brook/broker"
	"github.com/brookmq/brook/command"
)

// newHandler returns a handler on a fresh in-memory broker, closed at the
// end of the test.
func newHandler(t *testing.T) *command.Handler {
	t.Helper()
	b, _ := broker.New(broker.Options{})
	t.Cleanup(func() { b.Close() })
	return &command.Handler{B: b}
}

// do splits line and runs it, returning the printed reply.
func do(t *testing.T, h *command.Handler, line string) string {
	t.Helper()
	args, err := command.SplitArgs(line)
	if err != nil {
		t.Fatalf("SplitArgs(%q): %v", line, err)
	}
	return h.Do(context.Background(), args).String()
}

// script runs lines in order and checks each printed reply.
type step struct{ line, want string }

func runSteps(t *testing.T, h *command.Handler, steps []step) {
	t.Helper()
	for _, s := range steps {
		if got := do(t, h, s.line); got != s.want {
			t.Errorf("%s:\n got %q\nwant %q", s.line, got, s.want)
		}
	}
}

func TestErrorTexts(t *testing.T) {
	long := strings.Repeat("x", 200)
	tests := []struct{ name, line, want string }{
		{"unknown command", "foo a b", "(error) ERR unknown command 'foo', with args beginning with: 'a' 'b' \n"},
		{"unknown command no args", "FOO", "(error) ERR unknown command 'FOO', with args beginning with: \n"},
		{"unknown command long", "foo " + long + " b",
			"(error) ERR unknown command 'foo', with args beginning with: '" + long[:128] + "' \n"},
		{"unknown command newline", `"a\nb" "c\rd"`,
			"(error) ERR unknown command 'a b', with args beginning with: 'c d' \n"},
		{"arity", "XLEN", "(error) ERR wrong number of arguments for 'xlen' command\n"},
		{"arity subcommand", "XGROUP CREATE k", "(error) ERR wrong number of arguments for 'xgroup|create' command\n"},
		{"arity container", "XINFO", "(error) ERR wrong number of arguments for 'xinfo' command\n"},
		{"unknown subcommand", "xgroup foo", "(error) ERR unknown subcommand 'foo'. Try XGROUP HELP.\n"},
		{"unknown subcommand pubsub", "pubsub FOO", "(error) ERR unknown subcommand 'FOO'. Try PUBSUB HELP.\n"},
		{"unknown subcommand newline", `xinfo "a\nb"`, "(error) ERR unknown subcommand 'a b'. Try XINFO HELP.\n"},
		{"sub syntax", "PUBSUB CHANNELS a b",
			"(error) ERR unknown subcommand or wrong number of arguments for 'CHANNELS'. Try PUBSUB HELP.\n"},
		{"syntax", "XRANGE k - + LIMIT 2", "(error) ERR syntax error\n"},
		{"not integer", "XRANGE k - + COUNT 01", "(error) ERR value is not an integer or out of range\n"},
		{"not integer plus", "XRANGE k - + COUNT +1", "(error) ERR value is not an integer or out of range\n"},
		{"invalid id", "XDEL k 1-x", "(error) ERR Invalid stream ID specified as stream command argument\n"},
		{"invalid start", "XRANGE k (18446744073709551615-18446744073709551615 +",
			"(error) ERR invalid start ID for the interval\n"},
		{"invalid end", "XRANGE k - (0-0", "(error) ERR invalid end ID for the interval\n"},
		{"id zero", "XADD k NOMKSTREAM 0-0 f v", "(error) ERR The ID specified in XADD must be greater than 0-0\n"},
		{"timeout negative", "XREAD BLOCK -1 STREAMS k $", "(error) ERR timeout is negative\n"},
		{"timeout not integer", "XREAD BLOCK x STREAMS k $",
			"(error) ERR timeout is not an integer or out of range\n"},
		{"xread group", "XREAD GROUP g c STREAMS k 0",
			"(error) ERR The GROUP option is only supported by XREADGROUP. You called XREAD instead.\n"},
		{"missing group option", "XREADGROUP COUNT 1 STREAMS k k 0 0",
			"(error) ERR Missing GROUP option for XREADGROUP\n"},
		{"xtrim without strategy", "XTRIM k LIMIT 5 x", "(error) ERR syntax error\n"},
		{"limit without strategy", "XTRIM k LIMIT 5",
			"(error) ERR syntax error, LIMIT cannot be used without specifying a trimming strategy\n"},
		{"limit without tilde", "XTRIM k MAXLEN 5 LIMIT 5",
			"(error) ERR syntax error, LIMIT cannot be used without the special ~ option\n"},
		{"limit negative", "XADD k MAXLEN ~ 5 LIMIT -1 1-0 f v", "(error) ERR The LIMIT argument must be >= 0.\n"},
		{"no such key", "XINFO STREAM k", "(error) ERR no such key\n"},
		{"no such key options", "XINFO STREAM k FULL COUNT", "(error) ERR no such key\n"},
		{"group key", "XGROUP DESTROY k g",
			"(error) ERR The XGROUP subcommand requires the key to exist. Note that for CREATE you may want " +
				"to use the MKSTREAM option to create an empty stream automatically.\n"},
		{"xgroup key before id", "XGROUP CREATE k g bad",
			"(error) ERR The XGROUP subcommand requires the key to exist. Note that for CREATE you may want " +
				"to use the MKSTREAM option to create an empty stream automatically.\n"},
		{"xgroup mkstream bad id", "XGROUP CREATE k g bad MKSTREAM",
			"(error) ERR Invalid stream ID specified as stream command argument\n"},
		{"entriesread", "XGROUP CREATE k g 0 ENTRIESREAD -2",
			"(error) ERR value for ENTRIESREAD must be positive or -1\n"},
		{"nogroup xpending", "XPENDING k g", "(error) NOGROUP No such key 'k' or consumer group 'g'\n"},
		{"nogroup xclaim before idle", "XCLAIM k g c abc 1-0",
			"(error) NOGROUP No such key 'k' or consumer group 'g'\n"},
		{"nogroup xreadgroup", "XREADGROUP GROUP g c STREAMS k >",
			"(error) NOGROUP No such key 'k' or consumer group 'g' in XREADGROUP with GROUP option\n"},
		{"autoclaim count", "XAUTOCLAIM k g c 0 0 COUNT 0", "(error) ERR COUNT must be > 0\n"},
		{"subscribe needs session", "SUBSCRIBE a",
			"(error) ERR SUBSCRIBE needs a client session (command.Session)\n"},
	}
	h := newHandler(t)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := do(t, h, tc.line); got != tc.want {
				t.Errorf("%s:\n got %q\nwant %q", tc.line, got, tc.want)
			}
		})
	}
}

func TestEmptyCommand(t *testing.T) {
	h := newHandler(t)
	if r := h.Do(context.Background(), nil); !r.IsError() {
		t.Errorf("Do(nil) = %q, want an error", r.String())
	}
}

func TestBasicCommands(t *testing.T) {
	runSteps(t, newHandler(t), []step{
		{"ping", "PONG\n"},
		{`PING "hi there"`, "\"hi there\"\n"},
		{"PING a b", "(error) ERR wrong number of arguments for 'ping' command\n"},
		{`echo ""`, "\"\"\n"},
		{"PUBLISH ch msg", "(integer) 0\n"},
		{"PUBSUB NUMSUB a a", "1) \"a\"\n2) (integer) 0\n3) \"a\"\n4) (integer) 0\n"},
		{"pubsub numpat", "(integer) 0\n"},
		{"TYPE k", "none\n"},
		{"XADD k 1-0 f v", "\"1-0\"\n"},
		{"TYPE k", "stream\n"},
		{"EXISTS k k nope", "(integer) 2\n"},
		{"XRANGE k - + COUNT 0", "(nil)\n"},
		{"XRANGE nope - + COUNT 0", "(empty array)\n"},
		{"DEL k nope k", "(integer) 1\n"},
		{"XLEN k", "(integer) 0\n"},
	})
}

func TestHelpListsCommands(t *testing.T) {
	out := do(t, newHandler(t), "HELP")
	for _, name := range []string{"XADD", "XREADGROUP", "XAUTOCLAIM", "XINFO", "PUBLISH", "SUBSCRIBE", "PING"} {
		if !strings.Contains(out, "\""+name) && !strings.Contains(out, ") "+name) {
			t.Errorf("HELP does not list %s:\n%s", name, out)
		}
	}
	for _, line := range []string{"XGROUP HELP", "XINFO HELP", "PUBSUB HELP"} {
		if got := do(t, newHandler(t), line); !strings.Contains(got, "Prints this help.") {
			t.Errorf("%s = %q", line, got)
		}
	}
}

func TestXReadBlockTimeout(t *testing.T) {
	h := newHandler(t)
	runSteps(t, h, []step{
		{"XADD s 1-0 f v", "\"1-0\"\n"},
		{"XREAD BLOCK 1 STREAMS s $", "(nil)\n"},
		{"XREAD BLOCK 1 STREAMS s +", "1) 1) \"s\"\n   2) 1) 1) \"1-0\"\n         2) 1) \"f\"\n            2) \"v\"\n"},
	})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if got := h.Do(ctx, []string{"XREAD", "BLOCK", "0", "STREAMS", "s", "$"}).String(); got != "(error) ERR interrupted\n" {
		t.Errorf("cancelled XREAD BLOCK 0 = %q", got)
	}
}

func TestXReadBlockWakes(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := newHandler(t)
		done := make(chan string, 1)
		go func() {
			done <- h.Do(context.Background(), []string{"XREAD", "BLOCK", "0", "STREAMS", "s", "0"}).String()
		}()
		synctest.Wait() // the reader is blocked: no data, no deadline
		select {
		case got := <-done:
			t.Fatalf("XREAD BLOCK 0 returned before any XADD: %q", got)
		default:
		}
		do(t, h, "XADD s 1-0 f v")
		want := "1) 1) \"s\"\n   2) 1) 1) \"1-0\"\n         2) 1) \"f\"\n            2) \"v\"\n"
		if got := <-done; got != want {
			t.Errorf("blocked XREAD = %q, want %q", got, want)
		}
	})
}

// TestArgumentOrder checks errors whose text depends on the order in which
// Redis parses the arguments (recorded from Redis 7.0.15).
func TestArgumentOrder(t *testing.T) {
	runSteps(t, newHandler(t), []step{
		{"XADD s 1-0 f v", "\"1-0\"\n"},
		{"XGROUP CREATE s g 0", "OK\n"},
		{"XINFO STREAM s FULL COUNT abc", "(error) ERR value is not an integer or out of range\n"},
		{"XINFO STREAM s FULL COUNT", "(error) ERR unknown subcommand or wrong number of arguments for 'STREAM'. Try XINFO HELP.\n"},
		{"XINFO STREAM s FULL x 1", "(error) ERR unknown subcommand or wrong number of arguments for 'STREAM'. Try XINFO HELP.\n"},
		{"XINFO STREAM nokey FULL COUNT abc", "(error) ERR no such key\n"},
		{"XPENDING s g abc + xyz", "(error) ERR value is not an integer or out of range\n"},
		{"XPENDING s g abc + 1", "(error) ERR Invalid stream ID specified as stream command argument\n"},
	})
}

func TestXPendingIdleUsesClock(t *testing.T) {
	now := time.UnixMilli(1_000_000)
	clock := func() time.Time { return now }
	b, _ := broker.New(broker.Options{Clock: clock})
	defer b.Close()
	h := &command.Handler{B: b, Clock: clock}
	runSteps(t, h, []step{
		{"XADD s 1-0 f v", "\"1-0\"\n"},
		{"XGROUP CREATE s g 0", "OK\n"},
		{"XREADGROUP GROUP g c STREAMS s >",
			"1) 1) \"s\"\n   2) 1) 1) \"1-0\"\n         2) 1) \"f\"\n            2) \"v\"\n"},
	})
	now = now.Add(1500 * time.Millisecond)
	runSteps(t, h, []step{
		{"XPENDING s g - + 10", "1) 1) \"1-0\"\n   2) \"c\"\n   3) (integer) 1500\n   4) (integer) 1\n"},
		{"XPENDING s g IDLE 2000 - + 10", "(empty array)\n"},
		{"XPENDING s g - + 10 other", "(empty array)\n"},
		{"XINFO CONSUMERS s g", "1) 1) \"name\"\n   2) \"c\"\n   3) \"pending\"\n   4) (integer) 1\n" +
			"   5) \"idle\"\n   6) (integer) 1500\n"},
		{"XCLAIM s g d 0 1-0 JUSTID IDLE 5 RETRYCOUNT 9", "1) \"1-0\"\n"},
		{"XPENDING s g - + 10", "1) 1) \"1-0\"\n   2) \"d\"\n   3) (integer) 5\n   4) (integer) 9\n"},
	})
}

func TestCommands(t *testing.T) {
	names := command.Commands()
	if !slices.IsSorted(names) {
		t.Errorf("Commands() not sorted: %v", names)
	}
	h := newHandler(t)
	for _, name := range names {
		if strings.ToUpper(name) != name {
			t.Errorf("%s is not upper case", name)
		}
		// Every listed command is known: none answers "unknown command".
		if got := h.Do(context.Background(), []string{name}).String(); strings.Contains(got, "unknown command") {
			t.Errorf("%s: %s", name, got)
		}
	}
	if !slices.Contains(names, "XAUTOCLAIM") || !slices.Contains(names, "PUBLISH") {
		t.Errorf("Commands() = %v", names)
	}
}

// TestBlockedGroupReadUnblocked checks the errors a blocked XREADGROUP gets
// when its group is destroyed or its key deleted.
func TestBlockedGroupReadUnblocked(t *testing.T) {
	tests := []struct{ name, unblock, want string }{
		{"group destroyed", "XGROUP DESTROY s g",
			"(error) NOGROUP the consumer group this client was blocked on no longer exists\n"},
		{"key deleted", "DEL s", "(error) UNBLOCKED the stream key no longer exists\n"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				h := newHandler(t)
				do(t, h, "XGROUP CREATE s g $ MKSTREAM")
				done := make(chan string, 1)
				go func() {
					done <- h.Do(context.Background(),
						[]string{"XREADGROUP", "GROUP", "g", "c", "BLOCK", "0", "STREAMS", "s", ">"}).String()
				}()
				synctest.Wait() // the reader is blocked
				select {
				case got := <-done:
					t.Fatalf("XREADGROUP BLOCK 0 returned before %s: %q", tc.unblock, got)
				default:
				}
				do(t, h, tc.unblock)
				if got := <-done; got != tc.want {
					t.Errorf("got %q, want %q", got, tc.want)
				}
			})
		})
	}
}

func TestEntryLimits(t *testing.T) {
	b, _ := broker.New(broker.Options{Limits: broker.Limits{MaxEntryBytes: 64, MaxFields: 2}})
	t.Cleanup(func() { b.Close() })
	h := &command.Handler{B: b}
	runSteps(t, h, []step{
		{"XADD s 1-0 a b c d e f", "(error) ERR entry exceeds the broker's entry size or field count limit\n"},
		{"XADD s 1-0 f " + strings.Repeat("v", 100), "(error) ERR entry exceeds the broker's entry size or field count limit\n"},
		{"XLEN s", "(integer) 0\n"},
		{"XADD s 1-0 a b", "\"1-0\"\n"},
	})
}
