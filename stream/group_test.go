package stream_test

import (
	"errors"
	"fmt"
	"math/rand/v2"
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

// The model-based test: random sequences of group operations, entry
// deletions and trims applied both to a Stream and to a plain reference
// model (maps and sorted slices), compared after every step.

type modelPending struct {
	consumer   string
	deliveryMs uint64
	count      uint64
}

type modelConsumer struct {
	seenMs   uint64
	activeMs int64
}

type modelGroup struct {
	last      stream.ID
	pel       map[stream.ID]modelPending
	consumers map[string]*modelConsumer
}

type grpModel struct {
	live   []stream.ID // IDs of the entries in the stream, sorted
	groups map[string]*modelGroup
	now    uint64
}

func (m *grpModel) isLive(i stream.ID) bool {
	_, ok := slices.BinarySearchFunc(m.live, i, stream.ID.Compare)
	return ok
}

func (g *modelGroup) touch(name string, now uint64) *modelConsumer {
	c, ok := g.consumers[name]
	if !ok {
		c = &modelConsumer{activeMs: -1}
		g.consumers[name] = c
	}
	c.seenMs = now
	return c
}

// sortedPEL lists the pending IDs >= from of g (all) or of owner.
func (g *modelGroup) sortedPEL(all bool, owner string, from stream.ID) []stream.ID {
	var out []stream.ID
	for i, p := range g.pel {
		if (all || p.consumer == owner) && !i.Less(from) {
			out = append(out, i)
		}
	}
	slices.SortFunc(out, stream.ID.Compare)
	return out
}

func (g *modelGroup) pending() []stream.Pending {
	var out []stream.Pending
	for _, i := range g.sortedPEL(true, "", stream.MinID) {
		p := g.pel[i]
		out = append(out, stream.Pending{ID: i, Consumer: p.consumer, DeliveryMs: p.deliveryMs, DeliveryCount: p.count})
	}
	return out
}

func (m *grpModel) readNew(g *modelGroup, c string, count int, noAck bool) []stream.ID {
	mc := g.touch(c, m.now)
	var out []stream.ID
	for _, i := range m.live {
		if g.last.Less(i) && (count <= 0 || len(out) < count) {
			out = append(out, i)
		}
	}
	for _, i := range out {
		g.last = i
		if !noAck {
			g.pel[i] = modelPending{consumer: c, deliveryMs: m.now, count: 1}
			mc.activeMs = int64(m.now)
		}
	}
	return out
}

func (m *grpModel) readHistory(g *modelGroup, c string, after stream.ID, count int) []stream.ID {
	g.touch(c, m.now)
	from, ok := after.Next()
	if !ok {
		return nil
	}
	out := g.sortedPEL(false, c, from)
	if count > 0 && len(out) > count {
		out = out[:count]
	}
	for _, i := range out {
		if m.isLive(i) {
			p := g.pel[i]
			p.deliveryMs, p.count = m.now, p.count+1
			g.pel[i] = p
		}
	}
	return out
}

func (m *grpModel) claim(g *modelGroup, c string, minIdle uint64, ids []stream.ID, o stream.ClaimOptions) []stream.ID {
	if o.LastID != nil && g.last.Less(*o.LastID) {
		g.last = *o.LastID
	}
	at := m.now
	if o.TimeMs != nil && *o.TimeMs <= m.now {
		at = *o.TimeMs
	} else if o.TimeMs == nil && o.IdleMs != nil && *o.IdleMs <= m.now {
		at = m.now - *o.IdleMs
	}
	mc := g.touch(c, m.now)
	var out []stream.ID
	for _, i := range ids {
		p, pending := g.pel[i]
		switch {
		case !m.isLive(i):
			delete(g.pel, i)
			continue
		case !pending && !o.Force:
			continue
		case !pending:
			p = modelPending{count: 1}
		case minIdle > 0 && (m.now < p.deliveryMs || m.now-p.deliveryMs < minIdle):
			continue
		}
		p.consumer, p.deliveryMs = c, at
		if o.RetryCount != nil {
			p.count = *o.RetryCount
		} else if !o.JustID {
			p.count++
		}
		g.pel[i] = p
		mc.activeMs = int64(m.now)
		out = append(out, i)
	}
	return out
}

func (m *grpModel) autoClaim(g *modelGroup, c string, minIdle uint64, start stream.ID, count int) (next stream.ID, claimed, deleted []stream.ID) {
	mc := g.touch(c, m.now)
	attempts := count * 10
	keys := g.sortedPEL(true, "", start)
	k := 0
	for ; k < len(keys) && attempts > 0 && count > 0; k++ {
		attempts--
		i, p := keys[k], g.pel[keys[k]]
		switch {
		case !m.isLive(i):
			delete(g.pel, i)
			deleted = append(deleted, i)
			count--
		case minIdle == 0 || (m.now >= p.deliveryMs && m.now-p.deliveryMs >= minIdle):
			g.pel[i] = modelPending{consumer: c, deliveryMs: m.now, count: p.count + 1}
			mc.activeMs = int64(m.now)
			claimed = append(claimed, i)
			count--
		}
	}
	if k < len(keys) {
		next = keys[k]
	}
	return next, claimed, deleted
}

// modelRun drives one random sequence.
type modelRun struct {
	t     *testing.T
	rng   *rand.Rand
	s     *stream.Stream
	m     *grpModel
	ms    uint64 // ms of the next entry
	clone *stream.Stream
	print string // fingerprint of clone when it was taken
}

func (r *modelRun) pick(n int) int { return r.rng.IntN(n) }

// someID returns an ID of the stream's history (live, deleted or pending)
// or one that never existed.
func (r *modelRun) someID() stream.ID {
	if r.ms == 0 || r.pick(8) == 0 {
		return id(uint64(r.pick(int(r.ms)+2)), uint64(r.pick(2)))
	}
	return id(uint64(r.pick(int(r.ms))), 0)
}

func (r *modelRun) step() (setID bool) {
	s, m, t := r.s, r.m, r.t
	gname := []string{"g1", "g2"}[r.pick(2)]
	g := m.groups[gname]
	c := []string{"a", "b", "c", ""}[r.pick(4)]
	switch op := r.pick(20); {
	case op < 4:
		i := id(r.ms, 0)
		appendEntry(t, s, i)
		m.live = append(m.live, i)
		r.ms += 1 + uint64(r.pick(2))
	case op < 7:
		count, noAck := r.pick(4), r.pick(6) == 0
		got, err := s.ReadGroupNew(gname, c, m.now, count, noAck)
		r.check(err == nil && slices.Equal(ids(got), m.readNew(g, c, count, noAck)), "ReadGroupNew(%s, %q, %d, %t) = %v, %v", gname, c, count, noAck, ids(got), err)
	case op < 9:
		after, count := r.someID(), r.pick(3)
		got, err := s.ReadGroupHistory(gname, c, m.now, after, count)
		want := m.readHistory(g, c, after, count)
		r.check(err == nil && slices.Equal(ids(got), want) || len(want)+len(got) == 0, "ReadGroupHistory(%s, %q, %v, %d) = %v, %v; want %v", gname, c, after, count, ids(got), err, want)
		for _, e := range got {
			r.check((e.Fields == nil) == !m.isLive(e.ID), "history entry %v fields %v", e.ID, e.Fields)
		}
	case op < 11:
		ackIDs := []stream.ID{r.someID(), r.someID()}
		want := int64(0)
		for _, i := range slices.Compact(slices.SortedFunc(slices.Values(ackIDs), stream.ID.Compare)) {
			if _, ok := g.pel[i]; ok {
				delete(g.pel, i)
				want++
			}
		}
		got := s.Ack(gname, ackIDs...)
		r.check(got == want, "Ack(%s, %v) = %d, want %d", gname, ackIDs, got, want)
	case op < 13:
		r.claim(gname, g, c)
	case op < 15:
		minIdle, start, count := uint64(r.pick(3)*4), r.someID(), 1+r.pick(4)
		next, claimed, deleted, err := s.AutoClaim(gname, c, m.now, minIdle, start, count, false)
		wantNext, wantClaimed, wantDeleted := m.autoClaim(g, c, minIdle, start, count)
		r.check(err == nil && next == wantNext && slices.Equal(ids(claimed), wantClaimed) || len(claimed)+len(wantClaimed) == 0,
			"AutoClaim(%s, %q, %d, %v, %d) = %v, %v; want %v, %v", gname, c, minIdle, start, count, next, ids(claimed), wantNext, wantClaimed)
		r.check(slices.Equal(deleted, wantDeleted) || len(deleted)+len(wantDeleted) == 0, "AutoClaim deleted %v, want %v", deleted, wantDeleted)
	case op < 16:
		want := int64(len(g.sortedPEL(false, c, stream.MinID)))
		if _, ok := g.consumers[c]; !ok {
			want = 0
		}
		for _, i := range g.sortedPEL(false, c, stream.MinID) {
			delete(g.pel, i)
		}
		delete(g.consumers, c)
		got, err := s.DeleteConsumer(gname, c)
		r.check(err == nil && got == want, "DeleteConsumer(%s, %q) = %d, %v; want %d", gname, c, got, err, want)
	case op < 18:
		i := r.someID()
		s.Delete(i)
		m.live = slices.DeleteFunc(m.live, func(x stream.ID) bool { return x == i })
	case op < 19:
		if r.pick(3) == 0 {
			minID := r.someID()
			s.Trim(stream.Trim{Strategy: stream.TrimMinID, MinID: minID})
			m.live = slices.DeleteFunc(m.live, func(x stream.ID) bool { return x.Less(minID) })
		} else if _, err := s.CreateConsumer(gname, c, m.now); err == nil {
			if _, ok := g.consumers[c]; !ok {
				g.consumers[c] = &modelConsumer{seenMs: m.now, activeMs: -1}
			}
		}
	default:
		last := r.someID()
		if err := s.SetGroupID(gname, last, stream.EntriesReadUnknown); err != nil {
			t.Fatal(err)
		}
		g.last = last
		return true
	}
	return false
}

func (r *modelRun) claim(gname string, g *modelGroup, c string) {
	claimIDs := []stream.ID{r.someID(), r.someID()}
	var o stream.ClaimOptions
	o.JustID, o.Force = r.pick(3) == 0, r.pick(5) == 0
	switch r.pick(8) {
	case 0:
		o.RetryCount = u64(uint64(r.pick(5)))
	case 1:
		o.TimeMs = u64(r.m.now - uint64(r.pick(10)) + 5)
	case 2:
		o.IdleMs = u64(uint64(r.pick(10)))
	case 3:
		last := r.someID()
		o.LastID = &last
	}
	minIdle := uint64(r.pick(3) * 4)
	got, err := r.s.Claim(gname, c, r.m.now, minIdle, claimIDs, o)
	want := r.m.claim(g, c, minIdle, claimIDs, o)
	r.check(err == nil && slices.Equal(ids(got), want) || len(got)+len(want) == 0, "Claim(%s, %q, %d, %v, %+v) = %v, %v; want %v", gname, c, minIdle, claimIDs, o, ids(got), err, want)
}

func (r *modelRun) check(ok bool, format string, args ...any) {
	r.t.Helper()
	if !ok {
		r.t.Fatalf(format, args...)
	}
}

// compare checks every observable group state of the stream against the grpModel.
func (r *modelRun) compare() {
	s, m := r.s, r.m
	got := ids(s.Range(stream.MinID, stream.MaxID, 0))
	r.check(slices.Equal(got, m.live) || len(got)+len(m.live) == 0, "entries %v, want %v", got, m.live)
	infos := s.Groups()
	r.check(len(infos) == len(m.groups), "%d groups", len(infos))
	for _, gi := range infos {
		g := m.groups[gi.Name]
		want := g.pending()
		gotP := allPending(r.t, s, gi.Name, m.now)
		r.check(slices.Equal(gotP, want), "group %s pending\n%+v\nwant %+v", gi.Name, gotP, want)
		r.check(gi.LastDeliveredID == g.last && gi.Pending == int64(len(want)) && gi.Consumers == int64(len(g.consumers)),
			"group %+v, want last %v, %d pending, %d consumers", gi, g.last, len(want), len(g.consumers))
		r.compareConsumers(gi.Name, g)
	}
}

func (r *modelRun) compareConsumers(gname string, g *modelGroup) {
	s, now := r.s, r.m.now
	cs, err := s.Consumers(gname, now)
	r.check(err == nil && len(cs) == len(g.consumers), "consumers %+v, want %d", cs, len(g.consumers))
	sum := summary(r.t, s, gname)
	var union int64
	wantCounts := []stream.ConsumerCount(nil)
	for _, ci := range cs {
		mc, ok := g.consumers[ci.Name]
		owned := g.sortedPEL(false, ci.Name, stream.MinID)
		r.check(ok && ci.Pending == int64(len(owned)) && ci.IdleMs == max(0, int64(now)-int64(mc.seenMs)) &&
			ci.InactiveMs == map[bool]int64{true: -1, false: int64(now) - mc.activeMs}[mc.activeMs == -1],
			"consumer %+v, grpModel %+v with %d pending", ci, mc, len(owned))
		p, _ := s.PendingRange(gname, now, stream.PendingQuery{End: stream.MaxID, Count: 1 << 20, Consumer: ci.Name, ByConsumer: true})
		r.check(len(p) == len(owned), "consumer %q PEL %v, want %v", ci.Name, p, owned)
		for k := range p {
			r.check(p[k].ID == owned[k] && p[k].Consumer == ci.Name, "consumer %q PEL %v, want %v", ci.Name, p, owned)
		}
		union += int64(len(p))
		if len(owned) > 0 {
			wantCounts = append(wantCounts, stream.ConsumerCount{Consumer: ci.Name, Count: int64(len(owned))})
		}
	}
	r.check(union == int64(len(g.pel)) && sum.Count == union && slices.Equal(sum.Consumers, wantCounts),
		"group PEL %d, consumer PELs %d, summary %+v", len(g.pel), union, sum)
}

// fingerprint renders everything observable about the groups and entries.
func fingerprint(s *stream.Stream, now uint64) string {
	info := s.Info()
	var edges []stream.Entry
	for _, e := range []*stream.Entry{info.FirstEntry, info.LastEntry} {
		if e != nil {
			edges = append(edges, *e)
		}
	}
	info.FirstEntry, info.LastEntry = nil, nil
	out := fmt.Sprintf("%+v|%+v|%+v|%+v", info, edges, s.Range(stream.MinID, stream.MaxID, 0), s.GroupsFull(0))
	for _, g := range s.Groups() {
		cs, _ := s.Consumers(g.Name, now)
		out += fmt.Sprintf("|%+v", cs)
	}
	return out
}

// snapshots takes a clone now and then and checks that the last one is
// untouched by what happened since; and round-trips the stream through its
// snapshot encoding, going on with the decoded copy.
func (r *modelRun) snapshots(step int) {
	if r.clone != nil && step%10 == 0 {
		r.check(fingerprint(r.clone, 0) == r.print, "step %d: the clone changed", step)
	}
	if step%37 == 0 {
		r.clone = r.s.Clone()
		r.print = fingerprint(r.clone, 0)
	}
	if step%23 == 0 {
		b, err := r.s.AppendBinary(nil)
		r.check(err == nil, "AppendBinary: %v", err)
		d, err := stream.Decode(b)
		r.check(err == nil, "Decode: %v", err)
		r.check(fingerprint(d, r.m.now) == fingerprint(r.s, r.m.now), "step %d: decoded stream differs\n%s\n%s", step, fingerprint(d, r.m.now), fingerprint(r.s, r.m.now))
		r.s = d
	}
}

func TestGroupsModel(t *testing.T) {
	for seed := range uint64(4) {
		t.Run(fmt.Sprint("seed", seed), func(t *testing.T) {
			r := &modelRun{t: t, rng: rand.New(rand.NewPCG(seed, 7)), s: stream.New(), ms: 1,
				m: &grpModel{groups: map[string]*modelGroup{}}}
			for _, name := range []string{"g1", "g2"} {
				mustCreateGroup(t, r.s, name, id(0, 0))
				r.m.groups[name] = &modelGroup{pel: map[stream.ID]modelPending{}, consumers: map[string]*modelConsumer{}}
			}
			for step := range 300 {
				r.m.now += uint64(r.pick(4))
				before := map[string]stream.ID{"g1": r.m.groups["g1"].last, "g2": r.m.groups["g2"].last}
				setID := r.step()
				r.compare()
				for name, last := range before {
					if g := groupInfo(t, r.s, name); g.LastDeliveredID.Less(last) && !setID {
						t.Fatalf("step %d: %s last-delivered-id went back from %v to %v", step, name, last, g.LastDeliveredID)
					}
				}
				r.snapshots(step)
			}
		})
	}
}
