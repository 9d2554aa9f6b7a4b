package stream

import (
	"bytes"
	"encoding/binary"
	"errors"
	"sync/atomic"
)

// Block limits, as Redis's stream-node-max-entries / stream-node-max-bytes.
const (
	blockMaxEntries = 100
	blockMaxBytes   = 4096
)

// Every markEvery-th entry of a block is a seek mark, so that a lookup walks
// at most markEvery entries instead of the whole block.
const (
	markEvery = 25
	maxMarks  = (blockMaxEntries - 1) / markEvery
)

// mark lets a walk start at an entry inside a block: its offset and the ID
// of the entry before it (the base of its deltas).
type mark struct {
	prev ID
	off  uint16
}

// Entry flags, the first byte of every packed entry.
const (
	flagDeleted    = 1 << 0 // tombstone (XDEL or an exact trim)
	flagSameFields = 1 << 1 // field names are the block's names table
	flagMask       = flagDeleted | flagSameFields
)

// errBadEntry reports a malformed packed entry; only Decode can meet one.
var errBadEntry = errors.New("malformed packed entry")

// owner is a copy-on-write token. A stream may mutate a block in place only
// when the block's owner is the stream's own token; Clone gives both streams
// fresh tokens, so every block shared at that moment is copied before its
// next mutation. Tokens are numbers from one process-wide counter, never
// reused (2^64 of them), so a token costs no allocation and holds no
// pointer for the garbage collector to follow.
type owner uint64

// owners is the last token handed out.
var owners atomic.Uint64

// newOwner returns a token no stream or block has had.
func newOwner() owner { return owner(owners.Add(1)) }

// block holds up to blockMaxEntries consecutive entries packed in buf:
//
//	flags byte
//	uvarint ms delta from the previous entry (the first entry: from first)
//	uvarint seq: absolute when the ms delta is non-zero, else a delta
//	[flagSameFields clear] uvarint field count, then per field a
//	    uvarint length and the name bytes, each followed by its value
//	[flagSameFields set] one value per name of the block's names table
//	value: uvarint tag; tag&1 == 1: a canonical integer, zigzag(v) = tag>>1;
//	    tag&1 == 0: a string of tag>>1 bytes that follow
//
// Tombstoned entries keep their bytes and still count in n.
//
// A block does not hold its last entry's ID: the open block's is the
// stream's last ID (Stream.openBlock), and a sealed block's is a walk from its
// last seek mark away (lastID). Millions of streams of one block each
// save the 16 bytes (80 bytes a header, not 96).
type block struct {
	first  ID        // first entry (the B-tree key), tombstones included
	n, del uint16    // entries, tombstoned entries
	open   bool      // the last block of its stream, taking its appends (Stream.openBlock)
	bytes  int64     // data bytes of the live entries (derived, not encoded)
	tab    *[]string // the names table, shared (names.go); nil: none
	buf    []byte
	own    owner
	marks  *[maxMarks]mark // entries markEvery, 2*markEvery, ... (derived, not encoded); nil below markEvery+1 entries
}

// names returns the block's names table.
func (b *block) names() []string {
	if b.tab == nil {
		return nil
	}
	return *b.tab
}

// slot is a B-tree item: a block and its first ID, inline so that a search
// compares IDs without following pointers and a search key allocates
// nothing.
type slot struct {
	first ID
	b     *block
}

// slotLess orders slots by first ID.
func slotLess(x, y slot) bool { return x.first.Less(y.first) }

// slot returns b's B-tree item.
func (b *block) slot() slot { return slot{first: b.first, b: b} }

// addMark records entry i (about to be written at off, after prev) when it
// is a seek mark.
func (b *block) addMark(i int, off int, prev ID) {
	if i > 0 && i%markEvery == 0 {
		if b.marks == nil {
			b.marks = new([maxMarks]mark)
		}
		b.marks[i/markEvery-1] = mark{prev: prev, off: uint16(off)}
	}
}

// seek returns where a walk looking for id may start: the offset, the ID
// before that entry and its index.
func (b *block) seek(id ID) (off int, prev ID, i int) {
	for k := min(maxMarks, (int(b.n)-1)/markEvery) - 1; k >= 0; k-- {
		if m := b.marks[k]; m.prev.Less(id) {
			return int(m.off), m.prev, (k + 1) * markEvery
		}
	}
	return 0, b.first, 0
}

// lastID returns the ID of b's last entry, tombstones included, walking from
// its last seek mark (at most markEvery entries).
func (b *block) lastID() ID {
	off, prev, i := b.seek(MaxID)
	for ; i < int(b.n); i++ {
		e := b.at(off, prev)
		prev, off = e.id, e.end
	}
	return prev
}

// live is the number of entries that are not tombstones.
func (b *block) live() int { return int(b.n) - int(b.del) }

// clone copies b for owner o with capacity c (>= len(b.buf)).
func (b *block) clone(o owner, c int) *block {
	nb := *b
	nb.buf = make([]byte, len(b.buf), max(c, len(b.buf)))
	copy(nb.buf, b.buf)
	nb.own = o
	if b.marks != nil {
		m := *b.marks
		nb.marks = &m
	}
	return &nb
}

// seal shrinks the buffer of a block that will take no more entries.
func (b *block) seal() {
	if cap(b.buf) > len(b.buf) {
		b.buf = bytes.Clone(b.buf)
	}
}

// sameNames reports whether fields carry exactly the names of the table.
func sameNames(names []string, fields []Field) bool {
	if len(names) != len(fields) {
		return false
	}
	for i, f := range fields {
		if f.Name != names[i] {
			return false
		}
	}
	return true
}

// canonicalInt reports whether s is the decimal form of an integer that
// fits the packed integer encoding (|v| < 2^62): an optional '-' then digits
// without a leading zero ("0" itself, but not "-0"), and returns it.
func canonicalInt[S string | []byte](s S) (int64, bool) {
	digits := s
	neg := len(s) > 0 && s[0] == '-'
	if neg {
		digits = s[1:]
	}
	// 19 digits cover 2^62 = 4611686018427387904; the bound is checked below.
	if len(digits) == 0 || len(digits) > 19 || digits[0] == '0' && (len(digits) > 1 || neg) {
		return 0, false
	}
	var v uint64
	for i := 0; i < len(digits); i++ {
		c := digits[i] - '0'
		if c > 9 {
			return 0, false
		}
		v = v*10 + uint64(c)
	}
	switch {
	case !neg && v < 1<<62:
		return int64(v), true
	case neg && v <= 1<<62:
		return -int64(v), true
	}
	return 0, false
}

func zigzag(v int64) uint64   { return uint64(v<<1) ^ uint64(v>>63) }
func unzigzag(u uint64) int64 { return int64(u>>1) ^ -int64(u&1) }

// appendValue appends the tagged encoding of one value.
func appendValue[S string | []byte](b []byte, v S) []byte {
	if len(v) == 0 || v[0]-'0' > 9 && v[0] != '-' { // not a number: no need to parse it
		b = binary.AppendUvarint(b, uint64(len(v))<<1)
		return append(b, v...)
	}
	if n, ok := canonicalInt(v); ok {
		return binary.AppendUvarint(b, zigzag(n)<<1|1)
	}
	b = binary.AppendUvarint(b, uint64(len(v))<<1)
	return append(b, v...)
}

// appendEntry appends the packed form of an entry whose previous ID is prev.
func appendEntry(b []byte, prev, id ID, fields []Field, same bool) []byte {
	b = appendEntryHeader(b, prev, id, same)
	if same {
		for _, f := range fields {
			b = appendValue(b, f.Value)
		}
		return b
	}
	b = binary.AppendUvarint(b, uint64(len(fields)))
	for _, f := range fields {
		b = binary.AppendUvarint(b, uint64(len(f.Name)))
		b = append(b, f.Name...)
		b = appendValue(b, f.Value)
	}
	return b
}

// appendEntryHeader appends the flags and the ID deltas of an entry.
func appendEntryHeader(b []byte, prev, id ID, same bool) []byte {
	var flags byte
	if same {
		flags = flagSameFields
	}
	b = append(b, flags)
	msDelta := id.Ms - prev.Ms
	b = binary.AppendUvarint(b, msDelta)
	if msDelta == 0 {
		return binary.AppendUvarint(b, id.Seq-prev.Seq)
	}
	return binary.AppendUvarint(b, id.Seq)
}

// rawEntry locates one packed entry inside a block's buffer.
type rawEntry struct {
	id    ID
	flags byte
	off   int // offset of the flags byte
	body  int // offset of the field data
	end   int // offset after the entry
}

func (e rawEntry) deleted() bool { return e.flags&flagDeleted != 0 }

// uvarint reads a uvarint at off.
func uvarint(buf []byte, off int) (uint64, int, error) {
	if off >= len(buf) {
		return 0, off, errBadEntry
	}
	if c := buf[off]; c < 0x80 { // one byte: most deltas, tags and lengths
		return uint64(c), off + 1, nil
	}
	v, n := binary.Uvarint(buf[off:])
	if n <= 0 {
		return 0, off, errBadEntry
	}
	return v, off + n, nil
}

// parse reads the entry at off, whose previous entry has ID prev (for the
// first entry, prev is b.first and the entry's ID must equal it). It checks
// every length, so it is safe on untrusted bytes.
func (b *block) parse(off int, prev ID, isFirst bool) (rawEntry, error) {
	e := rawEntry{off: off}
	if off >= len(b.buf) {
		return e, errBadEntry
	}
	e.flags = b.buf[off]
	if e.flags&^flagMask != 0 {
		return e, errBadEntry
	}
	msDelta, p, err := uvarint(b.buf, off+1)
	if err != nil {
		return e, err
	}
	seq, p, err := uvarint(b.buf, p)
	if err != nil {
		return e, err
	}
	if e.id, err = applyDelta(prev, msDelta, seq); err != nil {
		return e, err
	}
	if isFirst != (e.id == prev) {
		return e, errBadEntry
	}
	e.body = p
	e.end, err = b.skipFields(p, e.flags)
	return e, err
}

// applyDelta rebuilds an ID from the previous one and the packed deltas.
func applyDelta(prev ID, msDelta, seq uint64) (ID, error) {
	if msDelta != 0 {
		if prev.Ms+msDelta < prev.Ms {
			return ID{}, errBadEntry
		}
		return ID{prev.Ms + msDelta, seq}, nil
	}
	if prev.Seq+seq < prev.Seq {
		return ID{}, errBadEntry
	}
	return ID{prev.Ms, prev.Seq + seq}, nil
}

// skipFields returns the offset after the field data starting at p.
func (b *block) skipFields(p int, flags byte) (int, error) {
	count := uint64(len(b.names()))
	var err error
	if flags&flagSameFields == 0 {
		if count, p, err = uvarint(b.buf, p); err != nil {
			return p, err
		}
	}
	for i := uint64(0); i < count; i++ {
		if flags&flagSameFields == 0 {
			if p, err = skipString(b.buf, p); err != nil {
				return p, err
			}
		}
		tag, q, err := uvarint(b.buf, p)
		if err != nil {
			return p, err
		}
		p = q
		if tag&1 == 0 {
			if tag>>1 > uint64(len(b.buf)-p) {
				return p, errBadEntry
			}
			p += int(tag >> 1)
		}
	}
	return p, nil
}

// skipString skips a uvarint length and that many bytes.
func skipString(buf []byte, p int) (int, error) {
	n, p, err := uvarint(buf, p)
	if err != nil {
		return p, err
	}
	if n > uint64(len(buf)-p) {
		return p, errBadEntry
	}
	return p + int(n), nil
}

// readUvarint reads a uvarint at p of a well-formed buffer. The hot loop
// in at tests the one-byte case itself (this does not inline).
func readUvarint(buf []byte, p int) (uint64, int) {
	if c := buf[p]; c < 0x80 {
		return uint64(c), p + 1
	}
	v, n := binary.Uvarint(buf[p:])
	return v, p + n
}

// at locates the entry at off, whose predecessor is prev, in a well-formed
// block (built by Append or checked by Decode; parse is the checked twin).
func (b *block) at(off int, prev ID) rawEntry {
	buf := b.buf
	e := rawEntry{off: off, flags: buf[off]}
	msDelta, p := uint64(buf[off+1]), off+2
	if msDelta >= 0x80 {
		msDelta, p = readUvarint(buf, off+1)
	}
	seq, q := uint64(buf[p]), p+1
	if seq >= 0x80 {
		seq, q = readUvarint(buf, p)
	}
	if msDelta != 0 {
		e.id = ID{prev.Ms + msDelta, seq}
	} else {
		e.id = ID{prev.Ms, prev.Seq + seq}
	}
	e.body = q
	e.end = b.skipTrusted(q, e.flags)
	return e
}

// skipTrusted returns the end of the field data at p of a well-formed block.
func (b *block) skipTrusted(p int, flags byte) int {
	buf := b.buf
	count := uint64(len(b.names()))
	same := flags&flagSameFields != 0
	if !same {
		count, p = readUvarint(buf, p)
	}
	for ; count > 0; count-- {
		if !same {
			var n uint64
			n, p = readUvarint(buf, p)
			p += int(n)
		}
		if buf[p]&1 == 1 { // an integer (the tag's low bit is in its first byte): skip the tag
			for buf[p] >= 0x80 {
				p++
			}
			p++
			continue
		}
		var n uint64
		n, p = readUvarint(buf, p)
		p += int(n >> 1)
	}
	return p
}

// each calls fn for every entry of b, oldest first, until fn returns false.
func (b *block) each(fn func(rawEntry) bool) { b.eachFrom(MinID, fn) }

// eachFrom is each, skipping whole mark intervals before from (it may still
// call fn for some entries below from).
func (b *block) eachFrom(from ID, fn func(rawEntry) bool) {
	off, prev, i := b.seek(from)
	for ; i < int(b.n); i++ {
		e := b.at(off, prev)
		if !fn(e) {
			return
		}
		prev, off = e.id, e.end
	}
}

// entries returns the locations of all entries of b into dst.
func (b *block) entries(dst []rawEntry) []rawEntry {
	prev, off := b.first, 0
	for range b.n {
		e := b.at(off, prev)
		dst = append(dst, e)
		prev, off = e.id, e.end
	}
	return dst
}

// find returns the entry with the given ID, tombstones included.
func (b *block) find(id ID) (rawEntry, bool) {
	off, prev, i := b.seek(id)
	for ; i < int(b.n); i++ {
		e := b.at(off, prev)
		if c := e.id.Compare(id); c >= 0 {
			return e, c == 0
		}
		prev, off = e.id, e.end
	}
	return rawEntry{}, false
}
