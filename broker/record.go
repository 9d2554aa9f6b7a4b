package broker

import (
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/brookmq/brook/internal/wire"
	"github.com/brookmq/brook/stream"
)

// Record format (one WAL record = one mutation). All integers are varints
// (encoding/binary: Uvarint unsigned, Varint zig-zag signed):
//
//	version  byte    recordVersion (1)
//	kind     byte    opKind, 1..opMax
//	present  uvarint bit set of the optional fields that follow, in bit order
//	key      uvarint length + bytes
//	then, for each bit set in present:
//	  recNow       nowMs                 uvarint
//	  recID        id                    uvarint ms, uvarint seq
//	  recFields    fields                uvarint n, n x (name, value) strings
//	  recTrim      trim                  strategy byte, maxLen varint, minID,
//	                                     approx byte (0/1), limit varint
//	  recIDs       ids                   uvarint n, n x id
//	  recGroup     group                 string
//	  recConsumer  consumer              string
//	  recEntries   entriesRead           varint
//	  recCount     count                 varint
//	  recNoAck     noAck                 (no payload: the bit is the value)
//	  recJustID    justID                (no payload)
//	  recMinIdle   minIdleMs             uvarint
//	  recClaim     claim options         flags byte, then idle, time, retry
//	                                     (uvarints) and lastID, each if flagged
//	  recBatch     batch                 uvarint n, n x (id, fields as in
//	                                     recFields)
//
// A field whose value is the zero value is left out, so a record carries only
// what its operation uses. Decoding checks every length against the bytes
// left before allocating, rejects unknown versions, kinds and bits, and
// rejects trailing bytes: it never panics and allocates at most a small
// multiple of the input size.

// recordVersion is the first byte of every record this code writes.
const recordVersion = 1

// opMax is the highest opKind the codec knows.
const opMax = opAddBatch

// Presence bits of the optional record fields.
const (
	recNow = 1 << iota
	recID
	recFields
	recTrim
	recIDs
	recGroup
	recConsumer
	recEntries
	recCount
	recNoAck
	recJustID
	recMinIdle
	recClaim
	recBatch
	recAll = recBatch<<1 - 1
)

// Flags of the claim options byte.
const (
	claimIdle = 1 << iota
	claimTime
	claimRetry
	claimForce
	claimJustID
	claimLastID
	claimAll = claimLastID<<1 - 1
)

// ErrCorrupt is returned by [Open] (wrapped with the file, position or field
// at fault) when the data directory cannot be recovered without losing
// data: a snapshot or a log record fails validation (bad checksum, bad
// length, unknown kind), the log is damaged before its end (the error then
// also matches wal.ErrCorrupt and carries a *wal.CorruptError), or the log
// and the snapshots do not join up (a log without its snapshot, a snapshot
// without its log).
var ErrCorrupt = errors.New("broker: corrupt data")

// ErrFormatVersion is returned (wrapped) when a snapshot or a log record was
// written in a format version this code does not know, for example by a newer
// brook.
var ErrFormatVersion = errors.New("broker: unsupported format version")

// appendRecord appends the encoding of m to b.
func appendRecord(b []byte, m *mutation) []byte {
	present := presentBits(m)
	b = append(b, recordVersion, byte(m.kind))
	b = binary.AppendUvarint(b, present)
	b = appendString(b, m.key)
	if present&recNow != 0 {
		b = binary.AppendUvarint(b, m.nowMs)
	}
	if present&recID != 0 {
		b = appendID(b, m.id)
	}
	if present&recFields != 0 {
		b = appendFields(b, m.fields)
	}
	if present&recTrim != 0 {
		b = appendTrim(b, m.trim)
	}
	if present&recIDs != 0 {
		b = binary.AppendUvarint(b, uint64(len(m.ids)))
		for _, id := range m.ids {
			b = appendID(b, id)
		}
	}
	if present&recGroup != 0 {
		b = appendString(b, m.group)
	}
	if present&recConsumer != 0 {
		b = appendString(b, m.consumer)
	}
	if present&recEntries != 0 {
		b = binary.AppendVarint(b, m.entriesRead)
	}
	if present&recCount != 0 {
		b = binary.AppendVarint(b, int64(m.count))
	}
	if present&recMinIdle != 0 {
		b = binary.AppendUvarint(b, m.minIdleMs)
	}
	if present&recClaim != 0 {
		b = appendClaim(b, m.claim)
	}
	if present&recBatch != 0 {
		b = binary.AppendUvarint(b, uint64(len(m.batch)))
		for _, e := range m.batch {
			b = appendFields(appendID(b, e.ID), e.Fields)
		}
	}
	return b
}

// presentBits is the set of m's non-zero optional fields.
func presentBits(m *mutation) uint64 {
	var p uint64
	set := func(bit uint64, ok bool) {
		if ok {
			p |= bit
		}
	}
	set(recNow, m.nowMs != 0)
	set(recID, !m.id.IsZero())
	set(recFields, m.fields != nil)
	set(recTrim, m.trim != stream.Trim{})
	set(recIDs, m.ids != nil)
	set(recGroup, m.group != "")
	set(recConsumer, m.consumer != "")
	set(recEntries, m.entriesRead != 0)
	set(recCount, m.count != 0)
	set(recNoAck, m.noAck)
	set(recJustID, m.justID)
	set(recMinIdle, m.minIdleMs != 0)
	c := m.claim
	set(recClaim, c.IdleMs != nil || c.TimeMs != nil || c.RetryCount != nil ||
		c.Force || c.JustID || c.LastID != nil)
	set(recBatch, m.batch != nil)
	return p
}

func appendFields(b []byte, fields []stream.Field) []byte {
	b = binary.AppendUvarint(b, uint64(len(fields)))
	for _, f := range fields {
		b = appendString(appendString(b, f.Name), f.Value)
	}
	return b
}

func appendString(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

func appendID(b []byte, id stream.ID) []byte {
	return binary.AppendUvarint(binary.AppendUvarint(b, id.Ms), id.Seq)
}

func appendBool(b []byte, v bool) []byte {
	if v {
		return append(b, 1)
	}
	return append(b, 0)
}

func appendTrim(b []byte, t stream.Trim) []byte {
	b = append(b, byte(t.Strategy))
	b = binary.AppendVarint(b, t.MaxLen)
	b = appendID(b, t.MinID)
	b = appendBool(b, t.Approx)
	return binary.AppendVarint(b, t.Limit)
}

func appendClaim(b []byte, c stream.ClaimOptions) []byte {
	var flags byte
	if c.IdleMs != nil {
		flags |= claimIdle
	}
	if c.TimeMs != nil {
		flags |= claimTime
	}
	if c.RetryCount != nil {
		flags |= claimRetry
	}
	if c.Force {
		flags |= claimForce
	}
	if c.JustID {
		flags |= claimJustID
	}
	if c.LastID != nil {
		flags |= claimLastID
	}
	b = append(b, flags)
	for _, p := range []*uint64{c.IdleMs, c.TimeMs, c.RetryCount} {
		if p != nil {
			b = binary.AppendUvarint(b, *p)
		}
	}
	if c.LastID != nil {
		b = appendID(b, *c.LastID)
	}
	return b
}

// decodeRecord decodes one record written by appendRecord. The mutation
// shares no memory with data.
func decodeRecord(data []byte) (mutation, error) {
	var m mutation
	if len(data) < 2 {
		return m, fmt.Errorf("%w: record of %d bytes", ErrCorrupt, len(data))
	}
	if data[0] != recordVersion {
		return m, fmt.Errorf("%w: record version %d", ErrFormatVersion, data[0])
	}
	if data[1] < byte(opAdd) || data[1] > byte(opMax) {
		return m, fmt.Errorf("%w: record kind %d", ErrCorrupt, data[1])
	}
	m.kind = opKind(data[1])
	d := newDecoder(data[2:])
	present := d.Uvarint()
	if present&^recAll != 0 {
		return m, fmt.Errorf("%w: record field bits %#x", ErrCorrupt, present)
	}
	m.key = d.Str()
	decodeFields(&d, &m, present)
	if d.Err() == nil && d.Len() != 0 {
		d.Fail("%d trailing bytes", d.Len())
	}
	if err := d.Err(); err != nil {
		return mutation{}, fmt.Errorf("%w: record: %w", ErrCorrupt, err)
	}
	return m, nil
}

// decodeFields decodes the optional fields named by present into m.
func decodeFields(d *decoder, m *mutation, present uint64) {
	if present&recNow != 0 {
		m.nowMs = d.Uvarint()
	}
	if present&recID != 0 {
		m.id = d.id()
	}
	if present&recFields != 0 {
		m.fields = d.fields()
	}
	if present&recTrim != 0 {
		m.trim = d.trim()
	}
	if present&recIDs != 0 {
		m.ids = d.ids()
	}
	if present&recGroup != 0 {
		m.group = d.Str()
	}
	if present&recConsumer != 0 {
		m.consumer = d.Str()
	}
	if present&recEntries != 0 {
		m.entriesRead = d.Varint()
	}
	if present&recCount != 0 {
		m.count = d.Int()
	}
	m.noAck = present&recNoAck != 0
	m.justID = present&recJustID != 0
	if present&recMinIdle != 0 {
		m.minIdleMs = d.Uvarint()
	}
	if present&recClaim != 0 {
		m.claim = d.claim()
	}
	if present&recBatch != 0 {
		m.batch = make([]stream.Entry, d.Count(3)) // id (2 bytes) and a field count
		for i := range m.batch {
			m.batch[i] = stream.Entry{ID: d.id(), Fields: d.fields()}
		}
	}
}

// decoder reads a record or a snapshot file: a [wire.Reader] (failures not
// wrapped; the callers wrap them in ErrCorrupt) and the record's composite
// values.
type decoder struct {
	wire.Reader
}

func newDecoder(data []byte) decoder { return decoder{wire.NewReader(data, nil)} }

func (d *decoder) fields() []stream.Field {
	fields := make([]stream.Field, d.Count(2)) // a field is at least two empty strings
	for i := range fields {
		fields[i] = stream.Field{Name: d.Str(), Value: d.Str()}
	}
	return fields
}

func (d *decoder) id() stream.ID {
	return stream.ID{Ms: d.Uvarint(), Seq: d.Uvarint()}
}

func (d *decoder) ids() []stream.ID {
	ids := make([]stream.ID, d.Count(2))
	for i := range ids {
		ids[i] = d.id()
	}
	return ids
}

func (d *decoder) trim() stream.Trim {
	var t stream.Trim
	t.Strategy = stream.TrimStrategy(d.Byte())
	if t.Strategy > stream.TrimMinID {
		d.Fail("trim strategy %d", t.Strategy)
	}
	t.MaxLen = d.Varint()
	t.MinID = d.id()
	t.Approx = d.Bool()
	t.Limit = d.Varint()
	return t
}

func (d *decoder) claim() stream.ClaimOptions {
	var c stream.ClaimOptions
	flags := d.Byte()
	if flags&^claimAll != 0 {
		d.Fail("claim flags %#x", flags)
		return c
	}
	ptr := func(bit byte) *uint64 {
		if flags&bit == 0 {
			return nil
		}
		v := d.Uvarint()
		return &v
	}
	c.IdleMs = ptr(claimIdle)
	c.TimeMs = ptr(claimTime)
	c.RetryCount = ptr(claimRetry)
	c.Force = flags&claimForce != 0
	c.JustID = flags&claimJustID != 0
	if flags&claimLastID != 0 {
		id := d.id()
		c.LastID = &id
	}
	return c
}
