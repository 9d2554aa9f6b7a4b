package stream_test

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/brookmq/brook/stream"
)

// TestDeleteAcrossBlocks deletes at block edges and whole blocks, then
// checks ranges, metadata, trims and appends below the deleted maximum.
func TestDeleteAcrossBlocks(t *testing.T) {
	tests := []struct {
		name      string
		del       []stream.ID // on spaced(250): blocks 10..1000, 1010..2000, 2010..2500
		deleted   int64
		blocks    int64
		first     stream.ID
		last      stream.ID
		maxDelete stream.ID
	}{
		{"first of stream", []stream.ID{sid(10, 0)}, 1, 3, sid(20, 0), sid(2500, 0), sid(10, 0)},
		{"first of middle block", []stream.ID{sid(1010, 0)}, 1, 3, sid(10, 0), sid(2500, 0), sid(1010, 0)},
		{"last of first block", []stream.ID{sid(1000, 0)}, 1, 3, sid(10, 0), sid(2500, 0), sid(1000, 0)},
		{"last of stream", []stream.ID{sid(2500, 0)}, 1, 3, sid(10, 0), sid(2490, 0), sid(2500, 0)},
		{"whole first block", spaced(100), 100, 2, sid(1010, 0), sid(2500, 0), sid(1000, 0)},
		{"whole middle block", spaced(200)[100:], 100, 2, sid(10, 0), sid(2500, 0), sid(2000, 0)},
		{"whole last block", spaced(250)[200:], 50, 2, sid(10, 0), sid(2000, 0), sid(2500, 0)},
		{"missing and repeated", []stream.ID{sid(15, 0), sid(20, 0), sid(20, 0), sid(9999, 0)}, 1, 3, sid(10, 0), sid(2500, 0), sid(20, 0)},
		{"max deleted is the highest", []stream.ID{sid(2000, 0), sid(30, 0)}, 2, 3, sid(10, 0), sid(2500, 0), sid(2000, 0)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			all := spaced(250)
			s := build(t, all...)
			if got := s.Delete(tt.del...); got != tt.deleted {
				t.Fatalf("Delete = %d, want %d", got, tt.deleted)
			}
			want := slices.DeleteFunc(slices.Clone(all), func(x stream.ID) bool { return slices.Contains(tt.del, x) })
			if got := idsOf(s.Range(stream.MinID, stream.MaxID, 0)); !slices.Equal(got, want) {
				t.Fatalf("Range after delete = %v", got)
			}
			if got := idsOf(s.RevRange(stream.MaxID, stream.MinID, 0)); !slices.Equal(got, reversed(want)) {
				t.Fatalf("RevRange after delete = %v", got)
			}
			in := s.Info()
			if in.Length != int64(len(want)) || in.RadixTreeKeys != tt.blocks || in.FirstEntry.ID != tt.first ||
				in.LastEntry.ID != tt.last || in.MaxDeletedEntryID != tt.maxDelete || in.RecordedFirstEntryID != tt.first ||
				in.LastGeneratedID != sid(2500, 0) || in.EntriesAdded != 250 {
				t.Fatalf("Info = %+v first %v last %v", in, in.FirstEntry, in.LastEntry)
			}
			for _, x := range tt.del {
				if _, ok := s.Get(x); ok {
					t.Errorf("Get(%s) found a deleted entry", x)
				}
			}
			if err := s.Append(tt.maxDelete, small(0)); !errors.Is(err, stream.ErrIDTooSmall) {
				t.Errorf("Append(%s) = %v, want ErrIDTooSmall", tt.maxDelete, err)
			}
			if got := s.Trim(stream.Trim{Strategy: stream.TrimMaxLen, MaxLen: 10}); got != int64(len(want)-10) {
				t.Errorf("Trim MAXLEN 10 = %d, want %d", got, len(want)-10)
			}
			if got := idsOf(s.Range(stream.MinID, stream.MaxID, 0)); !slices.Equal(got, want[len(want)-10:]) {
				t.Errorf("after trim = %v", got)
			}
			if s.Info().MaxDeletedEntryID != tt.maxDelete {
				t.Errorf("trimming changed max-deleted-entry-id to %s", s.Info().MaxDeletedEntryID)
			}
		})
	}
}

// TestDeleteEverything empties the stream by XDEL, then appends again.
func TestDeleteEverything(t *testing.T) {
	all := spaced(150)
	s := build(t, all...)
	if got := s.Delete(all...); got != 150 {
		t.Fatalf("Delete = %d", got)
	}
	in := s.Info()
	if in.Length != 0 || in.RadixTreeKeys != 0 || in.RadixTreeNodes != 1 || in.FirstEntry != nil || in.LastEntry != nil || !in.RecordedFirstEntryID.IsZero() {
		t.Fatalf("Info of an emptied stream = %+v", in)
	}
	if _, ok := s.FirstID(); ok {
		t.Fatal("FirstID on an empty stream")
	}
	if err := s.Append(sid(1500, 1), small(1)); err != nil {
		t.Fatal(err)
	}
	if got := idsOf(s.Range(stream.MinID, stream.MaxID, 0)); !slices.Equal(got, []stream.ID{sid(1500, 1)}) {
		t.Fatalf("Range = %v", got)
	}
}

// TestOversizeEntry checks that an entry over 4 KiB gets a block of its own
// and that the next small entry opens a new block.
func TestOversizeEntry(t *testing.T) {
	big := strings.Repeat("x", 5000)
	s := build(t, sid(1, 0), sid(2, 0))
	steps := []struct {
		id     stream.ID
		fields []stream.Field
		blocks int64
	}{
		{sid(3, 0), []stream.Field{{"big", big}}, 2},
		{sid(4, 0), small(4), 3},
		{sid(5, 0), small(5), 3},
		{sid(6, 0), []stream.Field{{"a", big}, {"b", big}}, 4},
		{sid(7, 0), []stream.Field{{"big", big}}, 5},
	}
	for _, st := range steps {
		if err := s.Append(st.id, st.fields); err != nil {
			t.Fatal(err)
		}
		if got := s.Info().RadixTreeKeys; got != st.blocks {
			t.Fatalf("after %s: %d blocks, want %d", st.id, got, st.blocks)
		}
		if e, ok := s.Get(st.id); !ok || !slices.Equal(e.Fields, st.fields) {
			t.Fatalf("Get(%s) = %v", st.id, ok)
		}
	}
	s.Delete(sid(3, 0))
	if got := idsOf(s.Range(sid(2, 0), sid(4, 0), 0)); !slices.Equal(got, []stream.ID{sid(2, 0), sid(4, 0)}) {
		t.Fatalf("Range = %v", got)
	}
	if got := s.Info().RadixTreeKeys; got != 4 {
		t.Fatalf("blocks after deleting the oversize entry = %d", got)
	}
}

// TestFieldEncodings round-trips field sets that differ from the block's
// names table and values that look like integers but are not canonical.
func TestFieldEncodings(t *testing.T) {
	entries := [][]stream.Field{
		{{"a", "1"}, {"b", "2"}},
		{{"a", "3"}, {"b", "4"}},
		{{"b", "1"}, {"a", "2"}},
		{{"a", "1"}},
		{{"a", "1"}, {"b", "2"}, {"c", "3"}},
		{},
		{{"", ""}},
		{{"n", "-5"}, {"z", "0"}, {"lead", "007"}, {"neg0", "-0"}, {"plus", "+1"}, {"sp", " 1"}},
		{{"max", "9223372036854775807"}, {"min", "-9223372036854775808"}, {"big", "4611686018427387904"}, {"edge", "4611686018427387903"}, {"nedge", "-4611686018427387904"}},
		{{"over", "18446744073709551616"}, {"hex", "0x10"}, {"float", "1.5"}, {"dash", "-"}, {"bin", "\x00\xff"}},
		{{"a", "1"}, {"a", "2"}},
	}
	s := stream.New()
	for i, f := range entries {
		if err := s.Append(sid(uint64(i+1), 0), f); err != nil {
			t.Fatal(err)
		}
	}
	for _, st := range []*stream.Stream{s, roundTrip(t, s)} {
		got := st.Range(stream.MinID, stream.MaxID, 0)
		if len(got) != len(entries) {
			t.Fatalf("got %d entries", len(got))
		}
		for i, e := range got {
			if !slices.Equal(e.Fields, entries[i]) && !(len(e.Fields) == 0 && len(entries[i]) == 0) {
				t.Errorf("entry %d = %q, want %q", i, e.Fields, entries[i])
			}
		}
	}
}

func TestTrim(t *testing.T) {
	tests := []struct {
		name    string
		n       int // entries spaced(n): blocks of 100
		del     []stream.ID
		trim    stream.Trim
		removed int64
		first   stream.ID // first entry afterwards (0-0: empty)
	}{
		{"none", 250, nil, stream.Trim{}, 0, sid(10, 0)},
		{"maxlen exact", 250, nil, stream.Trim{Strategy: stream.TrimMaxLen, MaxLen: 120}, 130, sid(1310, 0)},
		{"maxlen exact inside first block", 250, nil, stream.Trim{Strategy: stream.TrimMaxLen, MaxLen: 240}, 10, sid(110, 0)},
		{"maxlen exact 0", 250, nil, stream.Trim{Strategy: stream.TrimMaxLen}, 250, sid(0, 0)},
		{"maxlen negative is 0", 250, nil, stream.Trim{Strategy: stream.TrimMaxLen, MaxLen: -3}, 250, sid(0, 0)},
		{"maxlen above length", 250, nil, stream.Trim{Strategy: stream.TrimMaxLen, MaxLen: 500}, 0, sid(10, 0)},
		{"maxlen approx whole blocks", 250, nil, stream.Trim{Strategy: stream.TrimMaxLen, MaxLen: 120, Approx: true}, 100, sid(1010, 0)},
		{"maxlen approx keeps a partial block", 250, nil, stream.Trim{Strategy: stream.TrimMaxLen, MaxLen: 160, Approx: true}, 0, sid(10, 0)},
		{"maxlen approx small stream", 5, nil, stream.Trim{Strategy: stream.TrimMaxLen, MaxLen: 2, Approx: true}, 0, sid(10, 0)},
		{"maxlen approx 0 small stream", 5, nil, stream.Trim{Strategy: stream.TrimMaxLen, Approx: true}, 5, sid(0, 0)},
		{"maxlen approx limit below a block", 250, nil, stream.Trim{Strategy: stream.TrimMaxLen, Approx: true, Limit: 99}, 0, sid(10, 0)},
		{"maxlen approx limit one block", 250, nil, stream.Trim{Strategy: stream.TrimMaxLen, Approx: true, Limit: 150}, 100, sid(1010, 0)},
		{"maxlen approx no cap", 250, nil, stream.Trim{Strategy: stream.TrimMaxLen, Approx: true, Limit: -1}, 250, sid(0, 0)},
		{"maxlen approx counts live entries", 250, spaced(50), stream.Trim{Strategy: stream.TrimMaxLen, Approx: true, Limit: 50}, 50, sid(1010, 0)},
		{"minid exact", 250, nil, stream.Trim{Strategy: stream.TrimMinID, MinID: sid(1005, 0)}, 100, sid(1010, 0)},
		{"minid exact threshold stays", 250, nil, stream.Trim{Strategy: stream.TrimMinID, MinID: sid(1500, 0)}, 149, sid(1500, 0)},
		{"minid approx", 250, nil, stream.Trim{Strategy: stream.TrimMinID, MinID: sid(1500, 0), Approx: true}, 100, sid(1010, 0)},
		{"minid approx block last equal", 250, nil, stream.Trim{Strategy: stream.TrimMinID, MinID: sid(1000, 0), Approx: true}, 0, sid(10, 0)},
		{"minid approx block last below", 250, nil, stream.Trim{Strategy: stream.TrimMinID, MinID: sid(1000, 1), Approx: true}, 100, sid(1010, 0)},
		{"minid 0", 250, nil, stream.Trim{Strategy: stream.TrimMinID}, 0, sid(10, 0)},
		{"minid beyond", 250, nil, stream.Trim{Strategy: stream.TrimMinID, MinID: stream.MaxID}, 250, sid(0, 0)},
		{"minid exact up to a tombstoned block end", 250, spaced(100)[99:], stream.Trim{Strategy: stream.TrimMinID, MinID: sid(1000, 0)}, 99, sid(1010, 0)},
		{"minid approx tombstoned last", 250, spaced(100)[99:], stream.Trim{Strategy: stream.TrimMinID, MinID: sid(995, 0), Approx: true}, 0, sid(10, 0)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := build(t, spaced(tt.n)...)
			s.Delete(tt.del...)
			before := s.Len()
			if got := s.Trim(tt.trim); got != tt.removed {
				t.Fatalf("Trim = %d, want %d", got, tt.removed)
			}
			if s.Len() != before-tt.removed {
				t.Fatalf("Len = %d, want %d", s.Len(), before-tt.removed)
			}
			first, ok := s.FirstID()
			if ok != !tt.first.IsZero() || first != tt.first {
				t.Fatalf("FirstID = %s %v, want %s", first, ok, tt.first)
			}
			if in := s.Info(); in.RecordedFirstEntryID != tt.first || in.MaxDeletedEntryID != maxOf(tt.del) {
				t.Fatalf("Info = %+v", in)
			}
		})
	}
}

func maxOf(ids []stream.ID) stream.ID {
	var m stream.ID
	for _, x := range ids {
		if m.Less(x) {
			m = x
		}
	}
	return m
}
