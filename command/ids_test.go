package command

import (
	"errors"
	"math/big"
	"strings"
	"testing"

	"github.com/brookmq/brook/stream"
)

func TestParseRedisID(t *testing.T) {
	tests := []struct {
		in   string
		want stream.ID
		err  error
	}{
		{"1-2", sid(1, 2), nil},
		{"5", sid(5, 0), nil},
		{"0-0", sid(0, 0), nil},
		{"07-1", sid(7, 1), nil},
		{"18446744073709551615-18446744073709551615", stream.MaxID, nil},
		{"18446744073709551616-0", stream.ID{}, stream.ErrInvalidID},
		{"1-18446744073709551616", stream.ID{}, stream.ErrInvalidID},
		{"abc", stream.ID{}, stream.ErrInvalidID},
		{"1-x", stream.ID{}, stream.ErrInvalidID},
		{"-1", stream.ID{}, stream.ErrInvalidID},
		{"1-", stream.ID{}, stream.ErrInvalidID},
		{"1-2-3", stream.ID{}, stream.ErrInvalidID},
		{"1.5", stream.ID{}, stream.ErrInvalidID},
		{"0x10", stream.ID{}, stream.ErrInvalidID},
		{"", stream.ID{}, stream.ErrInvalidID},
		{"*", stream.ID{}, stream.ErrInvalidID},
		// Redis 7.0.15 reads each part with string2ull (string2ll, then
		// strtoull): every row below is what it answered to XADD.
		{"+5", sid(5, 0), nil},
		{" 5", sid(5, 0), nil},
		{"+6-1", sid(6, 1), nil},
		{" 7-1", sid(7, 1), nil},
		{"\t8-1", sid(8, 1), nil},
		{"\n9-1", sid(9, 1), nil},
		{"\v10-1", sid(10, 1), nil},
		{"\f11-1", sid(11, 1), nil},
		{"\r12-1", sid(12, 1), nil},
		{"13 -1", stream.ID{}, stream.ErrInvalidID},
		{"14-1 ", stream.ID{}, stream.ErrInvalidID},
		{"15- 1", sid(15, 1), nil},
		{"16-+1", sid(16, 1), nil},
		{"17--0", sid(17, 0), nil},
		{"18--1", stream.ID{}, stream.ErrInvalidID},
		{"19--01", sid(19, maxU), nil},
		{"20- -1", sid(20, maxU), nil},
		{"+-21", stream.ID{}, stream.ErrInvalidID},
		{"++22", stream.ID{}, stream.ErrInvalidID},
		{"-23", stream.ID{}, stream.ErrInvalidID},
		{"024-0001", sid(24, 1), nil},
		{"101--18446744073709551615", sid(101, 1), nil},
		{"102--18446744073709551616", stream.ID{}, stream.ErrInvalidID},
		{"103--9223372036854775808", stream.ID{}, stream.ErrInvalidID},
		{"104--9223372036854775809", sid(104, 9223372036854775807), nil},
		{"105--10000000000000000000", sid(105, 8446744073709551616), nil},
		{"106-1e3", stream.ID{}, stream.ErrInvalidID},
		{"108\x00junk", sid(108, 0), nil},
		{"109-1\x00junk", sid(109, 1), nil},
		{"\x00", stream.ID{}, stream.ErrInvalidID},
		{"-", stream.ID{}, stream.ErrInvalidID},
		{"+", stream.ID{}, stream.ErrInvalidID},
		{"-\x00", stream.ID{}, stream.ErrInvalidID},
		{" ", stream.ID{}, stream.ErrInvalidID},
		{"5-*", stream.ID{}, stream.ErrInvalidID},
		// An argument of more than 127 bytes is invalid, whatever it holds.
		{strings.Repeat("0", 124) + "110", sid(110, 0), nil},
		{strings.Repeat("0", 125) + "111", stream.ID{}, stream.ErrInvalidID},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := parseRedisID(tt.in)
			if got != tt.want || !errors.Is(err, tt.err) {
				t.Fatalf("ParseID(%q) = %s, %v; want %s, %v", tt.in, got, err, tt.want, tt.err)
			}
		})
	}
}

func TestParseRangeBounds(t *testing.T) {
	tests := []struct {
		in         string
		start, end stream.ID
		startErr   error
		endErr     error
	}{
		{"-", stream.MinID, stream.MinID, nil, nil},
		{"+", stream.MaxID, stream.MaxID, nil, nil},
		{"5", sid(5, 0), sid(5, maxU), nil, nil},
		{"5-3", sid(5, 3), sid(5, 3), nil, nil},
		{"(5-3", sid(5, 4), sid(5, 2), nil, nil},
		{"(5", sid(5, 1), sid(5, maxU-1), nil, nil},
		{"(5-18446744073709551615", sid(6, 0), sid(5, maxU-1), nil, nil},
		{"(6-0", sid(6, 1), sid(5, maxU), nil, nil},
		{"(0-0", sid(0, 1), stream.ID{}, nil, errInvalidEndID},
		{"(0", sid(0, 1), sid(0, maxU-1), nil, nil},
		{"(18446744073709551615-18446744073709551615", stream.ID{}, sid(maxU, maxU-1), errInvalidStartID, nil},
		{"(18446744073709551615", sid(maxU, 1), sid(maxU, maxU-1), nil, nil},
		{"(-", stream.ID{}, stream.ID{}, stream.ErrInvalidID, stream.ErrInvalidID},
		{"(+", stream.ID{}, stream.ID{}, stream.ErrInvalidID, stream.ErrInvalidID},
		{"((5", stream.ID{}, stream.ID{}, stream.ErrInvalidID, stream.ErrInvalidID},
		{"(", stream.ID{}, stream.ID{}, stream.ErrInvalidID, stream.ErrInvalidID},
		{"x", stream.ID{}, stream.ID{}, stream.ErrInvalidID, stream.ErrInvalidID},
		// Observed with Redis 7.0.15's XRANGE and XPENDING.
		{"( 110", sid(110, 1), sid(110, maxU-1), nil, nil},
		{"(+110", sid(110, 1), sid(110, maxU-1), nil, nil},
		{"+1", sid(1, 0), sid(1, maxU), nil, nil},
		{" -", stream.ID{}, stream.ID{}, stream.ErrInvalidID, stream.ErrInvalidID},
		{"+ ", stream.ID{}, stream.ID{}, stream.ErrInvalidID, stream.ErrInvalidID},
		{"-\x00", stream.MinID, stream.MinID, nil, nil},
		{"+\x00x", stream.MaxID, stream.MaxID, nil, nil},
		{"(\x00", stream.ID{}, stream.ID{}, stream.ErrInvalidID, stream.ErrInvalidID},
		{"(" + strings.Repeat("0", 124) + "110", sid(110, 1), sid(110, maxU-1), nil, nil},
		{"(" + strings.Repeat("0", 125) + "110", stream.ID{}, stream.ID{}, stream.ErrInvalidID, stream.ErrInvalidID},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			if got, err := parseRangeStart(tt.in); got != tt.start || !errors.Is(err, tt.startErr) {
				t.Errorf("ParseRangeStart(%q) = %s, %v; want %s, %v", tt.in, got, err, tt.start, tt.startErr)
			}
			if got, err := parseRangeEnd(tt.in); got != tt.end || !errors.Is(err, tt.endErr) {
				t.Errorf("ParseRangeEnd(%q) = %s, %v; want %s, %v", tt.in, got, err, tt.end, tt.endErr)
			}
		})
	}
}

func TestParseAddID(t *testing.T) {
	tests := []struct {
		in   string
		want stream.AddID
		text string // String() of the result
		err  error
	}{
		{"*", stream.AutoID(), "*", nil},
		{"5-*", stream.PartialID(5), "5-*", nil},
		{"0-*", stream.PartialID(0), "0-*", nil},
		{"5", stream.ExplicitID(sid(5, 0)), "5-0", nil},
		{"5-2", stream.ExplicitID(sid(5, 2)), "5-2", nil},
		{"0-0", stream.ExplicitID(sid(0, 0)), "0-0", nil},
		{"x-*", stream.AddID{}, "*", stream.ErrInvalidID},
		{"-*", stream.AddID{}, "*", stream.ErrInvalidID},
		{"5-**", stream.AddID{}, "*", stream.ErrInvalidID},
		{"*-5", stream.AddID{}, "*", stream.ErrInvalidID},
		{"18446744073709551616-*", stream.AddID{}, "*", stream.ErrInvalidID},
		// Observed with Redis 7.0.15.
		{" +28-*", stream.PartialID(28), "28-*", nil},
		{" 29 -*", stream.AddID{}, "*", stream.ErrInvalidID},
		{"30-* ", stream.AddID{}, "*", stream.ErrInvalidID},
		{"300-*\x00", stream.PartialID(300), "300-*", nil},
		{"*\x00junk", stream.AutoID(), "*", nil},
		{"112--*", stream.AddID{}, "*", stream.ErrInvalidID},
		{"-", stream.AddID{}, "*", stream.ErrInvalidID},
		{"+", stream.AddID{}, "*", stream.ErrInvalidID},
		{"0--0", stream.ExplicitID(sid(0, 0)), "0-0", nil},
		{strings.Repeat("0", 124) + "1-*", stream.PartialID(1), "1-*", nil},
		{strings.Repeat("0", 125) + "1-*", stream.AddID{}, "*", stream.ErrInvalidID},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := parseAddID(tt.in)
			if got != tt.want || got.String() != tt.text || !errors.Is(err, tt.err) {
				t.Fatalf("ParseAddID(%q) = %s, %v; want %s, %v", tt.in, got, err, tt.text, tt.err)
			}
		})
	}
}

func TestParseRedisLooseID(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want stream.ID
		err  error
	}{
		{"-", stream.MinID, nil},
		{"+", stream.MaxID, nil},
		{"-\x00x", stream.MinID, nil},
		{" 0", sid(0, 0), nil},
		{"5-1", sid(5, 1), nil},
		{"x", stream.ID{}, stream.ErrInvalidID},
		{"(5", stream.ID{}, stream.ErrInvalidID},
	} {
		if got, err := parseRedisLooseID(tt.in); got != tt.want || !errors.Is(err, tt.err) {
			t.Errorf("ParseLooseID(%q) = %s, %v; want %s, %v", tt.in, got, err, tt.want, tt.err)
		}
	}
}

// refPart is an independent model of Redis 7.0's string2ull for one part
// of an ID (string2ll, refusing negatives, then strtoull), on big integers.
func refPart(s string) (uint64, bool) {
	if ll, ok := refString2ll(s); ok {
		return uint64(ll), ll >= 0
	}
	t := strings.TrimLeft(s, " \t\n\v\f\r")
	neg := false
	if t != "" && (t[0] == '+' || t[0] == '-') {
		neg, t = t[0] == '-', t[1:]
	}
	if t == "" || strings.Trim(t, "0123456789") != "" {
		return 0, false
	}
	n, _ := new(big.Int).SetString(t, 10)
	if n.BitLen() > 64 {
		return 0, false
	}
	v := n.Uint64()
	if neg {
		v = -v
	}
	return v, true
}

// refString2ll models Redis's string2ll: "0", or an optional '-' and digits
// without a leading zero, shorter than 21 bytes, within int64.
func refString2ll(s string) (int64, bool) {
	if s == "0" {
		return 0, true
	}
	if len(s) == 0 || len(s) >= 21 {
		return 0, false
	}
	t := strings.TrimPrefix(s, "-")
	if t == "" || t[0] < '1' || t[0] > '9' || strings.Trim(t, "0123456789") != "" {
		return 0, false
	}
	n, _ := new(big.Int).SetString(s, 10)
	return n.Int64(), n.IsInt64()
}

// refParseID models streamGenericParseIDOrReply (strict, missing seq 0).
func refParseID(s string) (stream.ID, bool) {
	if len(s) > 127 {
		return stream.ID{}, false
	}
	s, _, _ = strings.Cut(s, "\x00")
	if s == "-" || s == "+" {
		return stream.ID{}, false
	}
	msText, seqText, hasSeq := strings.Cut(s, "-")
	ms, ok := refPart(msText)
	if !ok {
		return stream.ID{}, false
	}
	if !hasSeq {
		return sid(ms, 0), true
	}
	seq, ok := refPart(seqText)
	return sid(ms, seq), ok
}

// FuzzParseID checks that parsing never panics, that ParseID agrees with
// an independent model of Redis's parser, and that every accepted ID prints
// in a form that parses back to it.
func FuzzParseRedisID(f *testing.F) {
	for _, s := range []string{"1-2", "5", "(5", "+", "-", "(0-0", "18446744073709551615-18446744073709551615", "5-*", "1-2-3",
		" +6-1", "5--01", "5- -1", "-0", "9-\v-9223372036854775809", "\x00", "5\x00x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		id, err := parseRedisID(s)
		if want, ok := refParseID(s); ok != (err == nil) || ok && id != want {
			t.Fatalf("ParseID(%q) = %s, %v; the model says %s, %t", s, id, err, want, ok)
		}
		if err == nil {
			if back, err := parseRedisID(id.String()); err != nil || back != id {
				t.Fatalf("ParseID(%q) = %s, which parses back as %s, %v", s, id, back, err)
			}
		}
		start, errS := parseRangeStart(s)
		end, errE := parseRangeEnd(s)
		if errS == nil && errE == nil && s != "+" && s != "-" && len(s) > 0 && s[0] != '(' && end.Less(start) {
			t.Fatalf("inclusive bound %q: start %s after end %s", s, start, end)
		}
		if a, err := parseAddID(s); err == nil {
			if back, err := parseAddID(a.String()); err != nil || back != a {
				t.Fatalf("ParseAddID(%q) = %s, which parses back as %s, %v", s, a, back, err)
			}
		}
	})
}

func sid(ms, seq uint64) stream.ID { return stream.ID{Ms: ms, Seq: seq} }

const maxU = ^uint64(0)
