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

// ParseID parses "ms-seq", or "ms" alone meaning ms-0. Anything else,
// including numbers out of uint64 range, gives [ErrInvalidID].
func ParseID(s string) (ID, error) {
	return parseID(s, 0)
}

// parseID parses "ms-seq" or "ms", using missingSeq when the sequence is absent.
func parseID(s string, missingSeq uint64) (ID, error) {
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

// parseUint accepts only decimal digits (no sign, no spaces) within uint64.
func parseUint(s string) (uint64, bool) {
	if s == "" {
		return 0, false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, false
		}
	}
	v, err := strconv.ParseUint(s, 10, 64)
	return v, err == nil
}

// ParseRangeStart parses the start bound of a range: "-", "ms" (ms-0),
// "ms-seq", each optionally preceded by "(" for an exclusive bound.
func ParseRangeStart(s string) (ID, error) {
	if s == "-" {
		return MinID, nil
	}
	if s == "+" {
		return MaxID, nil
	}
	exclusive := strings.HasPrefix(s, "(")
	if exclusive {
		s = s[1:]
	}
	id, err := parseID(s, 0)
	if err != nil || !exclusive {
		return id, err
	}
	next, ok := id.Next()
	if !ok {
		return ID{}, ErrInvalidStart
	}
	return next, nil
}

// ParseRangeEnd parses the end bound of a range: "+", "ms"
// (ms-18446744073709551615), "ms-seq", each optionally preceded by "(" for an
// exclusive bound.
func ParseRangeEnd(s string) (ID, error) {
	if s == "+" {
		return MaxID, nil
	}
	if s == "-" {
		return MinID, nil
	}
	exclusive := strings.HasPrefix(s, "(")
	if exclusive {
		s = s[1:]
	}
	id, err := parseID(s, ^uint64(0))
	if err != nil || !exclusive {
		return id, err
	}
	prev, ok := id.Prev()
	if !ok {
		return ID{}, ErrInvalidEnd
	}
	return prev, nil
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

// ParseAddID parses XADD's ID argument: "*", "ms-*", "ms" or "ms-seq".
func ParseAddID(s string) (AddID, error) {
	if s == "*" {
		return AutoID(), nil
	}
	if ms, ok := strings.CutSuffix(s, "-*"); ok {
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
