package command

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/brookmq/brook/broker"
	"github.com/brookmq/brook/stream"
)

// cfgParam is one XCFGSET parameter: IDMP-DURATION and IDMP-MAXSIZE are
// Redis 8.6's; the RETENTION-* parameters are brook's extension (Redis has
// no standing retention policy), parsed the same way with texts in the
// same style.
type cfgParam struct {
	name     string // upper case, as the errors print it
	min, max int64
	rangeErr string
	set      func(c *broker.StreamConfig, n int64)
}

var cfgParams = []cfgParam{
	{"IDMP-DURATION", 1, stream.MaxIdmpDuration, "ERR IDMP-DURATION must be between 1 and 86400 seconds",
		func(c *broker.StreamConfig, n int64) { c.IdmpDuration = time.Duration(n) * time.Second }},
	{"IDMP-MAXSIZE", 1, stream.MaxIdmpMaxSize, "ERR IDMP-MAXSIZE must be between 1 and 10000 entries",
		func(c *broker.StreamConfig, n int64) { c.IdmpMaxSize = int(n) }},
	{"RETENTION-MAXLEN", 0, 1<<63 - 1, "ERR RETENTION-MAXLEN must be >= 0",
		func(c *broker.StreamConfig, n int64) { c.RetentionMaxLen = &n }},
	{"RETENTION-MAXAGE", 0, int64(1<<63-1) / int64(time.Millisecond), "ERR RETENTION-MAXAGE must be between 0 and 9223372036854 milliseconds",
		func(c *broker.StreamConfig, n int64) {
			d := time.Duration(n) * time.Millisecond
			c.RetentionMaxAge = &d
		}},
	{"RETENTION-MAXBYTES", 0, 1<<63 - 1, "ERR RETENTION-MAXBYTES must be >= 0",
		func(c *broker.StreamConfig, n int64) { c.RetentionMaxBytes = &n }},
	{"RETENTION-ACKED", 0, 1, "ERR RETENTION-ACKED must be 0 or 1",
		func(c *broker.StreamConfig, n int64) {
			acked := n == 1
			c.RetentionAcked = &acked
		}},
}

// xcfgset is XCFGSET (Redis 8.6) with brook's retention parameters. As in
// Redis, the key is checked first, then the arguments left to right.
func (h *Handler) xcfgset(ctx context.Context, args []string) Reply {
	if !h.keyExists(ctx, args[1]) {
		return Error(errNoKey)
	}
	c, bad := parseCfgSet(args[2:])
	if bad != nil {
		return *bad
	}
	err := h.B.XCfgSet(ctx, args[1], c)
	switch {
	case errors.Is(err, broker.ErrNoStream):
		return Error(errNoKey)
	case err != nil:
		return errorReply(err)
	}
	return Simple("OK")
}

// parseCfgSet parses XCFGSET's parameters or returns Redis's error for the
// first bad one.
func parseCfgSet(args []string) (broker.StreamConfig, *Reply) {
	var c broker.StreamConfig
	fail := func(text string) (broker.StreamConfig, *Reply) { r := Error(text); return c, &r }
	seen := make(map[string]bool)
	for i := 0; i < len(args); i += 2 {
		var p *cfgParam
		for j := range cfgParams {
			if strings.EqualFold(args[i], cfgParams[j].name) {
				p = &cfgParams[j]
			}
		}
		if p == nil || i+1 >= len(args) {
			return fail(errSyntax)
		}
		if seen[p.name] {
			return fail("ERR " + p.name + " specified multiple times")
		}
		seen[p.name] = true
		n, ok := parseInt(args[i+1])
		if !ok {
			return fail(errNotInteger)
		}
		if n < p.min || n > p.max {
			return fail(p.rangeErr)
		}
		p.set(&c, n)
	}
	if len(seen) == 0 {
		return fail("ERR At least one parameter must be specified")
	}
	return c, nil
}
