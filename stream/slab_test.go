package stream_test

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/brookmq/brook/stream"
)

// slabFields returns the fields of entry i of TestRangeDecodesInBulk: most
// share one names table, every 7th has its own names, every 11th a long
// value, and values alternate between integers and strings.
func slabFields(i int) []stream.Field {
	fs := []stream.Field{{Name: "a", Value: strconv.Itoa(i)}, {Name: "b", Value: "s" + strconv.Itoa(i)}}
	switch {
	case i%7 == 0:
		fs = append(fs, stream.Field{Name: "odd" + strconv.Itoa(i), Value: "-" + strconv.Itoa(i)})
	case i%11 == 0:
		fs[1].Value = strings.Repeat("x", 300+i)
	}
	return fs
}

// TestRangeDecodesInBulk checks that entries decoded together (one string
// and one fields array per read) come out equal to what was appended,
// across blocks, names tables and scratch sizes, and that appending to one
// entry's Fields leaves the next entry alone.
func TestRangeDecodesInBulk(t *testing.T) {
	const n = 700 // several blocks, several names tables, > the stack scratch
	s := stream.New()
	for i := range n {
		if err := s.Append(sid(uint64(i+1), 0), slabFields(i)); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		name       string
		start, end uint64 // ms of the bounds, inclusive
		count      int
		reverse    bool
	}{
		{"all", 1, n, 0, false},
		{"count 100 mid-block", 37, n, 100, false},
		{"count 1", 250, n, 1, false},
		{"reverse all", 1, n, 0, true},
		{"reverse count 100", 1, 640, 100, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var got []stream.Entry
			if tc.reverse {
				got = s.RevRange(sid(tc.end, 0), sid(tc.start, 0), tc.count)
			} else {
				got = s.Range(sid(tc.start, 0), sid(tc.end, 0), tc.count)
			}
			want := int(tc.end - tc.start + 1)
			if tc.count > 0 {
				want = min(want, tc.count)
			}
			if len(got) != want {
				t.Fatalf("%d entries, want %d", len(got), want)
			}
			for k, e := range got {
				i := int(tc.start) - 1 + k
				if tc.reverse {
					i = int(tc.end) - 1 - k
				}
				if e.ID != sid(uint64(i+1), 0) || !slices.Equal(e.Fields, slabFields(i)) {
					t.Fatalf("entry %d = %v %v, want %v %v", k, e.ID, e.Fields, sid(uint64(i+1), 0), slabFields(i))
				}
			}
			if len(got) > 1 {
				before := fmt.Sprint(got[1].Fields)
				_ = append(got[0].Fields, stream.Field{Name: "extra", Value: "x"})
				if after := fmt.Sprint(got[1].Fields); after != before {
					t.Fatalf("append to entry 0 changed entry 1: %s -> %s", before, after)
				}
			}
		})
	}
}
