package wire

import (
	"encoding/binary"
	"fmt"
	"math"
	"math/bits"
)

// Reader decodes values from a byte slice. The first failure sticks: later
// reads return zero values and do not move. A Reader is not safe for
// concurrent use.
//
// It moves an offset rather than reslicing its input, so a read stores no
// pointer: no write barrier while the garbage collector runs, which matters
// on a decoding path such as log replay.
type Reader struct {
	data []byte // the input
	off  int    // of the next byte; len(data) after a failure
	err  error
	wrap error // wrapped by every failure, if not nil
}

// NewReader returns a Reader of data. If wrap is not nil, every failure
// wraps it, reading "<wrap>: <what failed>".
func NewReader(data []byte, wrap error) Reader {
	return Reader{data: data, wrap: wrap}
}

// Err returns the first failure, or nil.
func (r *Reader) Err() error { return r.err }

// Len returns the number of bytes left.
func (r *Reader) Len() int { return len(r.data) - r.off }

// Rest returns the bytes left, without consuming them (empty after a
// failure).
func (r *Reader) Rest() []byte { return r.data[r.off:] }

// Fail records a failure described by format and args, unless one is
// recorded already, and drops the bytes left.
func (r *Reader) Fail(format string, args ...any) {
	if r.err == nil {
		r.err = fmt.Errorf(format, args...)
		if r.wrap != nil {
			r.err = fmt.Errorf("%w: %w", r.wrap, r.err)
		}
	}
	r.off = len(r.data)
}

// Uvarint reads an unsigned varint.
func (r *Reader) Uvarint() uint64 {
	if r.off < len(r.data) && r.data[r.off] < 0x80 { // one byte
		r.off++
		return uint64(r.data[r.off-1])
	}
	return r.uvarintSlow()
}

func (r *Reader) uvarintSlow() uint64 {
	if v, n := uvarint8(r.data[r.off:]); n > 0 {
		r.off += n
		return v
	}
	v, n := binary.Uvarint(r.data[r.off:])
	if n <= 0 {
		r.failEnd("bad uvarint")
		return 0
	}
	r.off += n
	return v
}

// uvarint8 decodes a uvarint of at most 8 bytes from the first 8 bytes of
// b without a loop, as binary.Uvarint would; n is 0 when b is shorter than
// 8 bytes or the varint longer. Most IDs' milliseconds take 6 bytes.
func uvarint8(b []byte) (v uint64, n int) {
	if len(b) < 8 {
		return 0, 0
	}
	x := binary.LittleEndian.Uint64(b)
	stop := ^x & 0x8080808080808080 // the high bit of each byte that ends it
	if stop == 0 {
		return 0, 0
	}
	n = bits.TrailingZeros64(stop)/8 + 1
	if n < 8 {
		x &= 1<<(8*n) - 1
	}
	// Byte i carries bits 7i..7i+6 in its low 7 bits.
	v = x&0x7f | x>>1&(0x7f<<7) | x>>2&(0x7f<<14) | x>>3&(0x7f<<21) |
		x>>4&(0x7f<<28) | x>>5&(0x7f<<35) | x>>6&(0x7f<<42) | x>>7&(0x7f<<49)
	return v, n
}

// Varint reads a zig-zag signed varint.
func (r *Reader) Varint() int64 {
	v, n := binary.Varint(r.data[r.off:])
	if n <= 0 {
		r.failEnd("bad varint")
		return 0
	}
	r.off += n
	return v
}

// failEnd records what as the failure unless one is recorded already: the
// input is then used up, which is why the read failed.
func (r *Reader) failEnd(what string) {
	if r.err == nil {
		r.Fail("%s", what)
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
	if r.off >= len(r.data) {
		r.failEnd("unexpected end")
		return 0
	}
	r.off++
	return r.data[r.off-1]
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
	if r.err != nil {
		return nil
	}
	if left := uint64(len(r.data) - r.off); n > left {
		r.Fail("length %d exceeds the %d bytes left", n, left)
		return nil
	}
	start := r.off
	r.off += int(n)
	return r.data[start:r.off:r.off]
}

// Next reads the next n bytes, which alias the input, capacity cut to
// their length.
func (r *Reader) Next(n int) []byte {
	if r.err != nil {
		return nil
	}
	if left := len(r.data) - r.off; n < 0 || n > left {
		r.Fail("length %d exceeds the %d bytes left", n, left)
		return nil
	}
	start := r.off
	r.off += n
	return r.data[start:r.off:r.off]
}

// Str reads what [Reader.Bytes] reads, as a new string.
func (r *Reader) Str() string { return string(r.Bytes()) }

// Count reads a uvarint number of elements that take at least minSize
// (>= 1) bytes each, and checks that so many fit in the bytes left, so the
// caller may allocate that many.
func (r *Reader) Count(minSize int) int {
	n := r.Uvarint()
	if left := len(r.data) - r.off; n > uint64(left/minSize) {
		r.Fail("count %d exceeds the %d bytes left", n, left)
		return 0
	}
	return int(n)
}
