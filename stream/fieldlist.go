package stream

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// ErrFieldList is returned (wrapped) by [CutFieldList] for bytes that do
// not start with a field list.
var ErrFieldList = errors.New("stream: malformed field list")

// AppendFieldList appends the field-list encoding of fields to b.
func AppendFieldList(b []byte, fields []Field) []byte {
	b = binary.AppendUvarint(b, uint64(len(fields)))
	for _, f := range fields {
		b = binary.AppendUvarint(b, uint64(len(f.Name)))
		b = append(b, f.Name...)
		b = binary.AppendUvarint(b, uint64(len(f.Value)))
		b = append(b, f.Value...)
	}
	return b
}

// FieldList is a checked field list (see [AppendFieldList]), made by
// [CutFieldList]; it aliases the bytes it was cut from, which must not
// change while it is in use. The zero value is the list of no fields.
type FieldList struct {
	b    []byte // a whole, checked field list; nil: no fields
	data int64  // the sum of the lengths of its names and values
}

// CutFieldList checks the field list at the start of b, which may continue
// after it, and returns it and the bytes after it. Every length is checked
// against the bytes left. Errors wrap [ErrFieldList].
func CutFieldList(b []byte) (list FieldList, rest []byte, err error) {
	n, p, err := uvarint(b, 0)
	if err != nil {
		return FieldList{}, b, fmt.Errorf("%w: bad count", ErrFieldList)
	}
	if n > uint64(len(b)-p)/2 { // a field takes at least two bytes
		return FieldList{}, b, fmt.Errorf("%w: %d fields in %d bytes", ErrFieldList, n, len(b)-p)
	}
	data := 0                       // summed as the walk goes: AppendList needs it
	for i := 0; i < 2*int(n); i++ { // names and values alike
		if p < len(b) && b[p] < 0x80 { // a length under 128: most of them
			data += int(b[p])
			p += 1 + int(b[p])
			if p <= len(b) {
				continue
			}
		} else if l, q, lerr := uvarint(b, p); lerr == nil && l <= uint64(len(b)-q) {
			data += int(l)
			p = q + int(l)
			continue
		}
		return FieldList{}, b, fmt.Errorf("%w: field %d", ErrFieldList, i/2)
	}
	return FieldList{b: b[:p:p], data: int64(data)}, b[p:], nil
}

// Bytes returns the list's encoding (nil for the zero list), which aliases
// the bytes it was cut from.
func (l FieldList) Bytes() []byte { return l.b }

// Len returns the number of fields.
func (l FieldList) Len() int {
	n, _ := l.head()
	return n
}

// head returns the number of fields and the offset of the first.
func (l FieldList) head() (n, p int) {
	if len(l.b) == 0 {
		return 0, 0
	}
	c, p := readUvarint(l.b, 0)
	return int(c), p
}

// AppendList is [Stream.Append] with the fields given as a field list; its
// bytes are copied.
func (s *Stream) AppendList(id ID, list FieldList) error {
	if err := s.checkNext(id); err != nil {
		return err
	}
	if b := s.openBlock(); b != nil && int(b.n) < blockMaxEntries {
		b = s.mutable(b)
		buf, ok := list.appendSame(b.buf, s.lastID, id, b.names())
		if !ok {
			buf = list.appendNamed(b.buf, s.lastID, id)
		}
		if s.addToOpen(b, id, buf, list.data) {
			return nil
		}
	}
	names := internTable(list.names())
	buf, _ := list.appendSame(s.openBuffer(), id, id, *names)
	s.startBlock(id, names, buf, list.data)
	return nil
}

// span returns where the string (a name or a value) at p starts and ends.
// The loops below test a one-byte length themselves (span does not inline).
func (l FieldList) span(p int) (start, end int) {
	n, q := readUvarint(l.b, p)
	return q, q + int(n)
}

// names returns the field names as new strings.
func (l FieldList) names() []string {
	n, p := l.head()
	names := make([]string, n)
	for i := range names {
		q, e := l.span(p)
		names[i] = string(l.b[q:e])
		_, p = l.span(e)
	}
	return names
}

// appendSame appends the packed entry with the same-fields flag, its values
// only, if the list carries exactly the names of the table; if not it
// reports false and the bytes it wrote past len(b) mean nothing.
func (l FieldList) appendSame(b []byte, prev, id ID, names []string) ([]byte, bool) {
	n, p := l.head()
	if n != len(names) {
		return b, false
	}
	b = appendEntryHeader(b, prev, id, true)
	for _, name := range names {
		q, e := p+1, p+1+int(l.b[p])
		if l.b[p] >= 0x80 {
			q, e = l.span(p)
		}
		if string(l.b[q:e]) != name {
			return b, false
		}
		q, p = e+1, e+1+int(l.b[e])
		if l.b[e] >= 0x80 {
			q, p = l.span(e)
		}
		b = appendValue(b, l.b[q:p])
	}
	return b, true
}

// appendNamed appends the packed entry with its field names.
func (l FieldList) appendNamed(b []byte, prev, id ID) []byte {
	b = appendEntryHeader(b, prev, id, false)
	n, p := l.head()
	b = binary.AppendUvarint(b, uint64(n))
	for range n {
		q, e := l.span(p)
		b = binary.AppendUvarint(b, uint64(e-q))
		b = append(b, l.b[q:e]...)
		q, p = l.span(e)
		b = appendValue(b, l.b[q:p])
	}
	return b
}
