package broker

import (
	"errors"
	"fmt"
	"time"

	"github.com/brookmq/brook/stream"
	"github.com/brookmq/brook/wal"
)

// The value types a program holds. They are defined by the engine packages
// (stream, wal) and named here, so that a program needs no other import.

// ID is a stream entry ID, milliseconds and a sequence number ("1700000000000-0").
type ID = stream.ID

// Field is one field-value pair of an entry.
type Field = stream.Field

// Entry is a stream entry: its ID and its field-value pairs, in order.
type Entry = stream.Entry

// AddID is the ID requested for a new entry: [AutoID] ("*", the zero value),
// [PartialID] ("ms-*") or [ExplicitID].
type AddID = stream.AddID

// Trim is a trimming rule (MAXLEN or MINID, exact or "~" approximate, with
// an optional LIMIT, and what to do about consumer groups that reference the
// trimmed entries: Ref, a [RefMode] of Redis 8.2); the zero value trims
// nothing.
type Trim = stream.Trim

// TrimStrategy says what a [Trim] bounds.
type TrimStrategy = stream.TrimStrategy

// Trim strategies.
const (
	TrimNone   = stream.TrimNone   // no trimming
	TrimMaxLen = stream.TrimMaxLen // MAXLEN: keep the newest MaxLen entries
	TrimMinID  = stream.TrimMinID  // MINID: drop entries below MinID
)

// FsyncPolicy is when a durable broker's log fsyncs, named after Redis's
// appendfsync: [FsyncAlways] (the zero value), [FsyncEverySec], [FsyncNo].
type FsyncPolicy = wal.FsyncPolicy

// Fsync policies; see [DurabilityOptions].Fsync for what each promises.
const (
	FsyncAlways   = wal.FsyncAlways
	FsyncEverySec = wal.FsyncEverySec
	FsyncNo       = wal.FsyncNo
)

// FS is the file system under a durable broker's data directory
// ([DurabilityOptions].FS): the operating system's by default, or a
// fault-injecting one in tests (package wal/faultfs).
type FS = wal.FS

// StreamInfo is XINFO STREAM's reply.
type StreamInfo = stream.Info

// GroupInfo is one group of XINFO GROUPS's reply.
type GroupInfo = stream.GroupInfo

// PendingSummary is XPENDING's summary: how many entries are pending, the
// smallest and largest pending ID, and how many each consumer has.
type PendingSummary = stream.PendingSummary

// ConsumerCount is one consumer's number of pending entries in a
// [PendingSummary].
type ConsumerCount = stream.ConsumerCount

// MinID and MaxID are the smallest and largest IDs (Redis's "-" and "+").
var (
	MinID = stream.MinID
	MaxID = stream.MaxID
)

// ParseID parses an ID as [ID.String] writes it: "ms-seq", or "ms" (seq 0).
// Anything else is [ErrInvalidID].
func ParseID(s string) (ID, error) { return stream.ParseID(s) }

// AutoID is "*": an ID from the broker clock, greater than the last one.
func AutoID() AddID { return stream.AutoID() }

// PartialID is "ms-*": the next sequence number within millisecond ms.
func PartialID(ms uint64) AddID { return stream.PartialID(ms) }

// ExplicitID is an explicit ID, which must be greater than the stream's last.
func ExplicitID(id ID) AddID { return stream.ExplicitID(id) }

// Errors of the streams API. Each is returned wrapped or as is; test with
// [errors.Is]. The same condition gives the same error from every method.
var (
	// ErrInvalidArgument is returned, wrapped with the reason, for an
	// argument or option outside its domain: an unknown policy or trim
	// strategy, a negative count, duration or limit, a [Position] the
	// method does not take. Nothing changes.
	ErrInvalidArgument = errors.New("broker: invalid argument")

	// ErrNoFields is returned by [Broker.XAdd] and [Broker.XAddBatch] for
	// an entry without any field-value pair, which Redis cannot hold.
	ErrNoFields = errors.New("broker: an entry needs at least one field")

	// ErrNoGroup is returned when a consumer group does not exist on an
	// existing key. (A missing key is [ErrNoStream] everywhere.)
	ErrNoGroup = stream.ErrNoGroup

	// ErrGroupExists is returned by [Broker.XGroupCreate] for a group name
	// already in use on the key.
	ErrGroupExists = stream.ErrGroupExists

	// ErrInvalidID is returned by [ParseID] for a malformed ID.
	ErrInvalidID = stream.ErrInvalidID

	// ErrIDZero is returned by [Broker.XAdd] for the explicit ID 0-0.
	ErrIDZero = stream.ErrIDZero

	// ErrIDTooSmall is returned by [Broker.XAdd] for an explicit ID not
	// greater than the stream's last ID.
	ErrIDTooSmall = stream.ErrIDTooSmall

	// ErrExhausted is returned by [Broker.XAdd] when the stream's last ID is
	// the largest possible one.
	ErrExhausted = stream.ErrExhausted

	// ErrSeqExhausted is returned by [Broker.XAdd] with a [PartialID] whose
	// millisecond has no sequence number left.
	ErrSeqExhausted = stream.ErrTooLarge

	// ErrEntriesRead is returned for an EntriesRead below -1.
	ErrEntriesRead = stream.ErrEntriesRead

	// ErrPoisoned is returned (wrapped) by every change once the log of a
	// durable broker failed a write or an fsync: reopen the broker.
	ErrPoisoned = wal.ErrPoisoned
)

// invalid returns an error wrapping [ErrInvalidArgument].
func invalid(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrInvalidArgument}, args...)...)
}

// checkCount enforces the one rule for counts: 0 means no limit, a negative
// count is an error.
func checkCount(what string, n int) error {
	if n < 0 {
		return invalid("negative %s %d", what, n)
	}
	return nil
}

// limit is a checked count as the engine takes it: a count <= 0 means no
// limit there too, except where noted at the call.
func limit(n int) int {
	if n == 0 {
		return maxCount
	}
	return n
}

// maxCount stands for "no limit" where the engine needs a number.
const maxCount = int(^uint32(0) >> 1)

// checkTrim validates a trimming rule.
func checkTrim(t Trim) error {
	switch t.Strategy {
	case TrimNone, TrimMaxLen, TrimMinID:
	default:
		return invalid("unknown trim strategy %d", t.Strategy)
	}
	if t.Strategy == TrimMaxLen && t.MaxLen < 0 {
		return invalid("negative MaxLen %d", t.MaxLen)
	}
	return checkRef(t.Ref)
}

// msOf converts an instant to Unix milliseconds as the engine keeps them
// (instants before 1970 count as 0).
func msOf(t time.Time) uint64 { return uint64(max(t.UnixMilli(), 0)) }

// timeOf converts the engine's Unix milliseconds to an instant.
func timeOf(ms uint64) time.Time { return time.UnixMilli(int64(ms)) }

// durationMs converts a non-negative duration to whole milliseconds.
func durationMs(d time.Duration) uint64 {
	if d <= 0 {
		return 0
	}
	return uint64(d / time.Millisecond)
}

// Position says where a read starts, or where a consumer group stands. The
// zero value is After(0-0): the beginning of the stream.
type Position struct {
	kind positionKind
	id   ID
}

type positionKind uint8

const (
	posAfter       positionKind = iota // entries after id
	posLatest                          // "$"
	posLastEntry                       // "+"
	posUndelivered                     // ">"
)

// After is the position after id: a read returns entries with greater IDs
// (Redis: the ID argument); a group created or set at After(id) delivers
// next the entries after id.
func After(id ID) Position { return Position{kind: posAfter, id: id} }

// Latest is "$": after the stream's last entry at the time of the call, so
// a read returns only entries added later ([Broker.XRead], and
// [Broker.XGroupCreate] or [Broker.XGroupSetID] to skip the history).
func Latest() Position { return Position{kind: posLatest} }

// LastEntry is "+" (Redis 7.4): [Broker.XRead] returns the stream's last
// entry; blocking on an empty stream, it waits like Latest.
func LastEntry() Position { return Position{kind: posLastEntry} }

// Undelivered is ">": [Broker.XReadGroup] delivers entries never delivered
// to the group. With [After] it reads the consumer's own pending entries
// instead (its history).
func Undelivered() Position { return Position{kind: posUndelivered} }

// String returns the position as Redis writes it ("$", "+", ">" or the ID).
func (p Position) String() string {
	switch p.kind {
	case posLatest:
		return "$"
	case posLastEntry:
		return "+"
	case posUndelivered:
		return ">"
	}
	return p.id.String()
}
