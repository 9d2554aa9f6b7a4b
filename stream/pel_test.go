package stream_test

import (
	"errors"
	"slices"
	"testing"

	"github.com/brookmq/brook/stream"
)

// TestReadGroup follows conformance case xreadgroup_basic.
func TestReadGroup(t *testing.T) {
	s := newStream(t, 1, 2, 3)
	mustCreateGroup(t, s, "g", id(0, 0))
	type read struct {
		consumer string
		history  bool
		after    stream.ID
		count    int
		want     []stream.ID
	}
	steps := []read{
		{consumer: "c1", count: 1, want: []stream.ID{id(1, 0)}},
		{consumer: "c2", count: 1, want: []stream.ID{id(2, 0)}},
		{consumer: "c1", want: []stream.ID{id(3, 0)}},
		{consumer: "c1", want: nil},
		{consumer: "c1", history: true, want: []stream.ID{id(1, 0), id(3, 0)}},
		{consumer: "c2", history: true, want: []stream.ID{id(2, 0)}},
		{consumer: "c1", history: true, after: id(1, 0), count: 1, want: []stream.ID{id(3, 0)}},
		{consumer: "c3", history: true, want: []stream.ID{}},
	}
	for i, st := range steps {
		var got []stream.Entry
		var err error
		if st.history {
			got, err = s.ReadGroupHistory("g", st.consumer, uint64(100+i), st.after, st.count)
		} else {
			got, err = s.ReadGroupNew("g", st.consumer, uint64(100+i), st.count, false)
		}
		if err != nil {
			t.Fatalf("step %d: %v", i, err)
		}
		if (got == nil) != (st.want == nil) || !slices.Equal(ids(got), st.want) {
			t.Fatalf("step %d (%+v): got %v (nil %t)", i, st, ids(got), got == nil)
		}
		for _, e := range got {
			if len(e.Fields) != 1 || e.Fields[0].Value == "" {
				t.Fatalf("step %d: entry %v has fields %v", i, e.ID, e.Fields)
			}
		}
	}
	if n := s.Ack("g", id(1, 0)); n != 1 {
		t.Fatalf("Ack = %d", n)
	}
	got, _ := s.ReadGroupHistory("g", "c1", 200, id(0, 0), 0)
	if !slices.Equal(ids(got), []stream.ID{id(3, 0)}) {
		t.Fatalf("history after ack = %v", ids(got))
	}
	want := stream.PendingSummary{Count: 2, Min: id(2, 0), Max: id(3, 0),
		Consumers: []stream.ConsumerCount{{Consumer: "c1", Count: 1}, {Consumer: "c2", Count: 1}}}
	if sum := summary(t, s, "g"); !equalSummary(sum, want) {
		t.Errorf("summary = %+v, want %+v", sum, want)
	}
	// c3 was created by its history read, with nothing pending.
	cs, _ := s.Consumers("g", 300)
	if len(cs) != 3 || cs[2].Name != "c3" || cs[2].Pending != 0 {
		t.Errorf("consumers = %+v", cs)
	}
}

func equalSummary(a, b stream.PendingSummary) bool {
	return a.Count == b.Count && a.Min == b.Min && a.Max == b.Max && slices.Equal(a.Consumers, b.Consumers)
}

// TestReadGroupNoAck follows conformance case xreadgroup_noack.
func TestReadGroupNoAck(t *testing.T) {
	s := newStream(t, 1, 2)
	mustCreateGroup(t, s, "g", id(0, 0))
	got, err := s.ReadGroupNew("g", "c", 10, 0, true)
	if err != nil || !slices.Equal(ids(got), []stream.ID{id(1, 0), id(2, 0)}) {
		t.Fatalf("NOACK read = %v, %v", ids(got), err)
	}
	if sum := summary(t, s, "g"); sum.Count != 0 {
		t.Fatalf("NOACK left %d pending", sum.Count)
	}
	if h, _ := s.ReadGroupHistory("g", "c", 11, id(0, 0), 0); len(h) != 0 || h == nil {
		t.Fatalf("history after NOACK = %v (nil %t), want empty", h, h == nil)
	}
	appendEntry(t, s, id(3, 0))
	mustReadNew(t, s, "g", "c", 12, 0)
	want := stream.PendingSummary{Count: 1, Min: id(3, 0), Max: id(3, 0), Consumers: []stream.ConsumerCount{{Consumer: "c", Count: 1}}}
	if sum := summary(t, s, "g"); !equalSummary(sum, want) {
		t.Errorf("summary = %+v, want %+v", sum, want)
	}
	g := groupInfo(t, s, "g")
	if g.Consumers != 1 || g.LastDeliveredID != id(3, 0) || g.EntriesRead != 3 || g.Lag != 0 {
		t.Errorf("group = %+v", g)
	}
}

func TestReadGroupNoGroup(t *testing.T) {
	s := newStream(t, 1)
	if _, err := s.ReadGroupNew("nope", "c", 1, 0, false); !errors.Is(err, stream.ErrNoGroup) {
		t.Errorf("ReadGroupNew: %v", err)
	}
	if _, err := s.ReadGroupHistory("nope", "c", 1, id(0, 0), 0); !errors.Is(err, stream.ErrNoGroup) {
		t.Errorf("ReadGroupHistory: %v", err)
	}
	if _, err := s.PendingSummary("nope"); !errors.Is(err, stream.ErrNoGroup) {
		t.Errorf("PendingSummary: %v", err)
	}
	if _, err := s.PendingRange("nope", 1, stream.PendingQuery{End: stream.MaxID, Count: 1}); !errors.Is(err, stream.ErrNoGroup) {
		t.Errorf("PendingRange: %v", err)
	}
	if _, err := s.Consumers("nope", 1); !errors.Is(err, stream.ErrNoGroup) {
		t.Errorf("Consumers: %v", err)
	}
	if n := s.Ack("nope", id(1, 0)); n != 0 {
		t.Errorf("Ack = %d", n)
	}
}

// TestHistoryCountsAndDeleted checks the delivery bookkeeping of history
// reads, with entries deleted from the stream (observed on Redis 7.0.15).
func TestHistoryCountsAndDeleted(t *testing.T) {
	s := newStream(t, 1, 2, 3, 4, 5, 6)
	mustCreateGroup(t, s, "g", id(0, 0))
	mustReadNew(t, s, "g", "c1", 1000, 4)
	if n := s.Delete(id(2, 0), id(3, 0)); n != 2 {
		t.Fatalf("Delete = %d", n)
	}
	got, err := s.ReadGroupHistory("g", "c1", 2000, id(0, 0), 0)
	if err != nil {
		t.Fatal(err)
	}
	wantNil := []bool{false, true, true, false}
	if !slices.Equal(ids(got), []stream.ID{id(1, 0), id(2, 0), id(3, 0), id(4, 0)}) {
		t.Fatalf("history = %v", ids(got))
	}
	for i, e := range got {
		if (e.Fields == nil) != wantNil[i] {
			t.Errorf("%v: Fields = %v, want nil %t", e.ID, e.Fields, wantNil[i])
		}
	}
	want := []stream.Pending{
		{ID: id(1, 0), Consumer: "c1", DeliveryMs: 2000, DeliveryCount: 2},
		{ID: id(2, 0), Consumer: "c1", DeliveryMs: 1000, DeliveryCount: 1},
		{ID: id(3, 0), Consumer: "c1", DeliveryMs: 1000, DeliveryCount: 1},
		{ID: id(4, 0), Consumer: "c1", DeliveryMs: 2000, DeliveryCount: 2},
	}
	if p := allPending(t, s, "g", 3000); !slices.Equal(p, want) {
		t.Errorf("pending = %+v\nwant %+v", p, want)
	}
	// SETID backwards: reading again reassigns a pending entry, count back to 1.
	if err := s.SetGroupID("g", id(0, 0), stream.EntriesReadUnknown); err != nil {
		t.Fatal(err)
	}
	mustReadNew(t, s, "g", "c2", 4000, 1)
	want[0] = stream.Pending{ID: id(1, 0), Consumer: "c2", DeliveryMs: 4000, DeliveryCount: 1}
	if p := allPending(t, s, "g", 5000); !slices.Equal(p, want) {
		t.Errorf("pending after re-delivery = %+v\nwant %+v", p, want)
	}
	g := groupInfo(t, s, "g")
	if g.EntriesRead != stream.EntriesReadUnknown || !g.LagUnknown || g.Lag != -1 || g.Consumers != 2 {
		t.Errorf("group = %+v, want unknown entries-read and lag", g)
	}
}

// TestAck follows conformance case xack_basic.
func TestAck(t *testing.T) {
	s := newStream(t, 1, 2, 3)
	mustCreateGroup(t, s, "g", id(0, 0))
	mustReadNew(t, s, "g", "c", 1, 0)
	tests := []struct {
		group string
		ids   []stream.ID
		want  int64
	}{
		{"g", []stream.ID{id(9, 9)}, 0},
		{"g", []stream.ID{id(1, 0)}, 1},
		{"g", []stream.ID{id(1, 0)}, 0},
		{"g", []stream.ID{id(2, 0), id(3, 0), id(4, 0)}, 2},
		{"g", []stream.ID{id(1, 0), id(2, 0)}, 0},
		{"nogroup", []stream.ID{id(1, 0)}, 0},
		{"g", nil, 0},
	}
	for i, tc := range tests {
		if got := s.Ack(tc.group, tc.ids...); got != tc.want {
			t.Errorf("step %d: Ack(%q, %v) = %d, want %d", i, tc.group, tc.ids, got, tc.want)
		}
	}
	if sum := summary(t, s, "g"); sum.Count != 0 || sum.Consumers != nil || !sum.Min.IsZero() {
		t.Errorf("summary = %+v", sum)
	}
	s2 := newStream(t, 1, 2)
	mustCreateGroup(t, s2, "g", id(0, 0))
	mustReadNew(t, s2, "g", "c", 1, 0)
	if got := s2.Ack("g", id(1, 0), id(1, 0)); got != 1 {
		t.Errorf("the same ID twice counted %d", got)
	}
}

// TestPendingSummary follows conformance case xpending_summary.
func TestPendingSummary(t *testing.T) {
	s := newStream(t, 1, 2, 3, 4)
	mustCreateGroup(t, s, "g", id(0, 0))
	if sum := summary(t, s, "g"); !equalSummary(sum, stream.PendingSummary{}) {
		t.Fatalf("empty summary = %+v", sum)
	}
	mustReadNew(t, s, "g", "zed", 1, 1)
	mustReadNew(t, s, "g", "amy", 1, 2)
	mustReadNew(t, s, "g", "bob", 1, 1)
	want := stream.PendingSummary{Count: 4, Min: id(1, 0), Max: id(4, 0), Consumers: []stream.ConsumerCount{
		{Consumer: "amy", Count: 2}, {Consumer: "bob", Count: 1}, {Consumer: "zed", Count: 1}}}
	if sum := summary(t, s, "g"); !equalSummary(sum, want) {
		t.Fatalf("summary = %+v, want %+v", sum, want)
	}
	s.Ack("g", id(1, 0))
	want = stream.PendingSummary{Count: 3, Min: id(2, 0), Max: id(4, 0), Consumers: []stream.ConsumerCount{
		{Consumer: "amy", Count: 2}, {Consumer: "bob", Count: 1}}}
	if sum := summary(t, s, "g"); !equalSummary(sum, want) {
		t.Fatalf("summary after ack = %+v, want %+v", sum, want)
	}
}

func TestPendingRange(t *testing.T) {
	s := newStream(t, 1, 2, 3, 4, 5)
	mustCreateGroup(t, s, "g", id(0, 0))
	mustReadNew(t, s, "g", "amy", 100, 2) // 1, 2 at 100
	mustReadNew(t, s, "g", "bob", 200, 2) // 3, 4 at 200
	mustReadNew(t, s, "g", "amy", 300, 1) // 5 at 300
	all := stream.PendingQuery{Start: stream.MinID, End: stream.MaxID, Count: 10}
	tests := map[string]struct {
		q    func(stream.PendingQuery) stream.PendingQuery
		want []stream.ID
	}{
		"all":              {func(q stream.PendingQuery) stream.PendingQuery { return q }, []stream.ID{id(1, 0), id(2, 0), id(3, 0), id(4, 0), id(5, 0)}},
		"count":            {func(q stream.PendingQuery) stream.PendingQuery { q.Count = 2; return q }, []stream.ID{id(1, 0), id(2, 0)}},
		"count zero":       {func(q stream.PendingQuery) stream.PendingQuery { q.Count = 0; return q }, nil},
		"negative count":   {func(q stream.PendingQuery) stream.PendingQuery { q.Count = -1; return q }, nil},
		"bounds inclusive": {func(q stream.PendingQuery) stream.PendingQuery { q.Start, q.End = id(2, 0), id(4, 0); return q }, []stream.ID{id(2, 0), id(3, 0), id(4, 0)}},
		"start after end":  {func(q stream.PendingQuery) stream.PendingQuery { q.Start, q.End = id(4, 0), id(2, 0); return q }, nil},
		"consumer":         {func(q stream.PendingQuery) stream.PendingQuery { q.Consumer = "amy"; return q }, []stream.ID{id(1, 0), id(2, 0), id(5, 0)}},
		"consumer bounded": {func(q stream.PendingQuery) stream.PendingQuery {
			q.Consumer, q.End, q.Count = "amy", id(4, 0), 1
			return q
		}, []stream.ID{id(1, 0)}},
		"missing consumer": {func(q stream.PendingQuery) stream.PendingQuery { q.Consumer = "zed"; return q }, nil},
		"idle 200":         {func(q stream.PendingQuery) stream.PendingQuery { q.MinIdleMs = 200; return q }, []stream.ID{id(1, 0), id(2, 0), id(3, 0), id(4, 0)}},
		"idle 201":         {func(q stream.PendingQuery) stream.PendingQuery { q.MinIdleMs = 201; return q }, []stream.ID{id(1, 0), id(2, 0)}},
		"idle huge":        {func(q stream.PendingQuery) stream.PendingQuery { q.MinIdleMs = 1e12; return q }, nil},
		"idle and count": {func(q stream.PendingQuery) stream.PendingQuery {
			q.MinIdleMs, q.Start, q.Count = 150, id(2, 0), 2
			return q
		}, []stream.ID{id(2, 0), id(3, 0)}},
		"idle consumer": {func(q stream.PendingQuery) stream.PendingQuery { q.MinIdleMs, q.Consumer = 150, "amy"; return q }, []stream.ID{id(1, 0), id(2, 0)}},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			got, err := s.PendingRange("g", 400, tc.q(all))
			if err != nil {
				t.Fatal(err)
			}
			var gotIDs []stream.ID
			for _, p := range got {
				gotIDs = append(gotIDs, p.ID)
			}
			if !slices.Equal(gotIDs, tc.want) {
				t.Errorf("got %v, want %v", gotIDs, tc.want)
			}
		})
	}
	got, _ := s.PendingRange("g", 400, stream.PendingQuery{Start: id(3, 0), End: id(3, 0), Count: 1})
	if want := []stream.Pending{{ID: id(3, 0), Consumer: "bob", DeliveryMs: 200, DeliveryCount: 1}}; !slices.Equal(got, want) {
		t.Errorf("entry 3-0 = %+v, want %+v", got, want)
	}
}
