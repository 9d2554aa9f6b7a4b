package broker

import (
	"encoding/binary"
	"errors"
	"slices"

	"github.com/brookmq/brook/stream"
)

// Record format (one WAL record = one mutation). All integers are varints
// (encoding/binary: Uvarint unsigned, Varint zig-zag signed):
//
//	version  byte    recordVersion (1)
//	kind     byte    opKind, 1..opMax, or opDeadLetter
//	present  uvarint bit set of the optional fields that follow, in bit order
//	key      uvarint length + bytes
//	then, for each bit set in present:
//	  recNow       nowMs                 uvarint
//	  recID        id                    uvarint ms, uvarint seq
//	  recFields    fields                uvarint n, n x (name, value) strings
//	                                     (a stream field list)
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
//	  recDeadLetter (1<<25)              see record_deadletter.go
//
// A field whose value is the zero value is left out, so a record carries only
// what its operation uses. Decoding checks every length against the bytes
// left before allocating, rejects unknown versions, kinds and bits, and
// rejects trailing bytes: it never panics and allocates at most a small
// multiple of the input size.

// recordVersion is the first byte of every record this code writes.
const recordVersion = 1

// opMax is the highest opKind the codec knows.
const opMax = opDeleteEx

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
	recAll = recBatch<<1 - 1 | recDeadAll
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
	if m.kind == opAdd && m.opArgs == nil && m.idmpArgs == nil && m.fields != nil &&
		m.nowMs != 0 && !m.id.IsZero() && m.trim == (stream.Trim{}) {
		return appendAddRecord(b, m)
	}
	return appendAnyRecord(b, m)
}

// addPresent is the present set of a plain XADD's record.
const addPresent = recNow | recID | recFields

// appendAddRecord is appendAnyRecord for a plain XADD (no trim, no IDMP;
// present is addPresent), the record most logged: the same bytes, written
// in place after one check for room, with no capacity check per value. The
// record is written into the log's pending buffer under its lock
// (wal.Log.AppendFunc), so this is on every XADD's path.
func appendAddRecord(b []byte, m *mutation) []byte {
	// Room for the longest encoding: the lengths are summed, each varint
	// counted at its maximum, and b is cut to what was written.
	const v = binary.MaxVarintLen64
	n := 3 + 5*v + len(m.key)
	for _, f := range m.fields {
		n += 2*v + len(f.Name) + len(f.Value)
	}
	off := len(b)
	b = slices.Grow(b, n)
	w := b[off : off+n]
	w[0], w[1], w[2] = recordVersion, byte(opAdd), addPresent
	p := 3 + putString(w[3:], m.key)
	p += binary.PutUvarint(w[p:], m.nowMs)
	p += binary.PutUvarint(w[p:], m.id.Ms)
	p += binary.PutUvarint(w[p:], m.id.Seq)
	p += binary.PutUvarint(w[p:], uint64(len(m.fields)))
	for _, f := range m.fields { // stream.AppendFieldList's encoding
		p += putString(w[p:], f.Name)
		p += putString(w[p:], f.Value)
	}
	return b[:off+p]
}

// putString writes s's length and bytes at the start of w, which has room,
// and returns how many bytes it wrote.
func putString(w []byte, s string) int {
	if len(s) < 0x80 {
		w[0] = byte(len(s))
		return 1 + copy(w[1:], s)
	}
	p := binary.PutUvarint(w, uint64(len(s)))
	return p + copy(w[p:], s)
}

// appendAnyRecord appends the encoding of m to b, whatever m is.
func appendAnyRecord(b []byte, m *mutation) []byte {
	present := presentBits(m) | presentR8(m)
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
	b = appendR8(b, m, present)
	b = appendPolicyFields(b, m, present)
	return appendDeadLetter(b, m, present)
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
	if a := m.opArgs; a != nil {
		set(recIDs, a.ids != nil)
		set(recGroup, a.group != "")
		set(recConsumer, a.consumer != "")
		set(recEntries, a.entriesRead != 0)
		set(recCount, a.count != 0)
		set(recNoAck, a.noAck)
		set(recJustID, a.justID)
		set(recMinIdle, a.minIdleMs != 0)
		c := a.claim
		set(recClaim, c.IdleMs != nil || c.TimeMs != nil || c.RetryCount != nil ||
			c.Force || c.JustID || c.LastID != nil)
		set(recBatch, a.batch != nil)
	}
	return p | policyBits(m) | deadLetterBits(m)
}

// appendFields appends a field list: the encoding is stream's
// (stream.AppendFieldList), so that replay can hand it to
// stream.Stream.AppendList as it is.
func appendFields(b []byte, fields []stream.Field) []byte {
	return stream.AppendFieldList(b, fields)
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
