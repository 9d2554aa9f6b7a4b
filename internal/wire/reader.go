package wire

import (
	"encoding/binary"
	"fmt"
	"math"
)

// Reader decodes values from a byte slice. The first failure sticks: later
// reads return zero values and do not move. A Reader is not safe for
// concurrent use.
type Reader struct {
	buf  []byte // what is left
	err  error
	wrap error // wrapped by every failure, if not nil
}

// NewReader returns a Reader of data. If wrap is not nil, every failure
// wraps it, reading "<wrap>: <what failed>".
func NewReader(data []byte, wrap error) Reader {
	return Reader{buf: data, wrap: wrap}
}

// Err returns the first failure, or nil.
func (r *Reader) Err() error { return r.err }

// Len returns the number of bytes left.
func (r *Reader) Len() int { return len(r.buf) }

// Rest returns the bytes left, without consuming them (nil after a failure).
func (r *Reader) Rest() []byte { return r.buf }

// Fail records a failure described by format and args, unless one is
// recorded already, and drops the bytes left.
func (r *Reader) Fail(format string, args ...any) {
	if r.err == nil {
		r.err = fmt.Errorf(format, args...)
		if r.wrap != nil {
			r.err = fmt.Errorf("%w: %w", r.wrap, r.err)
		}
	}
	r.buf = nil
}

// Uvarint reads an unsigned varint.
func (r *Reader) Uvarint() uint64 {
	if len(r.buf) > 0 && r.buf[0] < 0x80 { // one byte: inlined
		v := r.buf[0]
		r.buf = r.buf[1:]
		return uint64(v)
	}
	return r.uvarintSlow()
}

func (r *Reader) uvarintSlow() uint64 {
	v, n := binary.Uvarint(r.buf)
	if n <= 0 {
		r.failVarint("uvarint")
		return 0
	}
	r.buf = r.buf[n:]
	return v
}

// Varint reads a zig-zag signed varint.
func (r *Reader) Varint() int64 {
	v, n := binary.Varint(r.buf)
	if n <= 0 {
		r.failVarint("varint")
		return 0
	}
	r.buf = r.buf[n:]
	return v
}

// failVarint records a bad varint unless a failure is recorded already (the
// buffer is then empty, which is why the read failed).
func (r *Reader) failVarint(kind string) {
	if r.err == nil {
		r.Fail("bad %s", kind)
	}
}

// Int reads a varint that must fit an int.
func (r *Reader) Int() int {
	v := r.Varint()
	if v < math.MinInt || v > math.MaxInt {
		r.Fail("integer %d out of range", v)
		return 0
	}
	return int(v)
}

// Byte reads one byte.
func (r *Reader) Byte() byte {
	if len(r.buf) == 0 {
		r.failEnd()
		return 0
	}
	c := r.buf[0]
	r.buf = r.buf[1:]
	return c
}

// failEnd records an unexpected end unless a failure is recorded already
// (the buffer is then empty, which is why the read failed).
func (r *Reader) failEnd() {
	if r.err == nil {
		r.Fail("unexpected end")
	}
}

// Bool reads a byte that must be 0 (false) or 1 (true).
func (r *Reader) Bool() bool {
	switch c := r.Byte(); c {
	case 0:
		return false
	case 1:
		return true
	default:
		r.Fail("bad boolean %d", c)
		return false
	}
}

// Bytes reads a uvarint length and that many bytes. The result aliases the
// input, its capacity cut to its length, so appending to it copies.
func (r *Reader) Bytes() []byte {
	n := r.Uvarint()
	if n > uint64(len(r.buf)) {
		r.Fail("length %d exceeds the %d bytes left", n, len(r.buf))
		return nil
	}
	b := r.buf[:n:n]
	r.buf = r.buf[n:]
	return b
}

// Str reads what [Reader.Bytes] reads, as a new string.
func (r *Reader) Str() string { return string(r.Bytes()) }

// Count reads a uvarint number of elements that take at least minSize
// (>= 1) bytes each, and checks that so many fit in the bytes left, so the
// caller may allocate that many.
func (r *Reader) Count(minSize int) int {
	n := r.Uvarint()
	if n > uint64(len(r.buf)/minSize) {
		r.Fail("count %d exceeds the %d bytes left", n, len(r.buf))
		return 0
	}
	return int(n)
}
