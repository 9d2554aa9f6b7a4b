package stream_test

import (
	"slices"
	"testing"

	"github.com/brookmq/brook/stream"
)

// lagRow is the part of a GroupInfo row that entries-read and lag decide.
type lagRow struct {
	last        stream.ID
	entriesRead int64
	lag         int64 // -1 with unknown
	unknown     bool
}

func lagRows(s *stream.Stream) []lagRow {
	var rows []lagRow
	for _, g := range s.Groups() {
		rows = append(rows, lagRow{g.LastDeliveredID, g.EntriesRead, g.Lag, g.LagUnknown})
	}
	return rows
}

// TestLag checks entries-read and lag against what Redis 7.0.15 printed for
// the same commands (conformance cases xgroup_create and xinfo_groups, and
// cases recorded by hand for tombstones and trimming).
func TestLag(t *testing.T) {
	const unknown = stream.EntriesReadUnknown
	nilLag := func(last stream.ID, er int64) lagRow { return lagRow{last, er, -1, true} }
	tests := map[string]struct {
		build func(t *testing.T) *stream.Stream
		want  []lagRow
	}{
		"never had entries": {func(t *testing.T) *stream.Stream {
			s := stream.New()
			mustCreateGroup(t, s, "g", id(0, 0))
			return s
		}, []lagRow{{id(0, 0), unknown, 0, false}}},
		"xgroup_create": {func(t *testing.T) *stream.Stream {
			s := stream.New()
			mustCreateGroup(t, s, "g1", id(0, 0)) // "$" on an empty stream
			appendEntry(t, s, id(1, 0))
			appendEntry(t, s, id(2, 0))
			mustCreateGroup(t, s, "g0", id(0, 0))
			mustCreateGroup(t, s, "glast", id(2, 0))
			mustCreateGroup(t, s, "gmid", id(1, 0))
			return s
		}, []lagRow{{id(0, 0), unknown, 2, false}, {id(0, 0), unknown, 2, false}, {id(2, 0), unknown, 0, false}, {id(1, 0), unknown, 1, false}}},
		"xinfo_groups after reads": {func(t *testing.T) *stream.Stream {
			s := newStream(t, 1, 2, 3)
			mustCreateGroup(t, s, "early", id(0, 0))
			mustCreateGroup(t, s, "late", id(3, 0))
			mustReadNew(t, s, "early", "c", 1, 2)
			return s
		}, []lagRow{{id(2, 0), 2, 1, false}, {id(3, 0), unknown, 0, false}}},
		"xinfo_groups after an add": {func(t *testing.T) *stream.Stream {
			s := newStream(t, 1, 2, 3)
			mustCreateGroup(t, s, "early", id(0, 0))
			mustCreateGroup(t, s, "late", id(3, 0))
			mustReadNew(t, s, "early", "c", 1, 2)
			appendEntry(t, s, id(4, 0))
			return s
		}, []lagRow{{id(2, 0), 2, 2, false}, nilLag(id(3, 0), unknown)}},
		"xinfo_groups late reads": {func(t *testing.T) *stream.Stream {
			s := newStream(t, 1, 2, 3)
			mustCreateGroup(t, s, "late", id(3, 0))
			appendEntry(t, s, id(4, 0))
			mustReadNew(t, s, "late", "c", 1, 0)
			return s
		}, []lagRow{{id(4, 0), 4, 0, false}}},
		"tombstone ahead": {func(t *testing.T) *stream.Stream {
			s := newStream(t, 1, 2, 3, 4, 5)
			mustCreateGroup(t, s, "g", id(0, 0))
			mustReadNew(t, s, "g", "c", 1, 2)
			s.Delete(id(4, 0))
			return s
		}, []lagRow{nilLag(id(2, 0), 2)}},
		"tombstone behind": {func(t *testing.T) *stream.Stream {
			s := newStream(t, 1, 2, 3, 4, 5)
			mustCreateGroup(t, s, "g", id(0, 0))
			mustReadNew(t, s, "g", "c", 1, 3)
			s.Delete(id(2, 0))
			return s
		}, []lagRow{{id(3, 0), 3, 2, false}}},
		"trimmed, group behind the first entry": {func(t *testing.T) *stream.Stream {
			s := newStream(t, 1, 2, 3, 4, 5)
			mustCreateGroup(t, s, "g", id(0, 0))
			s.Trim(stream.Trim{Strategy: stream.TrimMinID, MinID: id(3, 0)})
			return s
		}, []lagRow{{id(0, 0), unknown, 3, false}}},
		"reading with a tombstone ahead": {func(t *testing.T) *stream.Stream {
			s := newStream(t, 1, 2, 3, 4, 5)
			mustCreateGroup(t, s, "g", id(0, 0))
			s.Delete(id(5, 0))
			mustReadNew(t, s, "g", "c", 1, 2)
			return s
		}, []lagRow{nilLag(id(2, 0), unknown)}},
		"entries-read beyond entries-added": {func(t *testing.T) *stream.Stream {
			s := newStream(t, 1, 2, 3, 4)
			if err := s.CreateGroup("g", id(0, 0), 99); err != nil {
				t.Fatal(err)
			}
			return s
		}, []lagRow{{id(0, 0), 99, -95, false}}},
		"lag of exactly -1 is known": {func(t *testing.T) *stream.Stream {
			s := newStream(t, 1, 2, 3, 4)
			if err := s.CreateGroup("g", id(0, 0), 5); err != nil {
				t.Fatal(err)
			}
			return s
		}, []lagRow{{id(0, 0), 5, -1, false}}},
		"first entry deleted, then read": {func(t *testing.T) *stream.Stream {
			s := newStream(t, 1, 2, 3, 4, 5)
			mustCreateGroup(t, s, "g", id(0, 0))
			s.Delete(id(1, 0))
			mustReadNew(t, s, "g", "c", 1, 3)
			if err := s.CreateGroup("h", id(0, 0), 1); err != nil {
				t.Fatal(err)
			}
			mustReadNew(t, s, "h", "c", 1, 1)
			return s
		}, []lagRow{{id(4, 0), 4, 1, false}, {id(2, 0), 2, 3, false}}},
		"emptied by deletion": {func(t *testing.T) *stream.Stream {
			s := newStream(t, 1, 2)
			mustCreateGroup(t, s, "g", id(1, 0))
			s.Delete(id(1, 0), id(2, 0))
			return s
		}, []lagRow{{id(1, 0), unknown, 0, false}}},
		"emptied by trimming": {func(t *testing.T) *stream.Stream {
			s := newStream(t, 1, 2, 3)
			mustCreateGroup(t, s, "g", id(1, 0))
			s.Trim(stream.Trim{Strategy: stream.TrimMaxLen, MaxLen: 0})
			return s
		}, []lagRow{{id(1, 0), unknown, 0, false}}},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			if got := lagRows(tc.build(t)); !slices.Equal(got, tc.want) {
				t.Errorf("got  %+v\nwant %+v", got, tc.want)
			}
		})
	}
}

// TestConsumerTimes checks seen-time and active-time as Redis 7.2 defines
// them: every attempted interaction is seen, only reads that made pending
// entries and successful claims are active.
func TestConsumerTimes(t *testing.T) {
	s := newStream(t, 1, 2, 3)
	mustCreateGroup(t, s, "g", id(0, 0))
	type row struct{ idle, inactive int64 }
	steps := []struct {
		name string
		do   func()
		want map[string]row // at now = 10000
	}{
		{"created", func() { _, _ = s.CreateConsumer("g", "a", 1000) }, map[string]row{"a": {9000, -1}}},
		{"created again", func() { _, _ = s.CreateConsumer("g", "a", 2000) }, map[string]row{"a": {9000, -1}}},
		{"noack read", func() { _, _ = s.ReadGroupNew("g", "a", 3000, 1, true) }, map[string]row{"a": {7000, -1}}},
		{"read", func() { mustReadNew(t, s, "g", "a", 4000, 2) }, map[string]row{"a": {6000, 6000}}},
		{"nothing new", func() { mustReadNew(t, s, "g", "b", 5000, 0); mustReadNew(t, s, "g", "a", 5000, 0) }, map[string]row{"a": {5000, 6000}, "b": {5000, -1}}},
		{"history", func() { _, _ = s.ReadGroupHistory("g", "a", 6000, id(0, 0), 0) }, map[string]row{"a": {4000, 6000}, "b": {5000, -1}}},
		{"failed claim", func() { _, _ = s.Claim("g", "b", 7000, 1e9, []stream.ID{id(2, 0)}, stream.ClaimOptions{}) }, map[string]row{"a": {4000, 6000}, "b": {3000, -1}}},
		{"claim", func() { _, _ = s.Claim("g", "b", 8000, 0, []stream.ID{id(2, 0)}, stream.ClaimOptions{}) }, map[string]row{"a": {4000, 6000}, "b": {2000, 2000}}},
		{"autoclaim", func() { _, _, _, _ = s.AutoClaim("g", "c", 9000, 0, id(0, 0), 10, false) }, map[string]row{"a": {4000, 6000}, "b": {2000, 2000}, "c": {1000, 1000}}},
		{"empty autoclaim", func() { _, _, _, _ = s.AutoClaim("g", "d", 9500, 0, id(9, 0), 10, false) }, map[string]row{"a": {4000, 6000}, "b": {2000, 2000}, "c": {1000, 1000}, "d": {500, -1}}},
		{"pending queries touch nothing", func() {
			_, _ = s.PendingRange("g", 9999, stream.PendingQuery{End: stream.MaxID, Count: 10, Consumer: "a"})
			_, _ = s.PendingSummary("g")
			s.Ack("g", id(2, 0))
		}, map[string]row{"a": {4000, 6000}, "b": {2000, 2000}, "c": {1000, 1000}, "d": {500, -1}}},
	}
	for _, st := range steps {
		st.do()
		cs, err := s.Consumers("g", 10000)
		if err != nil {
			t.Fatal(err)
		}
		got := make(map[string]row)
		for _, c := range cs {
			got[c.Name] = row{c.IdleMs, c.InactiveMs}
		}
		if len(got) != len(st.want) {
			t.Fatalf("%s: consumers %+v, want %+v", st.name, got, st.want)
		}
		for name, w := range st.want {
			if got[name] != w {
				t.Fatalf("%s: consumer %s = %+v, want %+v", st.name, name, got[name], w)
			}
		}
	}
	// Idle time never goes negative (a clock behind the last interaction).
	if cs, _ := s.Consumers("g", 0); cs[0].IdleMs != 0 || cs[0].InactiveMs != -4000 {
		t.Errorf("consumer at time 0 = %+v", cs[0])
	}
}

func TestGroupsFull(t *testing.T) {
	s := newStream(t, 1, 2, 3, 4)
	mustCreateGroup(t, s, "g", id(0, 0))
	mustCreateGroup(t, s, "empty", id(4, 0))
	mustReadNew(t, s, "g", "bob", 100, 3)
	mustReadNew(t, s, "g", "amy", 200, 1)
	if _, err := s.CreateConsumer("g", "idle", 300); err != nil {
		t.Fatal(err)
	}
	full := s.GroupsFull(2)
	if len(full) != 2 || full[0].Name != "empty" || full[1].Name != "g" {
		t.Fatalf("groups = %+v", full)
	}
	e := full[0]
	if e.PELCount != 0 || len(e.Pending) != 0 || len(e.Consumers) != 0 || e.Lag != 0 || e.LastDeliveredID != id(4, 0) {
		t.Errorf("empty group = %+v", e)
	}
	g := full[1]
	if g.PELCount != 4 || g.EntriesRead != 4 || g.Lag != 0 || g.LagUnknown {
		t.Errorf("group g = %+v", g)
	}
	wantPending := []stream.Pending{{ID: id(1, 0), Consumer: "bob", DeliveryMs: 100, DeliveryCount: 1}, {ID: id(2, 0), Consumer: "bob", DeliveryMs: 100, DeliveryCount: 1}}
	if !slices.Equal(g.Pending, wantPending) {
		t.Errorf("group pending = %+v", g.Pending)
	}
	wantConsumers := []stream.ConsumerFull{
		{Name: "amy", SeenMs: 200, ActiveMs: 200, PELCount: 1, Pending: []stream.Pending{{ID: id(4, 0), Consumer: "amy", DeliveryMs: 200, DeliveryCount: 1}}},
		{Name: "bob", SeenMs: 100, ActiveMs: 100, PELCount: 3, Pending: wantPending},
		{Name: "idle", SeenMs: 300, ActiveMs: -1, Pending: []stream.Pending{}},
	}
	if len(g.Consumers) != len(wantConsumers) {
		t.Fatalf("consumers = %+v", g.Consumers)
	}
	for i, w := range wantConsumers {
		c := g.Consumers[i]
		if c.Name != w.Name || c.SeenMs != w.SeenMs || c.ActiveMs != w.ActiveMs || c.PELCount != w.PELCount || !slices.Equal(c.Pending, w.Pending) {
			t.Errorf("consumer %d = %+v, want %+v", i, c, w)
		}
	}
	if all := s.GroupsFull(0); len(all[1].Pending) != 4 || len(all[1].Consumers[1].Pending) != 3 {
		t.Errorf("GroupsFull(0) did not list everything: %+v", all[1])
	}
}
