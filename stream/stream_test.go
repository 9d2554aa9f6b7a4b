package stream_test

import (
	"errors"
	"slices"
	"strconv"
	"testing"

	"github.com/brookmq/brook/stream"
)

const maxU = ^uint64(0)

func sid(ms, seq uint64) stream.ID { return stream.ID{Ms: ms, Seq: seq} }

func small(i int) []stream.Field {
	return []stream.Field{{"user_id", strconv.Itoa(1000 + i%9000)}, {"product", "prod" + strconv.Itoa(1000+i%9000)}, {"amount", strconv.Itoa(i)}}
}

// build returns a stream holding one small entry per ID.
func build(t testing.TB, ids ...stream.ID) *stream.Stream {
	t.Helper()
	s := stream.New()
	for i, x := range ids {
		if err := s.Append(x, small(i)); err != nil {
			t.Fatalf("Append(%s): %v", x, err)
		}
	}
	return s
}

// spaced returns n IDs (10*(i+1))-0: blocks of 100 small entries leave a gap
// of 9 ms between one block's last and the next one's first.
func spaced(n int) []stream.ID {
	out := make([]stream.ID, n)
	for i := range out {
		out[i] = sid(uint64(10*(i+1)), 0)
	}
	return out
}

func idsOf(es []stream.Entry) []stream.ID {
	out := make([]stream.ID, len(es))
	for i, e := range es {
		out[i] = e.ID
	}
	return out
}

func TestNextID(t *testing.T) {
	tests := []struct {
		name  string
		have  []stream.ID // appended first
		spec  stream.AddID
		now   uint64
		want  stream.ID
		error error
	}{
		{"auto on empty", nil, stream.AutoID(), 5, sid(5, 0), nil},
		{"auto at time 0 on empty", nil, stream.AutoID(), 0, sid(0, 1), nil},
		{"auto later ms", []stream.ID{sid(5, 3)}, stream.AutoID(), 6, sid(6, 0), nil},
		{"auto same ms", []stream.ID{sid(5, 3)}, stream.AutoID(), 5, sid(5, 4), nil},
		{"auto clock backwards", []stream.ID{sid(5, 3)}, stream.AutoID(), 2, sid(5, 4), nil},
		{"auto seq overflow", []stream.ID{sid(5, maxU)}, stream.AutoID(), 5, sid(6, 0), nil},
		{"auto exhausted", []stream.ID{stream.MaxID}, stream.AutoID(), 5, stream.ID{}, stream.ErrExhausted},
		{"auto last ms max", []stream.ID{sid(maxU, 7)}, stream.AutoID(), 9, sid(maxU, 8), nil},
		{"partial new ms", []stream.ID{sid(5, 3)}, stream.PartialID(6), 0, sid(6, 0), nil},
		{"partial same ms", []stream.ID{sid(5, 3)}, stream.PartialID(5), 0, sid(5, 4), nil},
		{"partial smaller ms", []stream.ID{sid(5, 3)}, stream.PartialID(4), 0, stream.ID{}, stream.ErrIDTooSmall},
		{"partial 0 on empty", nil, stream.PartialID(0), 0, sid(0, 1), nil},
		{"partial seq overflow", []stream.ID{sid(5, maxU)}, stream.PartialID(5), 0, stream.ID{}, stream.ErrTooLarge},
		{"partial after max", []stream.ID{stream.MaxID}, stream.PartialID(maxU), 0, stream.ID{}, stream.ErrExhausted},
		{"explicit greater", []stream.ID{sid(5, 3)}, stream.ExplicitID(sid(5, 4)), 0, sid(5, 4), nil},
		{"explicit equal", []stream.ID{sid(5, 3)}, stream.ExplicitID(sid(5, 3)), 0, stream.ID{}, stream.ErrIDTooSmall},
		{"explicit smaller", []stream.ID{sid(5, 3)}, stream.ExplicitID(sid(4, 9)), 0, stream.ID{}, stream.ErrIDTooSmall},
		{"explicit zero", nil, stream.ExplicitID(sid(0, 0)), 0, stream.ID{}, stream.ErrIDZero},
		{"explicit zero beats exhausted", []stream.ID{stream.MaxID}, stream.ExplicitID(sid(0, 0)), 0, stream.ID{}, stream.ErrIDZero},
		{"explicit after max", []stream.ID{stream.MaxID}, stream.ExplicitID(sid(5, 5)), 0, stream.ID{}, stream.ErrExhausted},
		{"explicit max", []stream.ID{sid(1, 1)}, stream.ExplicitID(stream.MaxID), 0, stream.MaxID, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := build(t, tt.have...)
			got, err := s.NextID(tt.spec, tt.now)
			if got != tt.want || !errors.Is(err, tt.error) {
				t.Fatalf("NextID(%s, %d) = %s, %v; want %s, %v", tt.spec, tt.now, got, err, tt.want, tt.error)
			}
		})
	}
}

// TestLastIDSurvives checks that deletion and trimming keep the last
// generated ID: its reuse is rejected and "ms-*" continues after it.
func TestLastIDSurvives(t *testing.T) {
	tests := []struct {
		name string
		op   func(*stream.Stream)
	}{
		{"xdel top", func(s *stream.Stream) { s.Delete(sid(5, 0)) }},
		{"maxlen 0", func(s *stream.Stream) { s.Trim(stream.Trim{Strategy: stream.TrimMaxLen}) }},
		{"approx maxlen 0", func(s *stream.Stream) { s.Trim(stream.Trim{Strategy: stream.TrimMaxLen, Approx: true}) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := build(t, sid(4, 0), sid(5, 0))
			tt.op(s)
			if err := s.Append(sid(5, 0), small(0)); !errors.Is(err, stream.ErrIDTooSmall) {
				t.Fatalf("Append(5-0) = %v, want ErrIDTooSmall", err)
			}
			if got, err := s.NextID(stream.PartialID(5), 0); err != nil || got != sid(5, 1) {
				t.Fatalf("NextID(5-*) = %s, %v; want 5-1", got, err)
			}
			if err := s.Append(sid(0, 0), nil); !errors.Is(err, stream.ErrIDZero) {
				t.Fatalf("Append(0-0) = %v, want ErrIDZero", err)
			}
		})
	}
}

func TestRangeBlockBoundaries(t *testing.T) {
	s := build(t, spaced(250)...) // blocks 10..1000, 1010..2000, 2010..2500
	if got := s.Info().RadixTreeKeys; got != 3 {
		t.Fatalf("blocks = %d, want 3", got)
	}
	span := func(from, to uint64) []stream.ID { // IDs with from <= ms <= to
		var out []stream.ID
		for ms := from; ms <= to; ms += 10 {
			out = append(out, sid(ms, 0))
		}
		return out
	}
	tests := []struct {
		name       string
		start, end stream.ID
		count      int
		want       []stream.ID
	}{
		{"start at block last", sid(1000, 0), sid(1010, 0), 0, span(1000, 1010)},
		{"start at block first", sid(1010, 0), sid(1030, 0), 0, span(1010, 1030)},
		{"end at block last", sid(980, 0), sid(1000, 0), 0, span(980, 1000)},
		{"end at block first", sid(990, 0), sid(2010, 0), 0, span(990, 2010)},
		{"exclusive start after block last", sid(1000, 1), sid(1020, 0), 0, span(1010, 1020)},
		{"exclusive end before block first", sid(990, 0), sid(1009, maxU), 0, span(990, 1000)},
		{"in the gap", sid(1001, 0), sid(1009, maxU), 0, nil},
		{"gap to next first", sid(1001, 0), sid(1010, 0), 0, span(1010, 1010)},
		{"count across blocks", sid(995, 0), stream.MaxID, 3, span(1000, 1020)},
		{"before everything", stream.MinID, sid(9, maxU), 0, nil},
		{"after everything", sid(2500, 1), stream.MaxID, 0, nil},
		{"start > end", sid(30, 0), sid(20, 0), 0, nil},
		{"single", sid(2000, 0), sid(2000, 0), 0, span(2000, 2000)},
		{"all", stream.MinID, stream.MaxID, 0, span(10, 2500)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := idsOf(s.Range(tt.start, tt.end, tt.count)); !slices.Equal(got, tt.want) {
				t.Errorf("Range = %v, want %v", got, tt.want)
			}
			all := idsOf(s.Range(tt.start, tt.end, 0))
			want := reversed(all)
			if tt.count > 0 && len(want) > tt.count {
				want = want[:tt.count]
			}
			if got := idsOf(s.RevRange(tt.end, tt.start, tt.count)); !slices.Equal(got, want) {
				t.Errorf("RevRange = %v, want %v", got, want)
			}
			if got := slices.Collect(s.All(tt.start, tt.end)); !slices.Equal(idsOf(got), all) {
				t.Errorf("All = %v, want %v", idsOf(got), all)
			}
			if got := slices.Collect(s.Backward(tt.end, tt.start)); !slices.Equal(idsOf(got), reversed(all)) {
				t.Errorf("Backward = %v, want %v", idsOf(got), reversed(all))
			}
		})
	}
}

func reversed(ids []stream.ID) []stream.ID {
	out := slices.Clone(ids)
	slices.Reverse(out)
	return out
}

// TestEveryEntryLookup looks up every entry of a multi-block stream, and
// the gaps around each, directly, after a snapshot round-trip, and with
// tombstones: lookups start from seek marks inside blocks, so every
// position relative to a mark is exercised.
func TestEveryEntryLookup(t *testing.T) {
	all := spaced(250)
	s := build(t, all...)
	var deleted []stream.ID
	for i := 3; i < len(all); i += 7 {
		deleted = append(deleted, all[i])
	}
	d := build(t, all...)
	d.Delete(deleted...)
	for _, tt := range []struct {
		name string
		s    *stream.Stream
		gone []stream.ID
	}{
		{"built", s, nil},
		{"decoded", roundTrip(t, s), nil},
		{"tombstones", d, deleted},
		{"tombstones decoded", roundTrip(t, d), deleted},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var live []stream.ID
			for _, x := range all {
				if !slices.Contains(tt.gone, x) {
					live = append(live, x)
				}
			}
			for i, x := range all {
				gone := slices.Contains(tt.gone, x)
				if e, ok := tt.s.Get(x); ok == gone || ok && e.ID != x {
					t.Fatalf("Get(%s) = %v, %v", x, e.ID, ok)
				}
				before, _ := x.Prev()
				after, _ := x.Next()
				if _, ok := tt.s.Get(before); ok {
					t.Fatalf("Get(%s) found an entry", before)
				}
				want := live[:0:0]
				for _, y := range live {
					if !y.Less(x) {
						want = append(want, y)
					}
				}
				if got := idsOf(tt.s.Range(after, stream.MaxID, 1)); len(want) > 0 && want[0] == x && len(want) > 1 && !slices.Equal(got, want[1:2]) {
					t.Fatalf("Range(%s, +, 1) = %v, want %v", after, got, want[1:2])
				}
				if got := idsOf(tt.s.Range(before, stream.MaxID, 2)); !slices.Equal(got, want[:min(2, len(want))]) {
					t.Fatalf("entry %d: Range(%s, +, 2) = %v, want %v", i, before, got, want[:min(2, len(want))])
				}
			}
		})
	}
}

// TestInfoRadixTree checks the radix-tree-keys / radix-tree-nodes figures
// against values observed on Redis 7.0.15 for the same commands.
func TestInfoRadixTree(t *testing.T) {
	tests := []struct {
		name        string
		make        func() *stream.Stream
		keys, nodes int64
	}{
		{"empty", func() *stream.Stream {
			s := build(t, sid(5, 0))
			s.Trim(stream.Trim{Strategy: stream.TrimMaxLen})
			return s
		}, 0, 1},
		{"one node", func() *stream.Stream { return build(t, sid(1, 0), sid(2, 0), sid(3, 0)) }, 1, 2},
		{"three nodes", func() *stream.Stream { return build(t, spaced(250)...) }, 3, 8},
		{"two nodes after MAXLEN ~ 150", func() *stream.Stream {
			s := build(t, spaced(250)...)
			s.Trim(stream.Trim{Strategy: stream.TrimMaxLen, MaxLen: 150, Approx: true})
			return s
		}, 2, 6},
		{"far apart", func() *stream.Stream {
			ids := []stream.ID{sid(1, 0)}
			for i := range uint64(101) {
				ids = append(ids, sid(5000000000, i))
			}
			return build(t, ids...)
		}, 2, 6},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := tt.make().Info()
			if in.RadixTreeKeys != tt.keys || in.RadixTreeNodes != tt.nodes {
				t.Fatalf("radix-tree-keys %d, radix-tree-nodes %d; want %d, %d", in.RadixTreeKeys, in.RadixTreeNodes, tt.keys, tt.nodes)
			}
		})
	}
}
