package command

import (
	"errors"
	"strconv"
	"strings"

	"github.com/brookmq/brook/stream"
)

// Errors of range bounds that parse but denote no interval.
var (
	errInvalidStartID = errors.New("command: invalid start ID for the interval") // "(" on the maximum ID
	errInvalidEndID   = errors.New("command: invalid end ID for the interval")   // "(" on 0-0
)

// How IDs are parsed. Redis 7.0 (streamGenericParseIDOrReply in t_stream.c)
// reads an ID argument like this, and the parse functions below do the same:
//
//   - An argument longer than 127 bytes is invalid (Redis copies it into a
//     128-byte buffer first).
//   - The argument is a C string: it ends at its first NUL byte, whatever
//     follows ("5\x00junk" is 5-0).
//   - Where the command allows them, "-" and "+" alone are the minimum and
//     maximum IDs; elsewhere (XADD, XREAD, XACK, XCLAIM, XDEL, MINID, XGROUP
//     CREATE, an exclusive bound) they are invalid.
//   - The text is cut at its first '-': the part before is ms, the part
//     after is seq (absent: 0, or the maximum for a range end). So "1-2-3"
//     has the seq "2-3", which is invalid, and "-5" has an empty, invalid,
//     ms.
//   - Each part is read by Redis's string2ull: first string2ll (an optional
//     '-', then digits without a leading zero, within int64), and a
//     negative value from it is invalid ("-1"); when string2ll does not take
//     the text, C's strtoull in base 10, which must use all of it: leading
//     blanks (space, \t, \n, \v, \f, \r), an optional '+' or '-', then at
//     least one digit, no overflow. strtoull negates after a '-' modulo 2^64.
//
// So, as Redis 7.0.15 answers (checked against it): "+6-1" is 6-1, " 5-1" is
// 5-1, "5- 1" and "5-+1" are 5-1, "07" is 7-0, "5--0" is 5-0, "5--01" and
// "5- -1" are 5-18446744073709551615, "5--18446744073709551615" is 5-1; and
// "5-1 " (trailing blank), "5 -1", "5--1", "-5", "5-", "1.5", "0x10", "1e3",
// "+-5", "18446744073709551616" and "5--18446744073709551616" are invalid.

// maxIDText is the longest argument Redis parses as an ID.
const maxIDText = 127

// parseRedisID parses an ID as XADD, XREAD, XACK, XDEL, XCLAIM or MINID take it:
// "ms-seq", or "ms" alone meaning ms-0, each part read as Redis 7.0 reads
// it (see the rules above: leading blanks and a '+' are accepted). "-" and
// "+" alone, and anything else Redis refuses, give [stream.ErrInvalidID].
func parseRedisID(s string) (stream.ID, error) {
	return parseID(s, 0, true)
}

// parseRedisLooseID is [parseRedisID] where "-" and "+" alone are also accepted, as
// stream.MinID and stream.MaxID (XGROUP SETID).
func parseRedisLooseID(s string) (stream.ID, error) {
	return parseID(s, 0, false)
}

// parseID parses an ID argument, using missingSeq when the sequence is
// absent. strict refuses "-" and "+".
func parseID(s string, missingSeq uint64, strict bool) (stream.ID, error) {
	if len(s) > maxIDText {
		return stream.ID{}, stream.ErrInvalidID
	}
	s = cString(s)
	switch s {
	case "-", "+":
		if strict {
			return stream.ID{}, stream.ErrInvalidID
		}
		if s == "-" {
			return stream.MinID, nil
		}
		return stream.MaxID, nil
	}
	msText, seqText, hasSeq := strings.Cut(s, "-")
	ms, ok := parseUint(msText)
	if !ok {
		return stream.ID{}, stream.ErrInvalidID
	}
	if !hasSeq {
		return stream.ID{Ms: ms, Seq: missingSeq}, nil
	}
	seq, ok := parseUint(seqText)
	if !ok {
		return stream.ID{}, stream.ErrInvalidID
	}
	return stream.ID{Ms: ms, Seq: seq}, nil
}

// cString returns s up to its first NUL byte, as C sees a string.
func cString(s string) string {
	if i := strings.IndexByte(s, 0); i >= 0 {
		return s[:i]
	}
	return s
}

// parseUint reads one part of an ID as Redis 7.0's string2ull does:
// string2ll first, refusing a negative value; otherwise strtoull. (A
// non-negative value string2ll takes is one strtoull reads the same way.)
func parseUint(s string) (uint64, bool) {
	if string2llNegative(s) {
		return 0, false
	}
	return strtoull(s)
}

// string2llNegative reports whether Redis's string2ll reads s as a negative
// number: shorter than 21 bytes, '-', a digit 1-9, digits, at least
// -9223372036854775808.
func string2llNegative(s string) bool {
	if len(s) < 2 || len(s) >= 21 || s[0] != '-' || s[1] < '1' || s[1] > '9' {
		return false
	}
	for i := 2; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	v, err := strconv.ParseUint(s[1:], 10, 64)
	return err == nil && v <= 1<<63
}

// strtoull is C's strtoull(s, &end, 10) where all of s must be used and
// overflow (ERANGE) is refused: leading isspace blanks, an optional sign,
// at least one decimal digit. After '-' the value is negated modulo 2^64,
// as C does.
func strtoull(s string) (uint64, bool) {
	i := 0
	for i < len(s) && (s[i] == ' ' || s[i] >= '\t' && s[i] <= '\r') {
		i++
	}
	neg := false
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		neg = s[i] == '-'
		i++
	}
	if i == len(s) {
		return 0, false
	}
	for j := i; j < len(s); j++ {
		if s[j] < '0' || s[j] > '9' {
			return 0, false
		}
	}
	v, err := strconv.ParseUint(s[i:], 10, 64)
	if err != nil {
		return 0, false // out of range: ERANGE
	}
	if neg {
		v = -v
	}
	return v, true
}

// parseRangeStart parses the start bound of a range (XRANGE, XREVRANGE,
// XPENDING, XAUTOCLAIM): "-", "+", "ms" (ms-0) or "ms-seq"; or, for an
// exclusive bound, "(" followed by an ID other than "-" and "+". Parts are
// read as [parseRedisID] reads them.
func parseRangeStart(s string) (stream.ID, error) {
	id, exclusive, err := parseBound(s, 0)
	if err != nil || !exclusive {
		return id, err
	}
	next, ok := id.Next()
	if !ok {
		return stream.ID{}, errInvalidStartID
	}
	return next, nil
}

// parseRangeEnd parses the end bound of a range: "+", "-", "ms"
// (ms-18446744073709551615) or "ms-seq"; or "(" followed by an ID other
// than "-" and "+" for an exclusive bound.
func parseRangeEnd(s string) (stream.ID, error) {
	id, exclusive, err := parseBound(s, ^uint64(0))
	if err != nil || !exclusive {
		return id, err
	}
	prev, ok := id.Prev()
	if !ok {
		return stream.ID{}, errInvalidEndID
	}
	return prev, nil
}

// parseBound parses a range bound as Redis's streamParseIntervalIDOrReply:
// a text of two or more bytes starting with '(' is an exclusive bound, the
// rest parsed strictly; anything else is an ID where "-" and "+" are
// allowed.
func parseBound(s string, missingSeq uint64) (id stream.ID, exclusive bool, err error) {
	if len(s) > 1 && s[0] == '(' {
		id, err = parseID(s[1:], missingSeq, true)
		return id, true, err
	}
	id, err = parseID(s, missingSeq, false)
	return id, false, err
}

// parseAddID parses XADD's ID argument: "*", "ms-*", "ms" or "ms-seq", as
// Redis 7.0 reads it: "*" and the seq "*" are compared as C strings (up to a
// NUL byte), and the numbers are read as [parseRedisID] reads them (" 5-*" is
// stream.PartialID(5)). "-" and "+" are invalid.
func parseAddID(s string) (stream.AddID, error) {
	if cString(s) == "*" {
		return stream.AutoID(), nil
	}
	if len(s) > maxIDText {
		return stream.AddID{}, stream.ErrInvalidID
	}
	if ms, ok := strings.CutSuffix(cString(s), "-*"); ok && !strings.Contains(ms, "-") {
		v, ok := parseUint(ms)
		if !ok {
			return stream.AddID{}, stream.ErrInvalidID
		}
		return stream.PartialID(v), nil
	}
	id, err := parseRedisID(s)
	if err != nil {
		return stream.AddID{}, err
	}
	return stream.ExplicitID(id), nil
}
