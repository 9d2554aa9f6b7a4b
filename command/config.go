package command

import (
	"context"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/brookmq/brook/pattern"
)

// The one configuration parameter brook has: Redis's
// client-output-buffer-limit. Its pubsub class is the broker's
// [broker.Broker.PubSubLimits]; the normal and replica classes are kept by
// the Handler so that CONFIG GET shows what CONFIG SET set, and have no
// effect (brook has no such clients).
const obufLimitName = "client-output-buffer-limit"

// obufLimit is one class of client-output-buffer-limit, in Redis's units:
// bytes (0: no limit) and seconds.
type obufLimit struct {
	hard, soft uint64
	seconds    int32
}

// otherLimits are the normal and replica classes; the zero value is Redis's
// defaults.
type otherLimits struct {
	set             bool
	normal, replica obufLimit
}

func (o *otherLimits) get() (normal, replica obufLimit) {
	if !o.set {
		return obufLimit{}, obufLimit{hard: 256 << 20, soft: 64 << 20, seconds: 60}
	}
	return o.normal, o.replica
}

func configSpecs() []*spec {
	return []*spec{
		{name: "config", arity: -2, usage: "CONFIG GET parameter [parameter ...] | SET parameter value [parameter value ...] | HELP",
			subs: map[string]*spec{
				"get":  {name: "config|get", arity: -3, run: (*Handler).configGet},
				"set":  {name: "config|set", arity: -4, run: (*Handler).configSet},
				"help": {name: "config|help", arity: 2, run: (*Handler).configHelp},
			}},
		{name: "keys", arity: 2, run: (*Handler).keys, usage: "KEYS pattern"},
	}
}

// configGet replies the parameters matching any of the patterns (Redis 7.0
// takes several): a name without glob characters is looked up as given and
// replied as given; a glob matches without regard to case and replies the
// parameter's own name. Each parameter is replied once.
func (h *Handler) configGet(_ context.Context, args []string) Reply {
	for _, p := range args[2:] {
		name := ""
		if !strings.ContainsAny(p, "[*?") {
			if strings.EqualFold(p, obufLimitName) {
				name = p
			}
		} else if pattern.Match(asciiLower(p), obufLimitName) {
			name = obufLimitName
		}
		if name != "" {
			return Array(Bulk(name), Bulk(h.obufLimitString()))
		}
	}
	return Array()
}

// obufLimitString is CONFIG GET's value: every class, in Redis's order and
// with Redis's name for the replica class.
func (h *Handler) obufLimitString() string {
	h.cfgMu.Lock()
	normal, replica := h.cfg.get()
	h.cfgMu.Unlock()
	o := h.B.PubSubLimits()
	pubsub := obufLimit{hard: fromLimit(o.HardLimit), soft: fromLimit(o.SoftLimit)}
	if o.SoftPeriod > 0 {
		pubsub.seconds = int32(min(o.SoftPeriod/time.Second, math.MaxInt32))
	}
	var b strings.Builder
	for _, c := range []struct {
		name string
		l    obufLimit
	}{{"normal", normal}, {"slave", replica}, {"pubsub", pubsub}} {
		if b.Len() > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(c.name + " " + strconv.FormatUint(c.l.hard, 10) + " " +
			strconv.FormatUint(c.l.soft, 10) + " " + strconv.Itoa(int(c.l.seconds)))
	}
	return b.String()
}

// fromLimit turns a broker limit (negative: none) into Redis's (0: none).
func fromLimit(n int64) uint64 { return uint64(max(n, 0)) }

// toLimit turns Redis's limit (0: none) into a broker limit (negative:
// none). Limits beyond what an int64 holds are the largest one.
func toLimit(n uint64) int64 {
	if n == 0 {
		return -1
	}
	return int64(min(n, math.MaxInt64))
}

// configSet sets parameters as Redis 7.0 does: every name is checked before
// anything changes (unknown, given twice), then each value.
func (h *Handler) configSet(_ context.Context, args []string) Reply {
	if len(args)%2 != 0 {
		return Error("ERR syntax error")
	}
	seen := false
	for i := 2; i < len(args); i += 2 {
		if !strings.EqualFold(args[i], obufLimitName) {
			return Error(sanitize("ERR Unknown option or number of arguments for CONFIG SET - '" + args[i] + "'"))
		}
		if seen {
			return Error(sanitize("ERR CONFIG SET failed (possibly related to argument '" + args[i] + "') - duplicate parameter"))
		}
		seen = true
	}
	if err := h.setObufLimit(args[3]); err != "" {
		return Error("ERR CONFIG SET failed (possibly related to argument '" + obufLimitName + "') - " + err)
	}
	return Simple("OK")
}

// setObufLimit parses a client-output-buffer-limit value as Redis 7.0 does
// (words separated by single spaces; classes normal, slave or replica, and
// pubsub; sizes with an optional unit b, k, kb, m, mb, g, gb; seconds as
// C's strtoll reads them) and applies it, all or nothing. It returns
// Redis's error text, or "".
func (h *Handler) setObufLimit(value string) string {
	var words []string
	if value != "" {
		words = strings.Split(value, " ")
	}
	if len(words)%4 != 0 {
		return "Wrong number of arguments in buffer limit configuration."
	}
	h.cfgMu.Lock()
	defer h.cfgMu.Unlock()
	normal, replica := h.cfg.get()
	var pubsub *obufLimit
	for i := 0; i < len(words); i += 4 {
		var dst *obufLimit
		switch asciiLower(words[i]) {
		case "normal":
			dst = &normal
		case "slave", "replica":
			dst = &replica
		case "pubsub":
			pubsub = new(obufLimit)
			dst = pubsub
		default:
			return "Invalid client class specified in buffer limit configuration."
		}
		hard, ok1 := memToUll(words[i+1])
		soft, ok2 := memToUll(words[i+2])
		secs, ok3 := strToLL(words[i+3])
		if !ok1 || !ok2 || !ok3 || int32(secs) < 0 { // Redis keeps the seconds in an int
			return "Error in hard, soft or soft_seconds setting in buffer limit configuration."
		}
		*dst = obufLimit{hard: hard, soft: soft, seconds: int32(secs)}
	}
	if pubsub != nil {
		o := h.B.PubSubLimits()
		o.HardLimit, o.SoftLimit = toLimit(pubsub.hard), toLimit(pubsub.soft)
		o.SoftPeriod = time.Duration(pubsub.seconds) * time.Second
		if pubsub.seconds == 0 {
			o.SoftPeriod = -1 // zero seconds: brook's 0 would mean the default
		}
		if err := h.B.SetPubSubLimits(o); err != nil {
			return err.Error()
		}
	}
	h.cfg = otherLimits{set: true, normal: normal, replica: replica}
	return ""
}

// memToUll is Redis's memtoull: digits and an optional unit, nothing else;
// an overflow saturates, then the unit multiplies modulo 2^64.
func memToUll(s string) (uint64, bool) {
	i := 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	var mul uint64
	switch asciiLower(s[i:]) {
	case "", "b":
		mul = 1
	case "k":
		mul = 1000
	case "kb":
		mul = 1024
	case "m":
		mul = 1000 * 1000
	case "mb":
		mul = 1024 * 1024
	case "g":
		mul = 1000 * 1000 * 1000
	case "gb":
		mul = 1024 * 1024 * 1024
	default:
		return 0, false
	}
	if i >= 128 {
		return 0, false
	}
	var v uint64
	for _, c := range []byte(s[:i]) {
		d := uint64(c - '0')
		if v > (math.MaxUint64-d)/10 {
			v = math.MaxUint64 // strtoull's ERANGE, which memtoull does not check
			break
		}
		v = v*10 + d
	}
	return v * mul, true
}

// strToLL reads s as C's strtoll(s, &end, 10) with *end == '\0' required:
// leading C blanks, a sign, digits (saturating), nothing after; the empty
// string is 0.
func strToLL(s string) (int64, bool) {
	t := strings.TrimLeft(s, " \t\n\v\f\r")
	neg := false
	if t != "" && (t[0] == '+' || t[0] == '-') {
		neg = t[0] == '-'
		t = t[1:]
	}
	if t == "" {
		return 0, s == "" // no digits: end is s itself
	}
	const limit = 1 << 63 // |math.MinInt64|
	var v uint64
	over := false
	for i := 0; i < len(t); i++ {
		c := t[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		if !over {
			v = v*10 + uint64(c-'0') // v <= limit before, so no wrap-around
			over = v > limit
		}
	}
	switch {
	case neg && (over || v == limit):
		return math.MinInt64, true
	case neg:
		return -int64(v), true
	case over || v > math.MaxInt64:
		return math.MaxInt64, true
	}
	return int64(v), true
}

// asciiLower lowers ASCII letters only, as C's tolower in the C locale.
func asciiLower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}

func (h *Handler) configHelp(_ context.Context, _ []string) Reply {
	return helpReply("CONFIG",
		"GET <pattern>",
		"    Return parameters matching the glob-like <pattern> and their values.",
		"SET <directive> <value>",
		"    Set the configuration <directive> to <value>.",
	)
}

// keys lists the streams whose names match the glob pattern (KEYS), sorted.
// As in Redis, the pattern "*" alone lists every key, "" included, without
// the matcher (which does not match "" with "*").
func (h *Handler) keys(ctx context.Context, args []string) Reply {
	all, err := h.B.Keys(ctx)
	if err != nil {
		return errorReply(err)
	}
	if args[1] == "*" {
		return BulkArray(all...)
	}
	m := pattern.Compile(args[1])
	var out []string
	for _, k := range all {
		if m.Match(k) {
			out = append(out, k)
		}
	}
	return BulkArray(out...)
}
