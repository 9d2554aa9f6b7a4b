package stream_test

import (
	"encoding/binary"
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

// encodeWithoutGroups returns the snapshot encoding of s as if it had no
// groups, minus the final group count: what decodeGroups reads follows it.
func encodeWithoutGroups(t testing.TB, s *stream.Stream) []byte {
	t.Helper()
	c := s.Clone()
	for _, g := range c.Groups() {
		c.DestroyGroup(g.Name)
	}
	b, err := c.AppendBinary(nil)
	// Format version 3 ends with the IDMP state and the retention policy,
	// 9 zero bytes for a stream that has neither; version 1 ends with the
	// groups, which the tests append by hand.
	const policies = 9
	if err != nil || len(b) < 1+policies || b[len(b)-1-policies] != 0 {
		t.Fatalf("AppendBinary = %x, %v", b, err)
	}
	b[3] = 1
	return b[:len(b)-1-policies]
}

// groupBytes builds a group section by hand.
type groupBytes []byte

func (b groupBytes) u(vs ...uint64) groupBytes {
	for _, v := range vs {
		b = binary.AppendUvarint(b, v)
	}
	return b
}

func (b groupBytes) v(v int64) groupBytes { return binary.AppendVarint(b, v) }

func (b groupBytes) s(s string) groupBytes { return append(b.u(uint64(len(s))), s...) }

// group appends a group named name at 0-0, entries-read unknown, with the
// consumer "c" (seen at 5, never active).
func (b groupBytes) group(name string) groupBytes {
	return b.s(name).u(0, 0).v(-1).u(1).s("c").u(5).v(-1)
}

func TestDecodeGroupsRejects(t *testing.T) {
	huge := uint64(1) << 40
	var g groupBytes
	tests := map[string]groupBytes{
		"huge group count":     g.u(huge),
		"huge name":            g.u(1).u(huge),
		"truncated name":       g.u(1).u(3).s("g"),
		"huge consumer count":  g.u(1).s("g").u(0, 0).v(-1).u(huge),
		"entries-read -2":      g.u(1).s("g").u(0, 0).v(-2).u(0, 0),
		"active-time -2":       g.u(1).s("g").u(0, 0).v(-1).u(1).s("c").u(5).v(-2).u(0),
		"duplicate consumer":   g.u(1).s("g").u(0, 0).v(-1).u(2).s("c").u(5).v(-1).s("c").u(5).v(-1).u(0),
		"duplicate group":      g.u(2).group("g").u(0).group("g").u(0),
		"huge pending count":   g.u(1).group("g").u(huge),
		"owner out of range":   g.u(1).group("g").u(1).u(1, 0, 1, 5, 1),
		"no owner at all":      g.u(1).s("g").u(0, 0).v(-1).u(0).u(1).u(1, 0, 0, 5, 1),
		"ids not increasing":   g.u(1).group("g").u(2).u(1, 0, 0, 5, 1).u(0, 0, 0, 5, 1),
		"ms overflow":          g.u(1).group("g").u(2).u(1, 0, 0, 5, 1).u(^uint64(0), 0, 0, 5, 1),
		"truncated pending":    g.u(1).group("g").u(1).u(1, 0, 0),
		"bad varint":           append(g.u(1).s("g"), 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01),
		"trailing after group": g.u(1).group("g").u(0).u(7),
	}
	prefix := encodeWithoutGroups(t, newStream(t, 1, 2, 3))
	prefix[3] = 1 // the hand encodings are version 1's: no NACK zone
	for name, groups := range tests {
		t.Run(name, func(t *testing.T) {
			s, err := stream.Decode(append(slices.Clip(prefix), groups...))
			if !errors.Is(err, stream.ErrCorrupt) || s != nil {
				t.Errorf("Decode = %v, %v; want ErrCorrupt", s, err)
			}
		})
	}
	// The hand encoding itself is right: the same bytes without the fault decode.
	ok := g.u(2).group("g").u(2).u(1, 0, 0, 5, 1).u(0, 1, 0, 6, 2).group("h").u(0)
	s, err := stream.Decode(append(slices.Clip(prefix), ok...))
	if err != nil {
		t.Fatalf("valid hand encoding: %v", err)
	}
	want := []stream.Pending{{ID: id(1, 0), Consumer: "c", DeliveryMs: 5, DeliveryCount: 1}, {ID: id(1, 1), Consumer: "c", DeliveryMs: 6, DeliveryCount: 2}}
	if p := allPending(t, s, "g", 10); !slices.Equal(p, want) || len(s.Groups()) != 2 {
		t.Errorf("decoded pending %+v, groups %+v", p, s.Groups())
	}
}

// TestSnapshotKeepsGroupState checks that a snapshot round trip keeps what
// Redis once lost (DURABILITY.md): consumers with nothing pending, pending
// entries whose stream entry is gone, times and counts. Every shorter
// prefix of the encoding is rejected.
func TestSnapshotKeepsGroupState(t *testing.T) {
	s := newStream(t, 1, 2, 3, 4, 5)
	mustCreateGroup(t, s, "g", id(0, 0))
	if err := s.CreateGroup("empty", id(3, 0), 3); err != nil {
		t.Fatal(err)
	}
	mustReadNew(t, s, "g", "a", 100, 3)
	mustReadNew(t, s, "g", "", 200, 0)
	if _, err := s.CreateConsumer("g", "idle", 300); err != nil {
		t.Fatal(err)
	}
	if _, err := s.ReadGroupHistory("g", "a", 400, id(0, 0), 1); err != nil {
		t.Fatal(err)
	}
	s.Delete(id(2, 0))
	s.Trim(stream.Trim{Strategy: stream.TrimMinID, MinID: id(4, 0)})
	b, err := s.AppendBinary(nil)
	if err != nil {
		t.Fatal(err)
	}
	d, err := stream.Decode(b)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := fingerprint(d, 1000), fingerprint(s, 1000); got != want {
		t.Fatalf("decoded\n%s\nwant\n%s", got, want)
	}
	if p := allPending(t, d, "g", 1000); len(p) != 5 || p[0] != (stream.Pending{ID: id(1, 0), Consumer: "a", DeliveryMs: 400, DeliveryCount: 2}) {
		t.Errorf("decoded pending = %+v", p)
	}
	for n := range len(b) {
		if _, err := stream.Decode(b[:n]); err == nil {
			t.Fatalf("a %d-byte prefix of %d decoded", n, len(b))
		}
	}
}

func FuzzDecodeGroups(f *testing.F) {
	base := newStream(f, 1, 2, 3)
	prefix := encodeWithoutGroups(f, base)
	var g groupBytes
	f.Add([]byte(g.u(0)))
	// Version 2: each group ends with its NACK zone.
	f.Add([]byte(g.u(2).group("g").u(2).u(1, 0, 0, 5, 1).u(0, 1, 0, 6, 2).u(0).group("h").u(0).u(0)))
	f.Add([]byte(g.u(1).group("g").u(2).u(1, 0, 1, 0, 1).u(0, 1, 0, 6, 2).u(1, 1, 0)))
	s := newStream(f, 1, 2, 3)
	mustCreateGroup(f, s, "g", id(0, 0))
	mustReadNew(f, s, "g", "a", 100, 2)
	full, _ := s.AppendBinary(nil)
	f.Add(full[len(prefix):])
	if _, err := s.Nack("g", []stream.ID{id(2, 0), id(1, 0)}, stream.NackOptions{}); err != nil {
		f.Fatal(err)
	}
	full, _ = s.AppendBinary(nil)
	f.Add(full[len(prefix):])
	f.Fuzz(func(t *testing.T, groups []byte) {
		d, err := stream.Decode(append(slices.Clip(prefix), groups...))
		if err != nil {
			if !errors.Is(err, stream.ErrCorrupt) {
				t.Fatalf("error %v does not wrap ErrCorrupt", err)
			}
			return
		}
		b, err := d.AppendBinary(nil)
		if err != nil {
			t.Fatal(err)
		}
		again, err := stream.Decode(b)
		if err != nil {
			t.Fatalf("re-encoding does not decode: %v", err)
		}
		if fingerprint(again, 50) != fingerprint(d, 50) {
			t.Fatal("re-encoding changed the state")
		}
	})
}

// TestCloneGroupsConcurrent reads a clone's group state from another
// goroutine while the original's groups keep changing (run with -race).
func TestCloneGroupsConcurrent(t *testing.T) {
	s := newStream(t, 1, 2, 3, 4, 5, 6, 7, 8)
	mustCreateGroup(t, s, "g", id(0, 0))
	mustReadNew(t, s, "g", "a", 10, 4)
	c := s.Clone()
	want := fingerprint(c, 100)
	done := make(chan string)
	go func() {
		var got string
		for range 20 {
			got = fingerprint(c, 100)
		}
		done <- got
	}()
	for i := range 20 {
		now := uint64(20 + i)
		mustReadNew(t, s, "g", "b", now, 1)
		_, _ = s.ReadGroupHistory("g", "a", now, id(0, 0), 0)
		_, _ = s.Claim("g", "c", now, 0, []stream.ID{id(1, 0), id(5, 0)}, stream.ClaimOptions{})
		_, _, _, _ = s.AutoClaim("g", "d", now, 0, id(0, 0), 2, false)
		s.Ack("g", id(uint64(i%8+1), 0))
		_, _ = s.DeleteConsumer("g", "b")
		_ = s.SetGroupID("g", id(uint64(i%3), 0), stream.EntriesReadUnknown)
	}
	if got := <-done; got != want {
		t.Errorf("the clone changed:\n%s\nwant\n%s", got, want)
	}
	if fingerprint(s, 100) == want {
		t.Error("the original did not change")
	}
}

// TestGroupReadersConcurrent runs the read-only group methods from several
// goroutines at once (run with -race).
func TestGroupReadersConcurrent(t *testing.T) {
	s := newStream(t, 1, 2, 3, 4)
	mustCreateGroup(t, s, "g", id(0, 0))
	mustReadNew(t, s, "g", "a", 10, 2)
	mustReadNew(t, s, "g", "b", 20, 0)
	want := fingerprint(s, 100)
	done := make(chan string)
	for range 3 {
		go func() {
			var got string
			for range 10 {
				_, _ = s.PendingSummary("g")
				_, _ = s.AppendBinary(nil)
				got = fingerprint(s, 100)
			}
			done <- got
		}()
	}
	for range 3 {
		if got := <-done; got != want {
			t.Errorf("a reader saw\n%s\nwant\n%s", got, want)
		}
	}
}
