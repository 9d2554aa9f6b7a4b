package stream_test

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/brookmq/brook/stream"
)

// randomFields returns fields in the shapes the packed encoding treats
// apart: the same names as the entry before or not, canonical integers and
// strings, empty and oversize values.
func randomFields(rng *rand.Rand) []stream.Field {
	names := [][]string{{"user_id", "product", "amount"}, {"a"}, {}, {"x", "y"}}[rng.IntN(4)]
	fields := make([]stream.Field, len(names))
	for i, name := range names {
		var v string
		switch rng.IntN(5) {
		case 0:
			v = fmt.Sprint(rng.Int64N(1<<40) - 1<<39)
		case 1:
			v = ""
		case 2:
			v = "-0"
		case 3:
			v = strings.Repeat("v", rng.IntN(200))
		default:
			v = strings.Repeat("w", 2000+rng.IntN(3000)) // may not fit a block
		}
		fields[i] = stream.Field{Name: name, Value: v}
	}
	return fields
}

// TestAppendListSameAsAppend checks that AppendList builds exactly the
// stream Append builds from the same fields: the same snapshot encoding,
// byte for byte, and the same entries read back.
func TestAppendListSameAsAppend(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	a, l := stream.New(), stream.New()
	var list []byte
	for i := range 2000 {
		id := sid(uint64(1+i/3), uint64(i%3))
		fields := randomFields(rng)
		if err := a.Append(id, fields); err != nil {
			t.Fatal(err)
		}
		list = stream.AppendFieldList(list[:0], fields)
		fl, rest, err := stream.CutFieldList(list)
		if err != nil || len(rest) != 0 {
			t.Fatalf("CutFieldList: %v, %d bytes left", err, len(rest))
		}
		if err := l.AppendList(id, fl); err != nil {
			t.Fatalf("AppendList %s: %v", id, err)
		}
		if i == 1000 {
			a.Clone() // the next appends copy the shared open block
			l.Clone()
		}
	}
	list[len(list)-1] ^= 0xff // the stream copied the list: changing it changes nothing
	ea, _ := a.AppendBinary(nil)
	el, _ := l.AppendBinary(nil)
	if !bytes.Equal(ea, el) {
		t.Fatal("AppendList and Append encode differently")
	}
	if oa, ol := observe(t, a), observe(t, l); oa != ol {
		t.Fatalf("AppendList and Append differ:\n%s\n%s", oa, ol)
	}
	if a.DataBytes() != l.DataBytes() {
		t.Fatalf("DataBytes: AppendList %d, Append %d", l.DataBytes(), a.DataBytes())
	}
}

// TestAppendListErrors checks the ID rules; they change nothing.
func TestAppendListErrors(t *testing.T) {
	good, _, err := stream.CutFieldList(stream.AppendFieldList(nil, []stream.Field{{Name: "f", Value: "v"}}))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		id   stream.ID
		want error
	}{
		{"zero id", sid(0, 0), stream.ErrIDZero},
		{"id too small", sid(5, 0), stream.ErrIDTooSmall},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := stream.New()
			if err := s.AppendList(sid(5, 0), good); err != nil {
				t.Fatal(err)
			}
			before := observe(t, s)
			if err := s.AppendList(tt.id, good); !errors.Is(err, tt.want) {
				t.Fatalf("AppendList: err = %v, want %v", err, tt.want)
			}
			if after := observe(t, s); after != before {
				t.Fatalf("a refused AppendList changed the stream:\n%s\n%s", before, after)
			}
		})
	}
}

// TestAppendListZero checks that the zero FieldList is an entry with no
// fields, as Append with none.
func TestAppendListZero(t *testing.T) {
	a, l := stream.New(), stream.New()
	for i := range 3 {
		if err := a.Append(sid(1, uint64(i)), nil); err != nil {
			t.Fatal(err)
		}
		if err := l.AppendList(sid(1, uint64(i)), stream.FieldList{}); err != nil {
			t.Fatal(err)
		}
	}
	ea, _ := a.AppendBinary(nil)
	el, _ := l.AppendBinary(nil)
	if !bytes.Equal(ea, el) {
		t.Fatal("zero FieldList differs from no fields")
	}
}

// TestCutFieldList checks what a cut list covers and the errors.
func TestCutFieldList(t *testing.T) {
	list := stream.AppendFieldList(nil, []stream.Field{{Name: "a", Value: "1"}, {Name: "", Value: strings.Repeat("x", 300)}})
	fl, rest, err := stream.CutFieldList(append(list, 7, 7))
	if err != nil || fl.Len() != 2 || !bytes.Equal(rest, []byte{7, 7}) {
		t.Fatalf("CutFieldList = %d fields, rest %v, %v; want 2, [7 7]", fl.Len(), rest, err)
	}
	for i := range list {
		if _, _, err := stream.CutFieldList(list[:i]); !errors.Is(err, stream.ErrFieldList) {
			t.Fatalf("CutFieldList of %d of %d bytes: err = %v, want ErrFieldList", i, len(list), err)
		}
	}
	for name, b := range map[string][]byte{
		"bad count":           {0x80},
		"count past the end":  {2, 1, 'f', 1, 'v'},
		"length past the end": {1, 1, 'f', 2, 'v'},
		"overlong length":     {1, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01, 0},
	} {
		if _, _, err := stream.CutFieldList(b); !errors.Is(err, stream.ErrFieldList) {
			t.Errorf("%s: err = %v, want ErrFieldList", name, err)
		}
	}
}

// FuzzAppendList cuts a field list from arbitrary bytes and appends it: it
// must never panic, it accepts exactly what a plain decoder accepts, and the
// entry reads back as the fields that decoder finds.
func FuzzAppendList(f *testing.F) {
	f.Add(stream.AppendFieldList(nil, []stream.Field{{Name: "n", Value: "12"}, {Name: "s", Value: "text"}}))
	f.Add([]byte{1, 0x80})
	f.Fuzz(func(t *testing.T, data []byte) {
		want, ok := decodeFieldList(data)
		fl, rest, err := stream.CutFieldList(data)
		if err != nil && !errors.Is(err, stream.ErrFieldList) {
			t.Fatalf("err = %v, want ErrFieldList", err)
		}
		if (err == nil && len(rest) == 0) != ok {
			t.Fatalf("%x: CutFieldList err = %v with %d bytes left, plain decoder ok = %v", data, err, len(rest), ok)
		}
		if err != nil {
			return
		}
		s := stream.New()
		if err := s.AppendList(sid(1, 0), fl); err != nil {
			t.Fatal(err)
		}
		if !ok {
			return // a list followed by more bytes
		}
		got := s.Range(stream.MinID, stream.MaxID, 0)
		if len(got) != 1 || fmt.Sprint(got[0].Fields) != fmt.Sprint(want) {
			t.Fatalf("list %x read back as %v, want %v", data, got, want)
		}
	})
}

// decodeFieldList is a plain decoder of the field-list encoding.
func decodeFieldList(b []byte) ([]stream.Field, bool) {
	str := func() (string, bool) {
		n, k := binary.Uvarint(b)
		if k <= 0 || n > uint64(len(b)-k) {
			return "", false
		}
		s := string(b[k : k+int(n)])
		b = b[k+int(n):]
		return s, true
	}
	n, k := binary.Uvarint(b)
	if k <= 0 || n > uint64(len(b)) {
		return nil, false
	}
	b = b[k:]
	var fields []stream.Field
	for range n {
		name, ok1 := str()
		value, ok2 := str()
		if !ok1 || !ok2 {
			return nil, false
		}
		fields = append(fields, stream.Field{Name: name, Value: value})
	}
	return fields, len(b) == 0
}
