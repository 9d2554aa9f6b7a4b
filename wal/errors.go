package wal

import (
	"errors"
	"fmt"
	"io"
)

// Sentinel errors. Test for them with [errors.Is]; the log wraps them with
// context (segment file, offset, cause).
var (
	// ErrClosed is returned by every method of a [Log] after [Log.Close],
	// and by [Log.Wait] for records that were not durable when the log closed.
	ErrClosed = errors.New("wal: closed")

	// ErrCorrupt is wrapped by the *[CorruptError] that [Open] returns when a
	// segment holds an invalid record (bad checksum, impossible length, wrong
	// position) that cannot be a torn tail, when its records stop (in zeros
	// or at the end of the file) before its mark or its successor says they
	// reach, or when a segment header is invalid or incomplete; by
	// [Log.Replay] when a segment changed on disk after Open; and by
	// [DecodeRecord] for a frame whose length or checksum is invalid.
	ErrCorrupt = errors.New("wal: corrupt log")

	// ErrTooLarge is returned by [Log.Append] for a record longer than
	// [Options.MaxRecordSize]. The log is unchanged.
	ErrTooLarge = errors.New("wal: record too large")

	// ErrPoisoned is wrapped, with the cause, by the sticky error a log keeps
	// after a write or fsync failed. Every later Append, Wait and Sync returns
	// that error; the log must be closed and reopened, which recovers what
	// reached the disk. A failed fsync is never retried.
	ErrPoisoned = errors.New("wal: log poisoned by an earlier I/O error")

	// ErrVersion is returned by [Open] for a segment with a valid header of a
	// format version this package does not know (written by a newer brook).
	// Repair never touches such a log.
	ErrVersion = errors.New("wal: unsupported segment format version")

	// ErrCompacted is returned by [Log.Replay] when asked to start before
	// [Log.FirstPos]: the records in between were removed by
	// [Log.TruncateFront] and replaying from there would silently skip them.
	ErrCompacted = errors.New("wal: records before the first position were truncated")

	// ErrLocked is wrapped by the error [FS.Lock] returns when another
	// holder, in this process or another one, has the directory's lock.
	ErrLocked = errors.New("wal: directory is locked by another holder")
)

// CorruptError describes where [Open] (or [Log.Replay]) found the log invalid.
// It wraps [ErrCorrupt] and the precise decoding failure.
type CorruptError struct {
	Segment string // segment file name (base name, inside the log directory)
	Offset  int64  // byte offset of the invalid record or header in Segment
	Pos     uint64 // log position the record at Offset should have held
	Err     error  // what was wrong
}

// Error implements error. It says where the log is damaged and what a
// repair ([Options.Repair]) would discard.
func (e *CorruptError) Error() string {
	return fmt.Sprintf("wal: corrupt log: segment %s offset %d (position %d): %v; "+
		"repair (Options.Repair) discards the records from position %d to the end of the log, keeping copies as *.broken",
		e.Segment, e.Offset, e.Pos, e.Err, e.Pos)
}

// Unwrap returns [ErrCorrupt] and the underlying failure, so errors.Is works
// for both.
func (e *CorruptError) Unwrap() []error { return []error{ErrCorrupt, e.Err} }

// Decoding failures inside a segment. errTruncated is the only one that can
// be a torn write; the others are corruption unless they sit at the very end
// of the last segment with nothing valid after them.
var (
	errTruncated = fmt.Errorf("record extends past the end of the file: %w", io.ErrUnexpectedEOF)
	errLength    = errors.New("record length over the hard maximum")
	errChecksum  = errors.New("record checksum mismatch")
	errPosition  = errors.New("record has the wrong log position")
	errHeader    = errors.New("invalid segment header")
	errLost      = errors.New("synced records missing")
)
