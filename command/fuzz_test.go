package command_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/brookmq/brook/broker"
	"github.com/brookmq/brook/command"
)

// fuzzSetup gives every fuzzed command a stream with a group, pending
// entries and a deleted entry to work on.
var fuzzSetup = []string{
	"XADD s 1-0 a 1", "XADD s 2-0 b 2", "XADD s 3-0 c 3",
	"XGROUP CREATE s g 0", "XREADGROUP GROUP g c COUNT 2 STREAMS s >", "XDEL s 2-0",
}

// FuzzDo runs arbitrary lines through SplitArgs and Handler.Do: nothing may
// panic, every reply prints as one or more complete lines, and error texts
// stay on one line.
func FuzzDo(f *testing.F) {
	for _, seed := range []string{
		"XADD s 4-0 f v", "XRANGE s - + COUNT 1", "XREAD COUNT 1 STREAMS s 0", "XREADGROUP GROUP g c STREAMS s 0",
		"XPENDING s g IDLE 0 - + 10 c", "XCLAIM s g d 0 1-0 JUSTID RETRYCOUNT 3", "XAUTOCLAIM s g d 0 0 COUNT 1",
		"XINFO STREAM s FULL COUNT 1", "XGROUP SETID s g $ ENTRIESREAD 2", "XTRIM s MAXLEN ~ 1 LIMIT 1",
		"PUBSUB NUMSUB a b", "XREAD BLOCK 1 STREAMS s $", `foo "bar\nbaz"`, "XINFO GROUPS s",
		`CONFIG SET client-output-buffer-limit "pubsub 1k 2kb 3"`, "CONFIG GET *output*", "KEYS [a-z]*",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, line string) {
		args, err := command.SplitArgs(line)
		if err != nil || len(args) == 0 {
			return
		}
		b, _ := broker.New(broker.Options{})
		defer b.Close()
		h := &command.Handler{B: b}
		for _, l := range fuzzSetup {
			a, _ := command.SplitArgs(l)
			h.Do(context.Background(), a)
		}
		ctx, cancel := context.WithTimeout(context.Background(), time.Millisecond)
		defer cancel()
		r := h.Do(ctx, args)
		out := r.String()
		if !strings.HasSuffix(out, "\n") {
			t.Fatalf("%q: reply %q does not end a line", line, out)
		}
		if r.IsError() && strings.ContainsAny(r.Str, "\r\n") {
			t.Fatalf("%q: multi-line error %q", line, r.Str)
		}
	})
}
