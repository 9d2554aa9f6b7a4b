package stream_test

import (
	"errors"
	"slices"
	"strconv"
	"testing"

	"github.com/brookmq/brook/stream"
)

// id is a shorthand for the ID ms-seq.
func id(ms, seq uint64) stream.ID { return stream.ID{Ms: ms, Seq: seq} }

// newStream returns a stream holding the entries ms-0 for each ms, each with
// the single field v=<ms>.
func newStream(t testing.TB, ms ...uint64) *stream.Stream {
	t.Helper()
	s := stream.New()
	for _, m := range ms {
		appendEntry(t, s, id(m, 0))
	}
	return s
}

func appendEntry(t testing.TB, s *stream.Stream, i stream.ID) {
	t.Helper()
	if err := s.Append(i, []stream.Field{{Name: "v", Value: strconv.FormatUint(i.Ms, 10)}}); err != nil {
		t.Fatalf("Append(%v): %v", i, err)
	}
}

// ids returns the IDs of entries.
func ids(entries []stream.Entry) []stream.ID {
	out := make([]stream.ID, 0, len(entries))
	for _, e := range entries {
		out = append(out, e.ID)
	}
	return out
}

func mustCreateGroup(t testing.TB, s *stream.Stream, name string, last stream.ID) {
	t.Helper()
	if err := s.CreateGroup(name, last, stream.EntriesReadUnknown); err != nil {
		t.Fatalf("CreateGroup(%q): %v", name, err)
	}
}

func mustReadNew(t testing.TB, s *stream.Stream, group, consumer string, now uint64, count int) []stream.Entry {
	t.Helper()
	got, err := s.ReadGroupNew(group, consumer, now, count, false)
	if err != nil {
		t.Fatalf("ReadGroupNew(%q, %q): %v", group, consumer, err)
	}
	return got
}

func summary(t testing.TB, s *stream.Stream, group string) stream.PendingSummary {
	t.Helper()
	sum, err := s.PendingSummary(group)
	if err != nil {
		t.Fatalf("PendingSummary(%q): %v", group, err)
	}
	return sum
}

// allPending lists every pending entry of group.
func allPending(t testing.TB, s *stream.Stream, group string, now uint64) []stream.Pending {
	t.Helper()
	p, err := s.PendingRange(group, now, stream.PendingQuery{Start: stream.MinID, End: stream.MaxID, Count: 1 << 30})
	if err != nil {
		t.Fatalf("PendingRange(%q): %v", group, err)
	}
	return p
}

func TestCreateGroup(t *testing.T) {
	tests := map[string]struct {
		existing    []string
		name        string
		entriesRead int64
		wantErr     error
	}{
		"new":                  {name: "g", entriesRead: stream.EntriesReadUnknown},
		"with entries-read":    {name: "g", entriesRead: 7},
		"busy":                 {existing: []string{"g"}, name: "g", entriesRead: -1, wantErr: stream.ErrGroupExists},
		"other name":           {existing: []string{"g"}, name: "h", entriesRead: -1},
		"entries-read too low": {name: "g", entriesRead: -2, wantErr: stream.ErrEntriesRead},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			s := newStream(t, 1, 2)
			for _, g := range tc.existing {
				mustCreateGroup(t, s, g, id(1, 0))
			}
			err := s.CreateGroup(tc.name, id(2, 0), tc.entriesRead)
			if !errors.Is(err, tc.wantErr) {
				t.Fatalf("CreateGroup = %v, want %v", err, tc.wantErr)
			}
			groups := s.Groups()
			if len(groups) != len(tc.existing)+btoi(err == nil) {
				t.Fatalf("%d groups after CreateGroup, want %d", len(groups), len(tc.existing)+btoi(err == nil))
			}
			if err != nil {
				if groups := s.Groups(); len(groups) > 0 && groups[0].LastDeliveredID != id(1, 0) {
					t.Errorf("a failed CreateGroup changed the group: %+v", groups[0])
				}
				return
			}
			g := groupInfo(t, s, tc.name)
			if g.LastDeliveredID != id(2, 0) || g.EntriesRead != tc.entriesRead || g.Pending != 0 || g.Consumers != 0 {
				t.Errorf("group = %+v", g)
			}
		})
	}
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

func groupInfo(t testing.TB, s *stream.Stream, name string) stream.GroupInfo {
	t.Helper()
	for _, g := range s.Groups() {
		if g.Name == name {
			return g
		}
	}
	t.Fatalf("no group %q in %+v", name, s.Groups())
	return stream.GroupInfo{}
}

func TestGroupsSortedByName(t *testing.T) {
	s := newStream(t, 1)
	for _, name := range []string{"g1", "g0", "glast", "gmid", "G", ""} {
		mustCreateGroup(t, s, name, id(0, 0))
	}
	var names []string
	for _, g := range s.Groups() {
		names = append(names, g.Name)
	}
	if want := []string{"", "G", "g0", "g1", "glast", "gmid"}; !slices.Equal(names, want) {
		t.Errorf("Groups order = %q, want %q", names, want)
	}
}

// TestSetGroupID follows conformance case xgroup_setid_destroy.
func TestSetGroupID(t *testing.T) {
	s := newStream(t, 1, 2, 3)
	mustCreateGroup(t, s, "g", id(3, 0))
	if got := mustReadNew(t, s, "g", "c", 10, 0); got != nil {
		t.Fatalf("read past the end = %v, want nil", got)
	}
	if err := s.SetGroupID("g", id(1, 0), stream.EntriesReadUnknown); err != nil {
		t.Fatal(err)
	}
	if got := ids(mustReadNew(t, s, "g", "c", 11, 0)); !slices.Equal(got, []stream.ID{id(2, 0), id(3, 0)}) {
		t.Fatalf("after SETID 1-0 read %v", got)
	}
	if err := s.SetGroupID("g", id(0, 0), 0); err != nil {
		t.Fatal(err)
	}
	if got := ids(mustReadNew(t, s, "g", "c", 12, 1)); !slices.Equal(got, []stream.ID{id(1, 0)}) {
		t.Fatalf("after SETID 0 read %v", got)
	}
	g := groupInfo(t, s, "g")
	if g.LastDeliveredID != id(1, 0) || g.EntriesRead != 1 || g.Pending != 3 {
		t.Errorf("group = %+v, want last 1-0, entries-read 1, 3 pending", g)
	}
	for _, tc := range []struct {
		group string
		er    int64
		want  error
	}{{"nogroup", 0, stream.ErrNoGroup}, {"g", -2, stream.ErrEntriesRead}} {
		if err := s.SetGroupID(tc.group, id(9, 9), tc.er); !errors.Is(err, tc.want) {
			t.Errorf("SetGroupID(%q, %d) = %v, want %v", tc.group, tc.er, err, tc.want)
		}
	}
	if g := groupInfo(t, s, "g"); g.LastDeliveredID != id(1, 0) {
		t.Errorf("a failed SetGroupID moved the group to %v", g.LastDeliveredID)
	}
}

func TestDestroyGroup(t *testing.T) {
	s := newStream(t, 1, 2)
	mustCreateGroup(t, s, "g", id(0, 0))
	mustReadNew(t, s, "g", "c", 1, 0)
	if !s.DestroyGroup("g") {
		t.Fatal("DestroyGroup(g) = false, want true")
	}
	if s.DestroyGroup("g") {
		t.Fatal("second DestroyGroup(g) = true, want false")
	}
	if len(s.Groups()) != 0 {
		t.Errorf("Groups = %+v after destroy", s.Groups())
	}
	if _, err := s.ReadGroupNew("g", "c", 2, 0, false); !errors.Is(err, stream.ErrNoGroup) {
		t.Errorf("ReadGroupNew on a destroyed group: %v", err)
	}
	// A group created again under the same name starts empty.
	mustCreateGroup(t, s, "g", id(0, 0))
	if sum := summary(t, s, "g"); sum.Count != 0 {
		t.Errorf("recreated group has %d pending", sum.Count)
	}
}

// TestConsumers follows conformance case xgroup_consumers.
func TestConsumers(t *testing.T) {
	s := newStream(t, 1, 2, 3)
	mustCreateGroup(t, s, "g", id(0, 0))
	steps := []struct {
		name string
		do   func() (int64, error)
		want int64
		err  error
	}{
		{"create alice", func() (int64, error) { ok, err := s.CreateConsumer("g", "alice", 100); return int64(btoi(ok)), err }, 1, nil},
		{"create alice again", func() (int64, error) { ok, err := s.CreateConsumer("g", "alice", 200); return int64(btoi(ok)), err }, 0, nil},
		{"create in missing group", func() (int64, error) {
			ok, err := s.CreateConsumer("nogroup", "alice", 200)
			return int64(btoi(ok)), err
		}, 0, stream.ErrNoGroup},
		{"bob reads two", func() (int64, error) { e, err := s.ReadGroupNew("g", "bob", 300, 2, false); return int64(len(e)), err }, 2, nil},
		{"create bob", func() (int64, error) { ok, err := s.CreateConsumer("g", "bob", 300); return int64(btoi(ok)), err }, 0, nil},
		{"delete alice", func() (int64, error) { return s.DeleteConsumer("g", "alice") }, 0, nil},
		{"delete bob", func() (int64, error) { return s.DeleteConsumer("g", "bob") }, 2, nil},
		{"delete bob again", func() (int64, error) { return s.DeleteConsumer("g", "bob") }, 0, nil},
		{"delete in missing group", func() (int64, error) { return s.DeleteConsumer("nogroup", "bob") }, 0, stream.ErrNoGroup},
	}
	for _, st := range steps {
		got, err := st.do()
		if got != st.want || !errors.Is(err, st.err) {
			t.Fatalf("%s = %d, %v; want %d, %v", st.name, got, err, st.want, st.err)
		}
	}
	if sum := summary(t, s, "g"); sum.Count != 0 || sum.Consumers != nil {
		t.Errorf("summary = %+v, want empty", sum)
	}
	g := groupInfo(t, s, "g")
	if g.Consumers != 0 || g.Pending != 0 || g.LastDeliveredID != id(2, 0) || g.EntriesRead != 2 || g.Lag != 1 {
		t.Errorf("group = %+v", g)
	}
}
