package stream_test

import (
	"errors"
	"fmt"
	"slices"
	"testing"

	"github.com/brookmq/brook/stream"
)

func u64(v uint64) *uint64 { return &v }

// claimFixture is a stream with entries 1..4 all delivered to c1 at 1000.
func claimFixture(t *testing.T) *stream.Stream {
	t.Helper()
	s := newStream(t, 1, 2, 3, 4)
	mustCreateGroup(t, s, "g", id(0, 0))
	mustReadNew(t, s, "g", "c1", 1000, 0)
	return s
}

func TestClaim(t *testing.T) {
	type want struct {
		ids     []stream.ID
		fields  bool // entries come with their fields
		pending []stream.Pending
	}
	p := func(ms uint64, consumer string, at, count uint64) stream.Pending {
		return stream.Pending{ID: id(ms, 0), Consumer: consumer, DeliveryMs: at, DeliveryCount: count}
	}
	unchanged := []stream.Pending{p(1, "c1", 1000, 1), p(2, "c1", 1000, 1), p(3, "c1", 1000, 1), p(4, "c1", 1000, 1)}
	tests := map[string]struct {
		prepare func(*stream.Stream)
		minIdle uint64
		ids     []stream.ID
		o       stream.ClaimOptions
		want    want
	}{
		"moves ownership": {ids: []stream.ID{id(1, 0)}, want: want{ids: []stream.ID{id(1, 0)}, fields: true,
			pending: []stream.Pending{p(1, "c2", 5000, 2), p(2, "c1", 1000, 1), p(3, "c1", 1000, 1), p(4, "c1", 1000, 1)}}},
		"justid keeps the count": {ids: []stream.ID{id(2, 0), id(3, 0)}, o: stream.ClaimOptions{JustID: true},
			want: want{ids: []stream.ID{id(2, 0), id(3, 0)},
				pending: []stream.Pending{p(1, "c1", 1000, 1), p(2, "c2", 5000, 1), p(3, "c2", 5000, 1), p(4, "c1", 1000, 1)}}},
		"not pending":        {ids: []stream.ID{id(9, 9)}, o: stream.ClaimOptions{JustID: true}, want: want{pending: unchanged}},
		"not idle enough":    {minIdle: 4001, ids: []stream.ID{id(1, 0)}, want: want{pending: unchanged}},
		"idle exactly":       {minIdle: 4000, ids: []stream.ID{id(1, 0)}, want: want{ids: []stream.ID{id(1, 0)}, fields: true, pending: append([]stream.Pending{p(1, "c2", 5000, 2)}, unchanged[1:]...)}},
		"order of the ids":   {ids: []stream.ID{id(3, 0), id(1, 0)}, o: stream.ClaimOptions{JustID: true}, want: want{ids: []stream.ID{id(3, 0), id(1, 0)}, pending: []stream.Pending{p(1, "c2", 5000, 1), p(2, "c1", 1000, 1), p(3, "c2", 5000, 1), p(4, "c1", 1000, 1)}}},
		"retrycount":         {ids: []stream.ID{id(1, 0)}, o: stream.ClaimOptions{RetryCount: u64(7), JustID: true}, want: want{ids: []stream.ID{id(1, 0)}, pending: append([]stream.Pending{p(1, "c2", 5000, 7)}, unchanged[1:]...)}},
		"idle option":        {ids: []stream.ID{id(1, 0)}, o: stream.ClaimOptions{IdleMs: u64(300)}, want: want{ids: []stream.ID{id(1, 0)}, fields: true, pending: append([]stream.Pending{p(1, "c2", 4700, 2)}, unchanged[1:]...)}},
		"idle in the future": {ids: []stream.ID{id(1, 0)}, o: stream.ClaimOptions{IdleMs: u64(6000)}, want: want{ids: []stream.ID{id(1, 0)}, fields: true, pending: append([]stream.Pending{p(1, "c2", 5000, 2)}, unchanged[1:]...)}},
		"time option":        {ids: []stream.ID{id(1, 0)}, o: stream.ClaimOptions{TimeMs: u64(1234)}, want: want{ids: []stream.ID{id(1, 0)}, fields: true, pending: append([]stream.Pending{p(1, "c2", 1234, 2)}, unchanged[1:]...)}},
		"time in the future": {ids: []stream.ID{id(1, 0)}, o: stream.ClaimOptions{TimeMs: u64(9999)}, want: want{ids: []stream.ID{id(1, 0)}, fields: true, pending: append([]stream.Pending{p(1, "c2", 5000, 2)}, unchanged[1:]...)}},
		"force on an acked entry": {prepare: func(s *stream.Stream) { s.Ack("g", id(2, 0)) }, minIdle: 1e9, ids: []stream.ID{id(2, 0)}, o: stream.ClaimOptions{Force: true},
			want: want{ids: []stream.ID{id(2, 0)}, fields: true, pending: []stream.Pending{p(1, "c1", 1000, 1), p(2, "c2", 5000, 2), p(3, "c1", 1000, 1), p(4, "c1", 1000, 1)}}},
		"force on a missing entry": {ids: []stream.ID{id(9, 0)}, o: stream.ClaimOptions{Force: true}, want: want{pending: unchanged}},
		"deleted entry is dropped": {prepare: func(s *stream.Stream) { s.Delete(id(2, 0)) }, ids: []stream.ID{id(2, 0), id(3, 0)},
			want: want{ids: []stream.ID{id(3, 0)}, fields: true, pending: []stream.Pending{p(1, "c1", 1000, 1), p(3, "c2", 5000, 2), p(4, "c1", 1000, 1)}}},
		"trimmed entry is dropped even if not idle": {prepare: func(s *stream.Stream) { s.Trim(stream.Trim{Strategy: stream.TrimMinID, MinID: id(2, 0)}) }, minIdle: 1e9, ids: []stream.ID{id(1, 0)},
			want: want{pending: unchanged[1:]}},
		"claim twice": {ids: []stream.ID{id(1, 0), id(1, 0)}, want: want{ids: []stream.ID{id(1, 0), id(1, 0)}, fields: true, pending: append([]stream.Pending{p(1, "c2", 5000, 3)}, unchanged[1:]...)}},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			s := claimFixture(t)
			if tc.prepare != nil {
				tc.prepare(s)
			}
			got, err := s.Claim("g", "c2", 5000, tc.minIdle, tc.ids, tc.o)
			if err != nil {
				t.Fatal(err)
			}
			if got == nil || !slices.Equal(ids(got), tc.want.ids) && len(got)+len(tc.want.ids) > 0 {
				t.Fatalf("claimed %v (nil %t), want %v", ids(got), got == nil, tc.want.ids)
			}
			for _, e := range got {
				if (e.Fields != nil) != tc.want.fields {
					t.Errorf("%v: fields %v, want fields %t", e.ID, e.Fields, tc.want.fields)
				}
			}
			if p := allPending(t, s, "g", 6000); !slices.Equal(p, tc.want.pending) {
				t.Errorf("pending = %+v\nwant      %+v", p, tc.want.pending)
			}
			cs, _ := s.Consumers("g", 6000)
			if len(cs) != 2 || cs[1].Name != "c2" || cs[1].IdleMs != 1000 {
				t.Fatalf("consumers = %+v, want c2 seen at 5000", cs)
			}
			wantInactive := int64(-1)
			if len(tc.want.ids) > 0 {
				wantInactive = 1000
			}
			if cs[1].InactiveMs != wantInactive {
				t.Errorf("c2 inactive = %d, want %d", cs[1].InactiveMs, wantInactive)
			}
		})
	}
}

func TestClaimLastID(t *testing.T) {
	s := claimFixture(t)
	for _, tc := range []struct {
		last, want stream.ID
	}{{id(9, 0), id(9, 0)}, {id(5, 0), id(9, 0)}} {
		if _, err := s.Claim("g", "c2", 5000, 0, nil, stream.ClaimOptions{LastID: &tc.last}); err != nil {
			t.Fatal(err)
		}
		if g := groupInfo(t, s, "g"); g.LastDeliveredID != tc.want {
			t.Errorf("LASTID %v: last-delivered-id %v, want %v", tc.last, g.LastDeliveredID, tc.want)
		}
	}
	if _, err := s.Claim("nogroup", "c", 1, 0, []stream.ID{id(1, 0)}, stream.ClaimOptions{}); !errors.Is(err, stream.ErrNoGroup) {
		t.Errorf("Claim on a missing group: %v", err)
	}
}

// TestClaimConformance follows conformance case xclaim_basic.
func TestClaimConformance(t *testing.T) {
	s := newStream(t, 1, 2, 3)
	mustCreateGroup(t, s, "g", id(0, 0))
	mustReadNew(t, s, "g", "c1", 10, 0)
	steps := []struct {
		consumer string
		minIdle  uint64
		ids      []stream.ID
		justID   bool
		want     []stream.ID
		summary  []stream.ConsumerCount
	}{
		{"c2", 0, []stream.ID{id(1, 0)}, false, []stream.ID{id(1, 0)}, []stream.ConsumerCount{{Consumer: "c1", Count: 2}, {Consumer: "c2", Count: 1}}},
		{"c2", 0, []stream.ID{id(2, 0), id(3, 0)}, true, []stream.ID{id(2, 0), id(3, 0)}, []stream.ConsumerCount{{Consumer: "c2", Count: 3}}},
		{"c1", 0, []stream.ID{id(9, 9)}, true, nil, []stream.ConsumerCount{{Consumer: "c2", Count: 3}}},
		{"c1", 3600000, []stream.ID{id(1, 0)}, false, nil, []stream.ConsumerCount{{Consumer: "c2", Count: 3}}},
		{"c1", 0, []stream.ID{id(3, 0), id(1, 0)}, false, []stream.ID{id(3, 0), id(1, 0)}, []stream.ConsumerCount{{Consumer: "c1", Count: 2}, {Consumer: "c2", Count: 1}}},
	}
	for i, st := range steps {
		got, err := s.Claim("g", st.consumer, 20, st.minIdle, st.ids, stream.ClaimOptions{JustID: st.justID})
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(ids(got), st.want) && len(got)+len(st.want) > 0 {
			t.Fatalf("step %d: claimed %v, want %v", i, ids(got), st.want)
		}
		if sum := summary(t, s, "g"); !slices.Equal(sum.Consumers, st.summary) || sum.Count != 3 {
			t.Fatalf("step %d: summary %+v, want %v", i, sum, st.summary)
		}
	}
}

// TestAutoClaim follows conformance case xautoclaim_basic.
func TestAutoClaim(t *testing.T) {
	s := claimFixture(t)
	steps := []struct {
		consumer    string
		minIdle     uint64
		start       stream.ID
		count       int
		justID      bool
		wantNext    stream.ID
		wantClaimed []stream.ID
	}{
		{"c2", 0, id(0, 0), 2, true, id(3, 0), []stream.ID{id(1, 0), id(2, 0)}},
		{"c2", 0, id(3, 0), 2, true, id(0, 0), []stream.ID{id(3, 0), id(4, 0)}},
		{"c3", 0, id(0, 0), 1, false, id(2, 0), []stream.ID{id(1, 0)}},
		{"c3", 3600000, id(0, 0), 0, true, id(0, 0), nil},
	}
	for i, st := range steps {
		next, claimed, deleted, err := s.AutoClaim("g", st.consumer, 2000, st.minIdle, st.start, st.count, st.justID)
		if err != nil {
			t.Fatal(err)
		}
		if next != st.wantNext || !slices.Equal(ids(claimed), st.wantClaimed) && len(claimed)+len(st.wantClaimed) > 0 || len(deleted) != 0 {
			t.Fatalf("step %d: AutoClaim = %v, %v, %v; want %v, %v, []", i, next, ids(claimed), deleted, st.wantNext, st.wantClaimed)
		}
		if claimed == nil || deleted == nil {
			t.Fatalf("step %d: nil slices %v %v", i, claimed, deleted)
		}
		for _, e := range claimed {
			if (e.Fields == nil) != st.justID {
				t.Errorf("step %d: %v fields %v with justID %t", i, e.ID, e.Fields, st.justID)
			}
		}
	}
	want := []stream.Pending{
		{ID: id(1, 0), Consumer: "c3", DeliveryMs: 2000, DeliveryCount: 2},
		{ID: id(2, 0), Consumer: "c2", DeliveryMs: 2000, DeliveryCount: 1},
		{ID: id(3, 0), Consumer: "c2", DeliveryMs: 2000, DeliveryCount: 1},
		{ID: id(4, 0), Consumer: "c2", DeliveryMs: 2000, DeliveryCount: 1},
	}
	if p := allPending(t, s, "g", 3000); !slices.Equal(p, want) {
		t.Errorf("pending = %+v\nwant %+v", p, want)
	}
	if _, _, _, err := s.AutoClaim("nogroup", "c", 1, 0, id(0, 0), 1, false); !errors.Is(err, stream.ErrNoGroup) {
		t.Errorf("AutoClaim on a missing group: %v", err)
	}
}

func TestAutoClaimDeletedAndIdle(t *testing.T) {
	tests := map[string]struct {
		deleteIDs   []stream.ID
		minIdle     uint64
		start       stream.ID
		count       int
		wantNext    stream.ID
		wantClaimed []stream.ID
		wantDeleted []stream.ID
	}{
		// Observed on Redis 7.0.15: a deleted entry counts towards COUNT.
		"deleted counts":           {deleteIDs: []stream.ID{id(2, 0), id(3, 0)}, count: 2, wantNext: id(3, 0), wantClaimed: []stream.ID{id(1, 0)}, wantDeleted: []stream.ID{id(2, 0)}},
		"all deleted":              {deleteIDs: []stream.ID{id(1, 0), id(2, 0), id(3, 0), id(4, 0), id(5, 0), id(6, 0)}, count: 10, wantDeleted: []stream.ID{id(1, 0), id(2, 0), id(3, 0), id(4, 0), id(5, 0), id(6, 0)}},
		"start mid-PEL":            {start: id(4, 1), count: 10, wantClaimed: []stream.ID{id(5, 0), id(6, 0)}},
		"start exact":              {start: id(6, 0), count: 1, wantClaimed: []stream.ID{id(6, 0)}},
		"none idle enough":         {minIdle: 1e9, count: 100, wantClaimed: nil},
		"idle: only the old":       {minIdle: 1500, count: 100, wantClaimed: []stream.ID{id(1, 0), id(2, 0), id(3, 0)}},
		"nothing idle after start": {minIdle: 1500, start: id(4, 0), count: 1, wantClaimed: nil},
		"default count":            {count: 0, wantClaimed: []stream.ID{id(1, 0), id(2, 0), id(3, 0), id(4, 0), id(5, 0), id(6, 0)}},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			s := newStream(t, 1, 2, 3, 4, 5, 6)
			mustCreateGroup(t, s, "g", id(0, 0))
			mustReadNew(t, s, "g", "c1", 1000, 3) // 1..3 at 1000
			mustReadNew(t, s, "g", "c1", 2000, 3) // 4..6 at 2000
			s.Delete(tc.deleteIDs...)
			next, claimed, deleted, err := s.AutoClaim("g", "c2", 3000, tc.minIdle, tc.start, tc.count, true)
			if err != nil {
				t.Fatal(err)
			}
			if next != tc.wantNext || !slices.Equal(ids(claimed), tc.wantClaimed) && len(claimed)+len(tc.wantClaimed) > 0 ||
				!slices.Equal(deleted, tc.wantDeleted) && len(deleted)+len(tc.wantDeleted) > 0 {
				t.Fatalf("AutoClaim = %v, %v, %v; want %v, %v, %v", next, ids(claimed), deleted, tc.wantNext, tc.wantClaimed, tc.wantDeleted)
			}
			sum := summary(t, s, "g")
			if want := 6 - len(tc.wantDeleted); sum.Count != int64(want) {
				t.Errorf("%d pending, want %d", sum.Count, want)
			}
		})
	}
}

// TestAutoClaimAttempts checks that a scan examines at most COUNT x 10
// pending entries and returns where to go on.
func TestAutoClaimAttempts(t *testing.T) {
	s := newStream(t, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12)
	mustCreateGroup(t, s, "g", id(0, 0))
	mustReadNew(t, s, "g", "c1", 1000, 0)
	next, claimed, deleted, err := s.AutoClaim("g", "c2", 1100, 500, id(0, 0), 1, false)
	if err != nil {
		t.Fatal(err)
	}
	if next != id(11, 0) || len(claimed) != 0 || len(deleted) != 0 {
		t.Errorf("AutoClaim = %v, %v, %v; want 11-0 and nothing claimed", next, ids(claimed), deleted)
	}
}

// Example_consumerGroup shows a consumer group's life: a worker reads an
// entry and stops before acknowledging it; after a minute another worker
// claims it, sees it was delivered twice, and acknowledges it.
func Example_consumerGroup() {
	s := stream.New()
	for ms := uint64(1); ms <= 2; ms++ {
		_ = s.Append(stream.ID{Ms: ms}, []stream.Field{{Name: "job", Value: fmt.Sprint("resize-", ms)}})
	}
	_ = s.CreateGroup("workers", stream.MinID, stream.EntriesReadUnknown)

	const t0 = 1_700_000_000_000 // the clock, Unix ms
	got, _ := s.ReadGroupNew("workers", "alice", t0, 1, false)
	fmt.Println("alice got", got[0].ID, got[0].Fields[0].Value)

	// A minute later alice has not acknowledged: bob takes over what has
	// been idle for at least 30 s.
	next, claimed, _, _ := s.AutoClaim("workers", "bob", t0+60_000, 30_000, stream.MinID, 10, false)
	p, _ := s.PendingRange("workers", t0+60_000, stream.PendingQuery{End: stream.MaxID, Count: 10})
	fmt.Println("bob claimed", claimed[0].ID, "delivered", p[0].DeliveryCount, "times; cursor", next)
	fmt.Println("acknowledged", s.Ack("workers", claimed[0].ID))

	for _, g := range s.Groups() {
		fmt.Printf("%s: last %v, %d pending, lag %d\n", g.Name, g.LastDeliveredID, g.Pending, g.Lag)
	}
	// Output:
	// alice got 1-0 resize-1
	// bob claimed 1-0 delivered 2 times; cursor 0-0
	// acknowledged 1
	// workers: last 1-0, 0 pending, lag 1
}
