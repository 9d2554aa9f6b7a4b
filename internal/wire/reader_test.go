package wire_test

import (
	"encoding/binary"
	"errors"
	"testing"

	"github.com/brookmq/brook/internal/wire"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

var errBad = errors.New("bad input")

// TestReaderRoundTrip reads back what encoding/binary wrote.
func TestReaderRoundTrip(t *testing.T) {
	var b []byte
	b = binary.AppendUvarint(b, 1<<40)
	b = binary.AppendVarint(b, -7)
	b = binary.AppendVarint(b, 12)
	b = append(b, 9, 1)
	b = binary.AppendUvarint(b, 3)
	b = append(b, "abc"...)
	b = binary.AppendUvarint(b, 2)
	b = append(b, "xy"...)
	b = binary.AppendUvarint(b, 2) // a count of 2 one-byte elements
	b = append(b, 5, 6)
	b = append(b, "next"...)
	r := wire.NewReader(b, errBad)
	if v := r.Uvarint(); v != 1<<40 {
		t.Errorf("Uvarint = %d", v)
	}
	if v := r.Varint(); v != -7 {
		t.Errorf("Varint = %d", v)
	}
	if v := r.Int(); v != 12 {
		t.Errorf("Int = %d", v)
	}
	if v := r.Byte(); v != 9 {
		t.Errorf("Byte = %d", v)
	}
	if !r.Bool() {
		t.Error("Bool = false")
	}
	p := r.Bytes()
	if string(p) != "abc" || cap(p) != 3 {
		t.Errorf("Bytes = %q (cap %d), want abc (cap 3)", p, cap(p))
	}
	if s := r.Str(); s != "xy" {
		t.Errorf("Str = %q", s)
	}
	if n := r.Count(1); n != 2 || r.Len() != 6 || string(r.Rest()) != "\x05\x06next" {
		t.Errorf("Count = %d, Len = %d, Rest = %q", n, r.Len(), r.Rest())
	}
	r.Next(2)
	if p := r.Next(4); string(p) != "next" || cap(p) != 4 || r.Len() != 0 {
		t.Errorf("Next = %q (cap %d), Len = %d", p, cap(p), r.Len())
	}
	if err := r.Err(); err != nil {
		t.Fatalf("Err = %v", err)
	}
}

// TestReaderFailures checks that each bad input fails, wrapping the
// sentinel, and that the failure sticks.
func TestReaderFailures(t *testing.T) {
	overlong := []byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01}
	tests := []struct {
		name string
		data []byte
		read func(r *wire.Reader)
	}{
		{"empty uvarint", nil, func(r *wire.Reader) { r.Uvarint() }},
		{"overlong uvarint", overlong, func(r *wire.Reader) { r.Uvarint() }},
		{"overlong varint", overlong, func(r *wire.Reader) { r.Varint() }},
		{"empty byte", nil, func(r *wire.Reader) { r.Byte() }},
		{"bad bool", []byte{2}, func(r *wire.Reader) { r.Bool() }},
		{"long bytes", []byte{4, 'a', 'b', 'c'}, func(r *wire.Reader) { r.Bytes() }},
		{"long string", []byte{9}, func(r *wire.Reader) { r.Str() }},
		{"large count", []byte{3, 0, 0, 0, 0, 0}, func(r *wire.Reader) { r.Count(2) }},
		{"long next", []byte{1, 2}, func(r *wire.Reader) { r.Next(3) }},
		{"negative next", []byte{1, 2}, func(r *wire.Reader) { r.Next(-1) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := wire.NewReader(tt.data, errBad)
			tt.read(&r)
			err := r.Err()
			if !errors.Is(err, errBad) {
				t.Fatalf("Err = %v, want errBad", err)
			}
			if r.Uvarint() != 0 || r.Byte() != 0 || r.Bytes() != nil || r.Len() != 0 || r.Err() != err {
				t.Fatal("reads after the failure return values or change the error")
			}
		})
	}
}

// TestReaderNoWrap checks that a Reader without a sentinel reports the
// failure alone.
func TestReaderNoWrap(t *testing.T) {
	r := wire.NewReader(nil, nil)
	r.Uvarint()
	if err := r.Err(); err == nil || err.Error() != "bad uvarint" {
		t.Fatalf("Err = %v, want bad uvarint", err)
	}
}

// FuzzReader reads arbitrary input with every method: it must never panic,
// and Bytes never returns more than the input.
func FuzzReader(f *testing.F) {
	f.Add([]byte{3, 'a', 'b', 'c', 1, 0x80})
	f.Fuzz(func(t *testing.T, data []byte) {
		r := wire.NewReader(data, errBad)
		for r.Err() == nil && r.Len() > 0 {
			switch r.Byte() % 6 {
			case 0:
				r.Uvarint()
			case 1:
				r.Int()
			case 2:
				r.Bool()
			case 3:
				if len(r.Bytes()) > len(data) {
					t.Fatal("Bytes longer than the input")
				}
			case 4:
				r.Str()
			case 5:
				r.Count(1 + int(data[0]%8))
			}
		}
	})
}

// FuzzUvarint checks that Uvarint reads what binary.Uvarint reads, from
// any bytes.
func FuzzUvarint(f *testing.F) {
	f.Add(binary.AppendUvarint(nil, 1700000000000), uint8(0))
	f.Add([]byte{0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01, 9}, uint8(3))
	f.Add([]byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01}, uint8(1))
	f.Fuzz(func(t *testing.T, data []byte, pad uint8) {
		data = append(data, make([]byte, pad%9)...) // with and without 8 bytes to read
		want, n := binary.Uvarint(data)
		r := wire.NewReader(data, nil)
		got := r.Uvarint()
		if n <= 0 {
			if r.Err() == nil {
				t.Fatalf("%x: no error, binary.Uvarint fails", data)
			}
			return
		}
		if r.Err() != nil || got != want || r.Len() != len(data)-n {
			t.Fatalf("%x: Uvarint = %d (%v, %d left), binary.Uvarint = %d, %d bytes", data, got, r.Err(), r.Len(), want, n)
		}
	})
}

// TestUvarintLengths reads every length of uvarint with and without
// bytes after it.
func TestUvarintLengths(t *testing.T) {
	for shift := range 64 {
		for _, v := range []uint64{1 << shift, 1<<shift - 1, 1<<shift | 1} {
			for pad := range 9 {
				b := append(binary.AppendUvarint(nil, v), make([]byte, pad)...)
				r := wire.NewReader(b, nil)
				if got := r.Uvarint(); got != v || r.Err() != nil || r.Len() != pad {
					t.Fatalf("%d with %d bytes after: got %d, %v, %d left", v, pad, got, r.Err(), r.Len())
				}
			}
		}
	}
}
