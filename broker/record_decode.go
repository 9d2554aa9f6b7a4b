package broker

import (
	"fmt"

	"github.com/brookmq/brook/internal/wire"
	"github.com/brookmq/brook/stream"
)

// decodeRecord decodes one record written by appendRecord (format in
// record.go). The mutation shares no memory with data.
func decodeRecord(data []byte) (mutation, error) {
	var rd recordDecoder
	var m mutation
	if err := rd.decode(&m, data); err != nil {
		return mutation{}, err
	}
	return m, nil
}

// recordDecoder decodes log records. The zero value decodes each record
// into fresh memory. One made by newReplayDecoder serves replay, where
// decoding once cost more than applying: it leaves the fields of XADD and
// XAddBatch records encoded, as [stream.FieldList]s that alias the record
// (mutation.fieldList and batchLists, for [stream.Stream.AppendList], which
// packs them into the stream's block without a []Field or a string per
// field), reuses its slice of batch entries from one record to the next,
// and returns the key, group and consumer of the last record again when the
// next one repeats them (strings are immutable: sharing them is safe). Such
// a mutation is valid until the next decode, and while the record's bytes
// are unchanged. A recordDecoder is not safe for concurrent use.
type recordDecoder struct {
	borrow bool
	lists  []listEntry // borrow: the batch entries of the last record

	key, group, consumer string // of the last record

	args opArgs // borrow: the arguments of the last record

	// borrow: plain is set for a record whose only arguments are an
	// XADD's (no bit but recNow, recID, recFields, recTrim), which sets
	// args.fieldList alone; dirty says args may hold more, from an earlier
	// record. A run of plain records then reuses args without clearing
	// them (about 200 bytes with pointers, a write barrier each while the
	// collector runs).
	plain, dirty bool
}

// plainBits are the record fields of a plain XADD (see recordDecoder.plain).
const plainBits = recNow | recID | recFields | recTrim

// argBits are the record fields kept in a mutation's opArgs.
const argBits = recIDs | recGroup | recConsumer | recEntries | recCount | recNoAck | recJustID |
	recMinIdle | recClaim | recBatch

// argsOf returns m's opArgs, adding them: the decoder's own for replay
// (reset for each record), fresh ones otherwise.
func (rd *recordDecoder) argsOf(m *mutation) *opArgs {
	if m.opArgs == nil {
		if rd.borrow {
			if !rd.plain || rd.dirty {
				rd.args = opArgs{}
			}
			rd.dirty = !rd.plain
			m.opArgs = &rd.args
		} else {
			m.opArgs = new(opArgs)
		}
	}
	return m.opArgs
}

// listEntry is a logged entry whose fields are still encoded.
type listEntry struct {
	id     stream.ID
	fields stream.FieldList
}

// newReplayDecoder returns a decoder that leaves fields encoded and reuses
// its memory (see recordDecoder).
func newReplayDecoder() *recordDecoder {
	return &recordDecoder{borrow: true, lists: make([]listEntry, 0, 16)}
}

// decode decodes one record into *m, which must be the zero mutation (a
// fresh variable: the caller may keep it on its stack, where zeroing it
// costs no write barrier). Errors wrap ErrCorrupt, or ErrFormatVersion for
// an unknown record version; m is then undefined.
func (rd *recordDecoder) decode(m *mutation, data []byte) error {
	if len(data) < 2 {
		return fmt.Errorf("%w: record of %d bytes", ErrCorrupt, len(data))
	}
	if data[0] != recordVersion {
		return fmt.Errorf("%w: record version %d", ErrFormatVersion, data[0])
	}
	if !knownKind(data[1]) {
		return fmt.Errorf("%w: record kind %d", ErrCorrupt, data[1])
	}
	m.kind = opKind(data[1])
	var d decoder
	d.Reader = wire.NewReader(data[2:], nil)
	present := d.Uvarint()
	if present&^(recAll|recR8All|recPolicyAll) != 0 {
		return fmt.Errorf("%w: record field bits %#x", ErrCorrupt, present)
	}
	m.key = intern(&rd.key, d.Bytes())
	rd.plain = present&^plainBits == 0
	rd.decodeFields(&d, m, present)
	if d.Err() == nil && d.Len() != 0 {
		d.Fail("%d trailing bytes", d.Len())
	}
	if err := d.Err(); err != nil {
		return fmt.Errorf("%w: record: %w", ErrCorrupt, err)
	}
	return nil
}

// decodeFields decodes the optional fields named by present into m.
func (rd *recordDecoder) decodeFields(d *decoder, m *mutation, present uint64) {
	if present&recNow != 0 {
		m.nowMs = d.Uvarint()
	}
	if present&recID != 0 {
		m.id = d.id()
	}
	if present&recFields != 0 {
		if rd.borrow {
			rd.argsOf(m).fieldList = fieldList(d)
		} else {
			m.fields = readFields(d)
		}
	}
	if present&recTrim != 0 {
		m.trim = d.trim()
	}
	if present&argBits != 0 || readsArgs(m.kind) {
		rd.decodeArgs(d, rd.argsOf(m), present)
	}
	decodeR8(d, m, present)
	rd.decodePolicyFields(d, m, present)
	decodeDeadLetter(d, m, present)
}

// readsArgs reports whether apply reads the opArgs of a mutation of kind
// k. Such a record decodes with opArgs even when none of its arguments is
// set: an XDELEX of no IDs is logged when the stream's Acked bound frees
// entries after it (apply's freesAcked), and its record has no argument.
func readsArgs(k opKind) bool {
	switch k {
	case opAdd, opTrim, opCreateStream, opDeleteKey, opIdmpConfig, opRetention, opIdmpExpire, opIdmpDuplicate:
		return false
	}
	return true
}

// decodeArgs decodes the optional fields kept in opArgs.
func (rd *recordDecoder) decodeArgs(d *decoder, a *opArgs, present uint64) {
	if present&recIDs != 0 {
		a.ids = d.ids()
	}
	if present&recGroup != 0 {
		a.group = intern(&rd.group, d.Bytes())
	}
	if present&recConsumer != 0 {
		a.consumer = intern(&rd.consumer, d.Bytes())
	}
	if present&recEntries != 0 {
		a.entriesRead = d.Varint()
	}
	if present&recCount != 0 {
		a.count = d.Int()
	}
	a.noAck = present&recNoAck != 0
	a.justID = present&recJustID != 0
	if present&recMinIdle != 0 {
		a.minIdleMs = d.Uvarint()
	}
	if present&recClaim != 0 {
		a.claim = d.claim()
	}
	if present&recBatch != 0 {
		if rd.borrow {
			a.batchLists = rd.readBatchLists(d)
		} else {
			a.batch = readBatch(d)
		}
	}
}

// readBatch reads the entries of an XAddBatch record.
func readBatch(d *decoder) []stream.Entry {
	batch := make([]stream.Entry, d.Count(3)) // id (2 bytes) and a field count
	for i := range batch {
		batch[i] = stream.Entry{ID: d.id(), Fields: readFields(d)}
	}
	return batch
}

// readBatchLists reads the entries of an XAddBatch record into rd.lists,
// their fields left encoded.
func (rd *recordDecoder) readBatchLists(d *decoder) []listEntry {
	n := d.Count(3)
	rd.lists = rd.lists[:0]
	for range n {
		rd.lists = append(rd.lists, listEntry{id: d.id(), fields: fieldList(d)})
	}
	return rd.lists
}

// readFields reads a field list into new Fields.
func readFields(d *decoder) []stream.Field {
	fields := make([]stream.Field, d.Count(2)) // a field is at least two empty strings
	for i := range fields {
		fields[i] = stream.Field{Name: d.Str(), Value: d.Str()}
	}
	return fields
}

// fieldList reads a field list as it is, checked, aliasing the record.
func fieldList(d *decoder) stream.FieldList {
	if d.Err() != nil {
		return stream.FieldList{}
	}
	list, rest, err := stream.CutFieldList(d.Rest())
	if err != nil {
		d.Fail("%w", err)
		return stream.FieldList{}
	}
	d.Next(d.Len() - len(rest))
	return list
}

// appendLogged appends the entries of an opAdd or opAddBatch mutation to s,
// from fields and batch or, if the replay decoder left them encoded (fields
// and batch are then nil), from fieldList and batchLists. It stops at the
// first error.
func appendLogged(s *stream.Stream, m *mutation) error {
	switch {
	case m.kind == opAdd && (m.fields != nil || m.opArgs == nil):
		return s.Append(m.id, m.fields)
	case m.kind == opAdd:
		return s.AppendList(m.id, m.fieldList) // a zero list: no fields
	case m.batch != nil:
		for _, e := range m.batch {
			if err := s.Append(e.ID, e.Fields); err != nil {
				return err
			}
		}
	default:
		for _, e := range m.batchLists {
			if err := s.AppendList(e.id, e.fields); err != nil {
				return err
			}
		}
	}
	return nil
}

// intern returns b as a string: *last if it holds the same bytes, else a new
// string, which becomes *last.
func intern(last *string, b []byte) string {
	if string(b) != *last { // compared without a conversion
		*last = string(b)
	}
	return *last
}

// decoder reads a record or a snapshot file: a [wire.Reader] (failures not
// wrapped; the callers wrap them in ErrCorrupt) and the record's composite
// values.
type decoder struct {
	wire.Reader
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
