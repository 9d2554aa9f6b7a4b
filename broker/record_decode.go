package broker

import (
	"fmt"
	"unsafe"

	"github.com/brookmq/brook/internal/wire"
	"github.com/brookmq/brook/stream"
)

// decodeRecord decodes one record written by appendRecord (format in
// record.go). The mutation shares no memory with data.
func decodeRecord(data []byte) (mutation, error) {
	var rd recordDecoder
	m, err := rd.decode(data)
	if err != nil {
		return mutation{}, err
	}
	return *m, nil
}

// recordDecoder decodes log records. The zero value decodes each record
// into fresh memory. One made by newReplayDecoder serves replay, where
// decoding allocated more than applying did: it reuses its mutation and its
// field and entry slices from one record to the next, keeps the key, group,
// consumer and field names of the last record and returns them again when
// the next record repeats them (strings are immutable: sharing them is
// safe), and returns field values that alias the record's bytes. Such a
// mutation is valid only until the next decode and while the record's bytes
// are unchanged, and its fields must be copied by whoever keeps them, as
// [stream.Stream.Append] does. A recordDecoder is not safe for concurrent
// use.
type recordDecoder struct {
	borrow bool
	m      mutation
	fields []stream.Field // borrow: the fields of the last record
	batch  []stream.Entry // borrow: the entries of the last record
	names  []string       // field names of the last record, by position

	key, group, consumer string // of the last record
}

// newReplayDecoder returns a decoder that reuses its memory and lends the
// record's bytes (see recordDecoder).
func newReplayDecoder() *recordDecoder {
	return &recordDecoder{
		borrow: true,
		fields: make([]stream.Field, 0, 16), // never nil: a present empty list stays non-nil
		batch:  make([]stream.Entry, 0, 16),
	}
}

// decode decodes one record. Errors wrap ErrCorrupt, or ErrFormatVersion for
// an unknown record version.
func (rd *recordDecoder) decode(data []byte) (*mutation, error) {
	if len(data) < 2 {
		return nil, fmt.Errorf("%w: record of %d bytes", ErrCorrupt, len(data))
	}
	if data[0] != recordVersion {
		return nil, fmt.Errorf("%w: record version %d", ErrFormatVersion, data[0])
	}
	if data[1] < byte(opAdd) || data[1] > byte(opMax) {
		return nil, fmt.Errorf("%w: record kind %d", ErrCorrupt, data[1])
	}
	rd.m = mutation{kind: opKind(data[1])}
	rd.fields, rd.batch = rd.fields[:0], rd.batch[:0]
	d := decoder{wire.NewReader(data[2:], nil)}
	present := d.Uvarint()
	if present&^recAll != 0 {
		return nil, fmt.Errorf("%w: record field bits %#x", ErrCorrupt, present)
	}
	rd.m.key = intern(&rd.key, d.Bytes())
	rd.decodeFields(&d, present)
	if d.Err() == nil && d.Len() != 0 {
		d.Fail("%d trailing bytes", d.Len())
	}
	if err := d.Err(); err != nil {
		return nil, fmt.Errorf("%w: record: %w", ErrCorrupt, err)
	}
	return &rd.m, nil
}

// decodeFields decodes the optional fields named by present into rd.m.
func (rd *recordDecoder) decodeFields(d *decoder, present uint64) {
	m := &rd.m
	if present&recNow != 0 {
		m.nowMs = d.Uvarint()
	}
	if present&recID != 0 {
		m.id = d.id()
	}
	if present&recFields != 0 {
		m.fields = rd.readFields(d)
	}
	if present&recTrim != 0 {
		m.trim = d.trim()
	}
	if present&recIDs != 0 {
		m.ids = d.ids()
	}
	if present&recGroup != 0 {
		m.group = intern(&rd.group, d.Bytes())
	}
	if present&recConsumer != 0 {
		m.consumer = intern(&rd.consumer, d.Bytes())
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
		m.batch = rd.readBatch(d)
	}
}

// readBatch reads the entries of an XAddBatch record.
func (rd *recordDecoder) readBatch(d *decoder) []stream.Entry {
	n := d.Count(3) // id (2 bytes) and a field count
	if !rd.borrow {
		batch := make([]stream.Entry, n)
		for i := range batch {
			batch[i] = stream.Entry{ID: d.id(), Fields: rd.readFields(d)}
		}
		return batch
	}
	for range n {
		rd.batch = append(rd.batch, stream.Entry{ID: d.id(), Fields: rd.readFields(d)})
	}
	return rd.batch
}

// readFields reads a field list: into a new slice of new strings, or, when
// borrowing, appended to rd.fields with the names of the last record
// reused and the values aliasing the record. Each list is capped at its
// length, so appending to it copies.
func (rd *recordDecoder) readFields(d *decoder) []stream.Field {
	n := d.Count(2) // a field is at least two empty strings
	if !rd.borrow {
		fields := make([]stream.Field, n)
		for i := range fields {
			fields[i] = stream.Field{Name: d.Str(), Value: d.Str()}
		}
		return fields
	}
	start := len(rd.fields)
	for i := range n {
		if i == len(rd.names) {
			rd.names = append(rd.names, "")
		}
		name := intern(&rd.names[i], d.Bytes())
		rd.fields = append(rd.fields, stream.Field{Name: name, Value: borrowString(d.Bytes())})
	}
	return rd.fields[start:len(rd.fields):len(rd.fields)]
}

// intern returns b as a string: *last if it holds the same bytes, else a new
// string, which becomes *last.
func intern(last *string, b []byte) string {
	if string(b) != *last { // compared without a conversion
		*last = string(b)
	}
	return *last
}

// borrowString returns a string that shares b's memory: valid only while
// b is not modified (see recordDecoder).
func borrowString(b []byte) string {
	return unsafe.String(unsafe.SliceData(b), len(b))
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
