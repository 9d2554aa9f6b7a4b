package broker

import (
	"errors"
	"fmt"

	"github.com/brookmq/brook/stream"
)

// ErrEntryTooLarge is returned by [Broker.XAdd] and [Broker.XAddBatch] for
// an entry over the broker's [Limits] (more field-value pairs than
// MaxFields, more bytes of names and values than MaxEntryBytes), or one
// whose log record, key included, would be larger than the log accepts
// (about [MaxBatchBytes]; checked on an in-memory broker too, so both
// kinds accept the same entries). It is returned before anything changes:
// nothing is added, nothing is logged.
var ErrEntryTooLarge = errors.New("broker: entry too large")

// Limits bound what one stream entry may hold. The zero value gives the
// defaults. They are checked before a call changes anything.
type Limits struct {
	// MaxEntryBytes bounds the sum of the lengths of an entry's field names
	// and values. Default (0): [DefaultMaxEntryBytes], 16 MiB. Negative: no
	// limit of its own; an entry must still fit in one log record.
	MaxEntryBytes int

	// MaxFields bounds the number of field-value pairs of an entry.
	// Default (0): [DefaultMaxFields]. Negative: no limit.
	MaxFields int
}

// Defaults of [Limits].
const (
	// DefaultMaxEntryBytes is the default of Limits.MaxEntryBytes: 16 MiB,
	// a quarter of the largest log record.
	DefaultMaxEntryBytes = 16 << 20
	// DefaultMaxFields is the default of Limits.MaxFields.
	DefaultMaxFields = 1 << 16
)

// resolved returns l with its defaults filled in.
func (l Limits) resolved() Limits {
	if l.MaxEntryBytes == 0 {
		l.MaxEntryBytes = DefaultMaxEntryBytes
	}
	if l.MaxFields == 0 {
		l.MaxFields = DefaultMaxFields
	}
	return l
}

// checkEntry returns [ErrNoFields] for an entry without fields, and an
// error wrapping [ErrEntryTooLarge] if an entry of fields added to key
// breaks b's limits or could not be logged as one record.
func (b *Broker) checkEntry(key string, fields []stream.Field) error {
	if len(fields) == 0 {
		return ErrNoFields
	}
	lim := b.limits
	if lim.MaxFields > 0 && len(fields) > lim.MaxFields {
		return fmt.Errorf("%w: %d fields, limit %d", ErrEntryTooLarge, len(fields), lim.MaxFields)
	}
	n := fieldBytes(fields)
	if lim.MaxEntryBytes > 0 && n > lim.MaxEntryBytes {
		return fmt.Errorf("%w: %d bytes of names and values, limit %d", ErrEntryTooLarge, n, lim.MaxEntryBytes)
	}
	if rec := recordBytes(key, n, 1, len(fields)); rec > MaxBatchBytes {
		return fmt.Errorf("%w: its log record would take about %d bytes, limit %d", ErrEntryTooLarge, rec, MaxBatchBytes)
	}
	return nil
}

// fieldBytes is the sum of the lengths of the names and values of fields.
func fieldBytes(fields []stream.Field) int {
	n := 0
	for _, f := range fields {
		n += len(f.Name) + len(f.Value)
	}
	return n
}

// recordBytes bounds from above the size of the log record of entries
// entries with nFields fields and dataBytes bytes of names and values in
// all, added to key: 128 bytes of record header (version, kind, bits, key
// length, clock, trim, count), 32 per entry (ID, field count) and 20 per
// field (two lengths).
func recordBytes(key string, dataBytes, entries, nFields int) int {
	return 128 + len(key) + 32*entries + 20*nFields + dataBytes
}
