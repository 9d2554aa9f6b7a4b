package stream_test

import (
	"errors"
	"testing"

	"github.com/brookmq/brook/stream"
)

func TestParseID(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want stream.ID
		ok   bool
	}{
		{"0-1", stream.ID{Seq: 1}, true},
		{"5", stream.ID{Ms: 5}, true},
		{"18446744073709551615-18446744073709551615", stream.MaxID, true},
		{"1-2-3", stream.ID{}, false},
		{"+6-1", stream.ID{}, false},
		{" 5-1", stream.ID{}, false},
		{"-", stream.ID{}, false},
		{"5-", stream.ID{}, false},
		{"18446744073709551616", stream.ID{}, false},
	} {
		got, err := stream.ParseID(tt.in)
		if tt.ok && (err != nil || got != tt.want) || !tt.ok && !errors.Is(err, stream.ErrInvalidID) {
			t.Errorf("ParseID(%q) = %v, %v", tt.in, got, err)
		}
		if tt.ok && got.String() != tt.in && tt.in != "5" {
			t.Errorf("ParseID(%q).String() = %q", tt.in, got.String())
		}
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
