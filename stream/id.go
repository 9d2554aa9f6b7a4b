package stream

import (
	"errors"
	"strconv"
	"strings"
)

// ID identifies a stream entry: milliseconds and a sequence number, ordered
// by Ms then Seq. The zero ID (0-0) is never the ID of an entry.
type ID struct {
	Ms, Seq uint64
}

// MinID and MaxID are the smallest and largest IDs ("-" and "+").
var (
	MinID = ID{}
	MaxID = ID{Ms: ^uint64(0), Seq: ^uint64(0)}
)

// Errors returned when parsing IDs.
var (
	// ErrInvalidID is returned for text that is not a valid stream ID.
	ErrInvalidID = errors.New("stream: invalid stream ID")
	// ErrInvalidStart is returned for an exclusive start bound "(" on the maximum ID.
	ErrInvalidStart = errors.New("stream: invalid start ID for the interval")
	// ErrInvalidEnd is returned for an exclusive end bound "(" on 0-0.
	ErrInvalidEnd = errors.New("stream: invalid end ID for the interval")
)

// String formats id as "ms-seq".
func (id ID) String() string {
	return string(id.AppendText(nil))
}

// AppendText appends "ms-seq" to b.
func (id ID) AppendText(b []byte) []byte {
	b = strconv.AppendUint(b, id.Ms, 10)
	b = append(b, '-')
	return strconv.AppendUint(b, id.Seq, 10)
}

// Compare returns -1, 0 or +1 as id is less than, equal to or greater than o.
func (id ID) Compare(o ID) int {
	switch {
	case id.Ms < o.Ms:
		return -1
	case id.Ms > o.Ms:
		return 1
	case id.Seq < o.Seq:
		return -1
	case id.Seq > o.Seq:
		return 1
	}
	return 0
}

// Less reports whether id sorts before o.
func (id ID) Less(o ID) bool { return id.Compare(o) < 0 }

// IsZero reports whether id is 0-0.
func (id ID) IsZero() bool { return id == ID{} }

// Next returns the ID right after id; ok is false when id is MaxID.
func (id ID) Next() (next ID, ok bool) {
	switch {
	case id.Seq < ^uint64(0):
		return ID{id.Ms, id.Seq + 1}, true
	case id.Ms < ^uint64(0):
		return ID{id.Ms + 1, 0}, true
	}
	return id, false
}

// Prev returns the ID right before id; ok is false when id is 0-0.
func (id ID) Prev() (prev ID, ok bool) {
	switch {
	case id.Seq > 0:
		return ID{id.Ms, id.Seq - 1}, true
	case id.Ms > 0:
		return ID{id.Ms - 1, ^uint64(0)}, true
	}
	return id, false
}

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

// ParseID parses an ID as XADD, XREAD, XACK, XDEL, XCLAIM or MINID take it:
// "ms-seq", or "ms" alone meaning ms-0, each part read as Redis 7.0 reads
// it (see the rules above: leading blanks and a '+' are accepted). "-" and
// "+" alone, and anything else Redis refuses, give [ErrInvalidID].
func ParseID(s string) (ID, error) {
	return parseID(s, 0, true)
}

// ParseLooseID is [ParseID] where "-" and "+" alone are also accepted, as
// [MinID] and [MaxID] (XGROUP SETID).
func ParseLooseID(s string) (ID, error) {
	return parseID(s, 0, false)
}

// parseID parses an ID argument, using missingSeq when the sequence is
// absent. strict refuses "-" and "+".
func parseID(s string, missingSeq uint64, strict bool) (ID, error) {
	if len(s) > maxIDText {
		return ID{}, ErrInvalidID
	}
	s = cString(s)
	switch s {
	case "-", "+":
		if strict {
			return ID{}, ErrInvalidID
		}
		if s == "-" {
			return MinID, nil
		}
		return MaxID, nil
	}
	msText, seqText, hasSeq := strings.Cut(s, "-")
	ms, ok := parseUint(msText)
	if !ok {
		return ID{}, ErrInvalidID
	}
	if !hasSeq {
		return ID{ms, missingSeq}, nil
	}
	seq, ok := parseUint(seqText)
	if !ok {
		return ID{}, ErrInvalidID
	}
	return ID{ms, seq}, nil
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

// ParseRangeStart parses the start bound of a range (XRANGE, XREVRANGE,
// XPENDING, XAUTOCLAIM): "-", "+", "ms" (ms-0) or "ms-seq"; or, for an
// exclusive bound, "(" followed by an ID other than "-" and "+". Parts are
// read as [ParseID] reads them.
func ParseRangeStart(s string) (ID, error) {
	id, exclusive, err := parseBound(s, 0)
	if err != nil || !exclusive {
		return id, err
	}
	next, ok := id.Next()
	if !ok {
		return ID{}, ErrInvalidStart
	}
	return next, nil
}

// ParseRangeEnd parses the end bound of a range: "+", "-", "ms"
// (ms-18446744073709551615) or "ms-seq"; or "(" followed by an ID other
// than "-" and "+" for an exclusive bound.
func ParseRangeEnd(s string) (ID, error) {
	id, exclusive, err := parseBound(s, ^uint64(0))
	if err != nil || !exclusive {
		return id, err
	}
	prev, ok := id.Prev()
	if !ok {
		return ID{}, ErrInvalidEnd
	}
	return prev, nil
}

// parseBound parses a range bound as Redis's streamParseIntervalIDOrReply:
// a text of two or more bytes starting with '(' is an exclusive bound, the
// rest parsed strictly; anything else is an ID where "-" and "+" are
// allowed.
func parseBound(s string, missingSeq uint64) (id ID, exclusive bool, err error) {
	if len(s) > 1 && s[0] == '(' {
		id, err = parseID(s[1:], missingSeq, true)
		return id, true, err
	}
	id, err = parseID(s, missingSeq, false)
	return id, false, err
}

// AddID is how XADD chooses the new entry's ID: automatic ("*"), partial
// ("ms-*": the stream picks the sequence) or explicit ("ms-seq"). The zero
// AddID is automatic.
type AddID struct {
	kind addKind
	id   ID
}

type addKind uint8

const (
	addAuto addKind = iota
	addPartial
	addExplicit
)

// AutoID lets the stream choose the ID from the clock ("*").
func AutoID() AddID { return AddID{} }

// PartialID fixes the milliseconds and lets the stream choose the sequence ("ms-*").
func PartialID(ms uint64) AddID { return AddID{kind: addPartial, id: ID{Ms: ms}} }

// ExplicitID asks for exactly id.
func ExplicitID(id ID) AddID { return AddID{kind: addExplicit, id: id} }

// ParseAddID parses XADD's ID argument: "*", "ms-*", "ms" or "ms-seq", as
// Redis 7.0 reads it: "*" and the seq "*" are compared as C strings (up to a
// NUL byte), and the numbers are read as [ParseID] reads them (" 5-*" is
// PartialID(5)). "-" and "+" are invalid.
func ParseAddID(s string) (AddID, error) {
	if cString(s) == "*" {
		return AutoID(), nil
	}
	if len(s) > maxIDText {
		return AddID{}, ErrInvalidID
	}
	if ms, ok := strings.CutSuffix(cString(s), "-*"); ok && !strings.Contains(ms, "-") {
		v, ok := parseUint(ms)
		if !ok {
			return AddID{}, ErrInvalidID
		}
		return PartialID(v), nil
	}
	id, err := ParseID(s)
	if err != nil {
		return AddID{}, err
	}
	return ExplicitID(id), nil
}

// String formats a as XADD takes it.
func (a AddID) String() string {
	switch a.kind {
	case addPartial:
		return strconv.FormatUint(a.id.Ms, 10) + "-*"
	case addExplicit:
		return a.id.String()
	}
	return "*"
}
