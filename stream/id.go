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

// ErrInvalidID is returned by [ParseID] for text that is not a stream ID.
var ErrInvalidID = errors.New("stream: invalid stream ID")

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

// ParseID parses an ID in the form [ID.String] writes: "ms-seq", or "ms"
// alone meaning ms-0, each part decimal digits within 64 bits. Anything else
// is [ErrInvalidID]. (Redis's argument forms, "-", "+", "(" bounds and its
// lenient number parsing, are Redis command syntax: package command.)
func ParseID(s string) (ID, error) {
	msText, seqText, hasSeq := strings.Cut(s, "-")
	ms, ok := decimal(msText)
	if !ok {
		return ID{}, ErrInvalidID
	}
	if !hasSeq {
		return ID{ms, 0}, nil
	}
	seq, ok := decimal(seqText)
	if !ok {
		return ID{}, ErrInvalidID
	}
	return ID{ms, seq}, nil
}

// decimal parses digits only (no sign, no blank) within 64 bits.
func decimal(s string) (uint64, bool) {
	if s == "" || s[0] < '0' || s[0] > '9' {
		return 0, false
	}
	v, err := strconv.ParseUint(s, 10, 64)
	return v, err == nil
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
