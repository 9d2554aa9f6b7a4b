package stream_test

import (
	"errors"
	"testing"

	"github.com/brookmq/brook/stream"
)

func TestParseID(t *testing.T) {
	tests := []struct {
		in   string
		want stream.ID
		err  error
	}{
		{"1-2", sid(1, 2), nil},
		{"5", sid(5, 0), nil},
		{"0-0", sid(0, 0), nil},
		{"07-1", sid(7, 1), nil},
		{"18446744073709551615-18446744073709551615", stream.MaxID, nil},
		{"18446744073709551616-0", stream.ID{}, stream.ErrInvalidID},
		{"1-18446744073709551616", stream.ID{}, stream.ErrInvalidID},
		{"abc", stream.ID{}, stream.ErrInvalidID},
		{"1-x", stream.ID{}, stream.ErrInvalidID},
		{"-1", stream.ID{}, stream.ErrInvalidID},
		{"1-", stream.ID{}, stream.ErrInvalidID},
		{"1-2-3", stream.ID{}, stream.ErrInvalidID},
		{"1.5", stream.ID{}, stream.ErrInvalidID},
		{"0x10", stream.ID{}, stream.ErrInvalidID},
		{"", stream.ID{}, stream.ErrInvalidID},
		{"*", stream.ID{}, stream.ErrInvalidID},
		{"+5", stream.ID{}, stream.ErrInvalidID},
		{" 5", stream.ID{}, stream.ErrInvalidID},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := stream.ParseID(tt.in)
			if got != tt.want || !errors.Is(err, tt.err) {
				t.Fatalf("ParseID(%q) = %s, %v; want %s, %v", tt.in, got, err, tt.want, tt.err)
			}
		})
	}
}

func TestParseRangeBounds(t *testing.T) {
	tests := []struct {
		in         string
		start, end stream.ID
		startErr   error
		endErr     error
	}{
		{"-", stream.MinID, stream.MinID, nil, nil},
		{"+", stream.MaxID, stream.MaxID, nil, nil},
		{"5", sid(5, 0), sid(5, maxU), nil, nil},
		{"5-3", sid(5, 3), sid(5, 3), nil, nil},
		{"(5-3", sid(5, 4), sid(5, 2), nil, nil},
		{"(5", sid(5, 1), sid(5, maxU-1), nil, nil},
		{"(5-18446744073709551615", sid(6, 0), sid(5, maxU-1), nil, nil},
		{"(6-0", sid(6, 1), sid(5, maxU), nil, nil},
		{"(0-0", sid(0, 1), stream.ID{}, nil, stream.ErrInvalidEnd},
		{"(0", sid(0, 1), sid(0, maxU-1), nil, nil},
		{"(18446744073709551615-18446744073709551615", stream.ID{}, sid(maxU, maxU-1), stream.ErrInvalidStart, nil},
		{"(18446744073709551615", sid(maxU, 1), sid(maxU, maxU-1), nil, nil},
		{"(-", stream.ID{}, stream.ID{}, stream.ErrInvalidID, stream.ErrInvalidID},
		{"(+", stream.ID{}, stream.ID{}, stream.ErrInvalidID, stream.ErrInvalidID},
		{"((5", stream.ID{}, stream.ID{}, stream.ErrInvalidID, stream.ErrInvalidID},
		{"(", stream.ID{}, stream.ID{}, stream.ErrInvalidID, stream.ErrInvalidID},
		{"x", stream.ID{}, stream.ID{}, stream.ErrInvalidID, stream.ErrInvalidID},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			if got, err := stream.ParseRangeStart(tt.in); got != tt.start || !errors.Is(err, tt.startErr) {
				t.Errorf("ParseRangeStart(%q) = %s, %v; want %s, %v", tt.in, got, err, tt.start, tt.startErr)
			}
			if got, err := stream.ParseRangeEnd(tt.in); got != tt.end || !errors.Is(err, tt.endErr) {
				t.Errorf("ParseRangeEnd(%q) = %s, %v; want %s, %v", tt.in, got, err, tt.end, tt.endErr)
			}
		})
	}
}

func TestParseAddID(t *testing.T) {
	tests := []struct {
		in   string
		want stream.AddID
		text string // String() of the result
		err  error
	}{
		{"*", stream.AutoID(), "*", nil},
		{"5-*", stream.PartialID(5), "5-*", nil},
		{"0-*", stream.PartialID(0), "0-*", nil},
		{"5", stream.ExplicitID(sid(5, 0)), "5-0", nil},
		{"5-2", stream.ExplicitID(sid(5, 2)), "5-2", nil},
		{"0-0", stream.ExplicitID(sid(0, 0)), "0-0", nil},
		{"x-*", stream.AddID{}, "*", stream.ErrInvalidID},
		{"-*", stream.AddID{}, "*", stream.ErrInvalidID},
		{"5-**", stream.AddID{}, "*", stream.ErrInvalidID},
		{"*-5", stream.AddID{}, "*", stream.ErrInvalidID},
		{"18446744073709551616-*", stream.AddID{}, "*", stream.ErrInvalidID},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := stream.ParseAddID(tt.in)
			if got != tt.want || got.String() != tt.text || !errors.Is(err, tt.err) {
				t.Fatalf("ParseAddID(%q) = %s, %v; want %s, %v", tt.in, got, err, tt.text, tt.err)
			}
		})
	}
}

func TestIDNextPrev(t *testing.T) {
	tests := []struct {
		id, next, prev stream.ID
		hasNext        bool
		hasPrev        bool
	}{
		{sid(0, 0), sid(0, 1), sid(0, 0), true, false},
		{sid(1, 0), sid(1, 1), sid(0, maxU), true, true},
		{sid(1, maxU), sid(2, 0), sid(1, maxU-1), true, true},
		{stream.MaxID, stream.MaxID, sid(maxU, maxU-1), false, true},
	}
	for _, tt := range tests {
		t.Run(tt.id.String(), func(t *testing.T) {
			if n, ok := tt.id.Next(); n != tt.next || ok != tt.hasNext {
				t.Errorf("Next = %s %v", n, ok)
			}
			if p, ok := tt.id.Prev(); p != tt.prev || ok != tt.hasPrev {
				t.Errorf("Prev = %s %v", p, ok)
			}
		})
	}
}

// FuzzParseID checks that parsing never panics and that every accepted ID
// prints in a form that parses back to it.
func FuzzParseID(f *testing.F) {
	for _, s := range []string{"1-2", "5", "(5", "+", "-", "(0-0", "18446744073709551615-18446744073709551615", "5-*", "1-2-3"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if id, err := stream.ParseID(s); err == nil {
			if back, err := stream.ParseID(id.String()); err != nil || back != id {
				t.Fatalf("ParseID(%q) = %s, which parses back as %s, %v", s, id, back, err)
			}
		}
		start, errS := stream.ParseRangeStart(s)
		end, errE := stream.ParseRangeEnd(s)
		if errS == nil && errE == nil && s != "+" && s != "-" && len(s) > 0 && s[0] != '(' && end.Less(start) {
			t.Fatalf("inclusive bound %q: start %s after end %s", s, start, end)
		}
		if a, err := stream.ParseAddID(s); err == nil {
			if back, err := stream.ParseAddID(a.String()); err != nil || back != a {
				t.Fatalf("ParseAddID(%q) = %s, which parses back as %s, %v", s, a, back, err)
			}
		}
	})
}
