package stream

import "errors"

// CONTRACT STUBS: bodies are filled in by the stream implementers; the
// signatures are what broker relies on. Change a signature only together with
// its callers.

// Errors returned by stream operations.
var (
	// ErrIDZero: the explicit ID 0-0 was given to XADD.
	ErrIDZero = errors.New("stream: the ID specified in XADD must be greater than 0-0")
	// ErrIDTooSmall: the ID is equal or smaller than the stream's last generated ID.
	ErrIDTooSmall = errors.New("stream: the ID specified in XADD is equal or smaller than the target stream top item")
	// ErrExhausted: the last generated ID is the maximum ID.
	ErrExhausted = errors.New("stream: the stream has exhausted the last possible ID, unable to add more items")
	// ErrTooLarge: a partial ID "ms-*" whose sequence would overflow.
	ErrTooLarge = errors.New("stream: elements are too large to be stored")
)

// Field is one name/value pair of an entry.
type Field struct {
	Name, Value string
}

// Entry is a stream entry. Fields is nil for an entry that is pending in a
// group but was deleted from the stream (history reads report it that way).
type Entry struct {
	ID     ID
	Fields []Field
}

// TrimStrategy selects how [Trim] limits a stream.
type TrimStrategy uint8

// Trim strategies.
const (
	TrimNone   TrimStrategy = iota // no trimming
	TrimMaxLen                     // keep the MaxLen newest entries
	TrimMinID                      // remove entries with an ID lower than MinID
)

// Trim describes XADD/XTRIM trimming. The zero Trim trims nothing.
type Trim struct {
	Strategy TrimStrategy
	MaxLen   int64 // TrimMaxLen: entries to keep, >= 0
	MinID    ID    // TrimMinID: lowest ID kept
	Approx   bool  // "~": remove only whole blocks
	Limit    int64 // with Approx: at most this many removed; 0 = default (100 x block size)
}

// Stream is one stream: entries in a B-tree of packed blocks, metadata and
// consumer groups. It is deterministic (time is passed in) and not safe for
// concurrent use.
type Stream struct {
	grp groups // consumer groups (group.go)
}

// New returns an empty stream.
func New() *Stream { panic("unimplemented") }

// NextID resolves spec against the last generated ID; nowMs is the clock for "*".
func (s *Stream) NextID(spec AddID, nowMs uint64) (ID, error) { panic("unimplemented") }

// Append adds an entry with an already resolved id (> LastID, else ErrIDTooSmall).
func (s *Stream) Append(id ID, fields []Field) error { panic("unimplemented") }

// Trim applies t and returns how many entries it removed.
func (s *Stream) Trim(t Trim) int64 { panic("unimplemented") }

// Delete removes the given IDs (XDEL) and returns how many existed.
func (s *Stream) Delete(ids ...ID) int64 { panic("unimplemented") }

// Len is the number of entries.
func (s *Stream) Len() int64 { panic("unimplemented") }

// LastID is the last generated ID (survives deletion and trimming).
func (s *Stream) LastID() ID { panic("unimplemented") }

// Range returns up to count (<= 0: all) entries with start <= ID <= end, oldest first.
func (s *Stream) Range(start, end ID, count int) []Entry { panic("unimplemented") }

// RevRange returns up to count (<= 0: all) entries with start <= ID <= end, newest first.
func (s *Stream) RevRange(end, start ID, count int) []Entry { panic("unimplemented") }

// Clone returns a copy-on-write copy for a consistent snapshot.
func (s *Stream) Clone() *Stream { panic("unimplemented") }
