package stream_test

import (
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/brookmq/brook/stream"
)

// idmpAdd is XADD key [trim] IDMP pid iid * fields... as Redis runs it on
// the engine: a tracked iid is a duplicate (the original ID, no append, no
// trim); otherwise append, record, trim.
func idmpAdd(t *testing.T, s *stream.Stream, pid, iid string, nowMs uint64, trim stream.Trim, fields ...stream.Field) (stream.ID, bool) {
	t.Helper()
	if id, ok := s.IdmpLookup(pid, iid); ok {
		s.IdmpDuplicate()
		return id, true
	}
	id, err := s.NextID(stream.AutoID(), nowMs)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Append(id, fields); err != nil {
		t.Fatal(err)
	}
	s.IdmpRecord(pid, iid, id)
	s.Trim(trim)
	return id, false
}

func f(name, value string) stream.Field { return stream.Field{Name: name, Value: value} }

func TestIdmpNoteExample(t *testing.T) {
	s := stream.New()
	first, dup := idmpAdd(t, s, "p1", "ord-7", 1700000000000, stream.Trim{}, f("amt", "100"))
	if dup || first != id(1700000000000, 0) {
		t.Fatalf("first add = %s, dup %v", first, dup)
	}
	again, dup := idmpAdd(t, s, "p1", "ord-7", 1700000000005, stream.Trim{}, f("amt", "999"))
	if !dup || again != first || s.Len() != 1 {
		t.Fatalf("duplicate = %s, dup %v, len %d", again, dup, s.Len())
	}
	want := stream.IdmpInfo{Duration: 100 * time.Second, MaxSize: 100, PidsTracked: 1, IidsTracked: 1, IidsAdded: 1, IidsDuplicates: 1}
	if got := s.Info().Idmp; got != want {
		t.Fatalf("Info().Idmp = %+v, want %+v", got, want)
	}
}

func TestIdmpDuplicateNeitherAppendsNorTrims(t *testing.T) {
	s := stream.New()
	maxlen1 := stream.Trim{Strategy: stream.TrimMaxLen, MaxLen: 1}
	a, _ := idmpAdd(t, s, "p", "a", 10, maxlen1, f("x", "1"))
	b, _ := idmpAdd(t, s, "p", "b", 11, maxlen1, f("x", "2"))
	// a's entry was trimmed away: a duplicate of a still answers a's ID,
	// and neither appends nor trims b away.
	got, dup := idmpAdd(t, s, "p", "a", 12, stream.Trim{Strategy: stream.TrimMaxLen, MaxLen: 0}, f("x", "3"))
	if !dup || got != a || s.Len() != 1 || s.LastID() != b {
		t.Fatalf("dup of trimmed = %s %v; len %d last %s", got, dup, s.Len(), s.LastID())
	}
	// After XDEL of b, b's iid still answers b's ID.
	s.Delete(b)
	if got, dup := idmpAdd(t, s, "p", "b", 13, stream.Trim{}, f("x", "4")); !dup || got != b || s.Len() != 0 {
		t.Fatalf("dup of deleted = %s %v, len %d", got, dup, s.Len())
	}
}

func TestIdmpProducersAreIsolated(t *testing.T) {
	s := stream.New()
	a, _ := idmpAdd(t, s, "p1", "same", 10, stream.Trim{}, f("x", "1"))
	b, dup := idmpAdd(t, s, "p2", "same", 11, stream.Trim{}, f("x", "1"))
	if dup || a == b {
		t.Fatalf("p2's iid deduplicated against p1's: %s %s", a, b)
	}
	if in := s.Info().Idmp; in.PidsTracked != 2 || in.IidsTracked != 2 {
		t.Fatalf("info %+v", in)
	}
}

func TestIdmpEvictsOldestBeyondMaxSize(t *testing.T) {
	s := stream.New()
	if !s.SetIdmpConfig(stream.IdmpConfig{Duration: 100, MaxSize: 3}) {
		t.Fatal("changing the max size reported no change")
	}
	var ids []stream.ID
	for i := range 5 {
		id, _ := idmpAdd(t, s, "p", "i"+strconv.Itoa(i), uint64(10+i), stream.Trim{}, f("x", "1"))
		ids = append(ids, id)
		idmpAdd(t, s, "q", "i"+strconv.Itoa(i), uint64(10+i), stream.Trim{}, f("x", "1"))
	}
	for i := range 5 {
		got, ok := s.IdmpLookup("p", "i"+strconv.Itoa(i))
		if want := i >= 2; ok != want || ok && got != ids[i] {
			t.Errorf("lookup i%d = %s %v, want tracked %v", i, got, ok, want)
		}
	}
	if in := s.Info().Idmp; in.IidsTracked != 6 || in.IidsAdded != 10 || in.PidsTracked != 2 {
		t.Fatalf("info %+v", in)
	}
}

func TestSetIdmpConfigSameVersusChanged(t *testing.T) {
	s := stream.New()
	idmpAdd(t, s, "p", "a", 10, stream.Trim{}, f("x", "1"))
	idmpAdd(t, s, "p", "a", 11, stream.Trim{}, f("x", "1"))
	if s.SetIdmpConfig(stream.IdmpConfig{Duration: 100, MaxSize: 100}) {
		t.Fatal("the default configuration reported a change")
	}
	if _, ok := s.IdmpLookup("p", "a"); !ok {
		t.Fatal("the same configuration cleared the iids")
	}
	if !s.SetIdmpConfig(stream.IdmpConfig{Duration: 200, MaxSize: 100}) {
		t.Fatal("a new duration reported no change")
	}
	want := stream.IdmpInfo{Duration: 200 * time.Second, MaxSize: 100, IidsAdded: 1, IidsDuplicates: 1}
	if got := s.Info().Idmp; got != want {
		t.Fatalf("after a change: %+v, want %+v", got, want)
	}
	if _, ok := s.IdmpLookup("p", "a"); ok {
		t.Fatal("a changed configuration kept the iids")
	}
}

func TestIdmpExpire(t *testing.T) {
	s := stream.New()
	s.SetIdmpConfig(stream.IdmpConfig{Duration: 10, MaxSize: 100})
	idmpAdd(t, s, "p", "a", 1000, stream.Trim{}, f("x", "1"))
	idmpAdd(t, s, "q", "b", 2000, stream.Trim{}, f("x", "1"))
	idmpAdd(t, s, "p", "c", 3000, stream.Trim{}, f("x", "1"))
	if d, ok := s.IdmpDeadline(); !ok || d != 11000 {
		t.Fatalf("IdmpDeadline = %d %v, want 11000", d, ok)
	}
	if n := s.IdmpExpire(10999); n != 0 {
		t.Fatalf("expired %d before the deadline", n)
	}
	// Dropped: entry ms <= now - duration.
	if n := s.IdmpExpire(12000); n != 2 {
		t.Fatalf("expired %d, want 2 (a, b)", n)
	}
	if in := s.Info().Idmp; in.PidsTracked != 1 || in.IidsTracked != 1 {
		t.Fatalf("info %+v", in)
	}
	if d, ok := s.IdmpDeadline(); !ok || d != 13000 {
		t.Fatalf("IdmpDeadline = %d %v, want 13000", d, ok)
	}
	s.IdmpExpire(13000)
	if _, ok := s.IdmpDeadline(); ok || s.Info().Idmp.PidsTracked != 0 {
		t.Fatal("a producer without iids is still tracked")
	}
}

func TestAutoIIDIgnoresFieldOrder(t *testing.T) {
	a := stream.AutoIID([]stream.Field{f("a", "1"), f("b", "2")})
	b := stream.AutoIID([]stream.Field{f("b", "2"), f("a", "1")})
	if a != b || len(a) != 16 {
		t.Fatalf("order changed the iid: %x %x", a, b)
	}
	for _, other := range [][]stream.Field{
		{f("a", "2"), f("b", "1")},              // values swapped between names
		{f("a1", ""), f("b", "2")},              // name/value boundary moved
		{f("a", "1")},                           // a pair fewer
		{f("a", "1"), f("b", "2"), f("a", "1")}, // a pair repeated
		{f("a", "1"), f("b", "2"), f("b", "2")}, // the other repeated
		{f("b", "2"), f("a", "1"), f("", "")},   // an empty pair more
		{f("a", "1"), f("b", "2"), f("c", "3")}, // one more
		{f("A", "1"), f("b", "2")},              // case
	} {
		if stream.AutoIID(other) == a {
			t.Errorf("%v collides with a=1 b=2", other)
		}
	}
	// Stable across processes: a fixed vector.
	if got := stream.AutoIID([]stream.Field{f("amt", "100")}); got != stream.AutoIID([]stream.Field{f("amt", "100")}) {
		t.Fatal("not deterministic")
	}
}

func TestIdmpAndRetentionSurviveSnapshot(t *testing.T) {
	s := stream.New()
	s.SetIdmpConfig(stream.IdmpConfig{Duration: 50, MaxSize: 2})
	for i := range 4 {
		idmpAdd(t, s, "p"+strconv.Itoa(i%2), "i"+strconv.Itoa(i), uint64(100+i), stream.Trim{}, f("x", strconv.Itoa(i)))
	}
	idmpAdd(t, s, "p0", "i2", 200, stream.Trim{}, f("x", "dup"))
	s.SetRetention(stream.Retention{MaxLen: 10, MaxAgeMs: 5000, MaxBytes: 1 << 20})
	enc, err := s.AppendBinary(nil)
	if err != nil {
		t.Fatal(err)
	}
	d, err := stream.Decode(enc)
	if err != nil {
		t.Fatal(err)
	}
	if !infoEqual(d.Info(), s.Info()) {
		t.Fatalf("decoded info %+v, want %+v", d.Info(), s.Info())
	}
	for i := range 4 {
		pid, iid := "p"+strconv.Itoa(i%2), "i"+strconv.Itoa(i)
		a, okA := s.IdmpLookup(pid, iid)
		b, okB := d.IdmpLookup(pid, iid)
		if a != b || okA != okB {
			t.Errorf("%s/%s: %s %v after decode, want %s %v", pid, iid, b, okB, a, okA)
		}
	}
	// Eviction continues in the same order after decoding.
	idmpAdd(t, d, "p0", "new", 300, stream.Trim{}, f("x", "n"))
	if _, ok := d.IdmpLookup("p0", "i0"); ok {
		t.Fatal("the oldest iid of p0 was not evicted after decode")
	}
	// Every prefix is rejected; the clone encodes the same.
	for n := range len(enc) {
		if _, err := stream.Decode(enc[:n]); err == nil {
			t.Fatalf("prefix of %d bytes decoded", n)
		}
	}
	c, _ := s.Clone().AppendBinary(nil)
	if string(c) != string(enc) {
		t.Fatal("a clone encodes differently")
	}
}

// infoEqual compares Info values, whose entries hold slices.
func infoEqual(a, b stream.Info) bool {
	fa, fb, la, lb := a.FirstEntry, b.FirstEntry, a.LastEntry, b.LastEntry
	a.FirstEntry, b.FirstEntry, a.LastEntry, b.LastEntry = nil, nil, nil, nil
	return a == b && (fa == nil) == (fb == nil) && (fa == nil || entriesEqual([]stream.Entry{*fa, *la}, []stream.Entry{*fb, *lb}))
}

func TestDecodeVersion1HasDefaultPolicies(t *testing.T) {
	s := newStream(t, 1, 2, 3)
	v1 := encodeWithoutGroups(t, s)
	d, err := stream.Decode(append(slices.Clip(v1), 0)) // no groups
	if err != nil {
		t.Fatal(err)
	}
	want := stream.IdmpInfo{Duration: 100 * time.Second, MaxSize: 100}
	if in := d.Info(); in.Idmp != want || d.Retention() != (stream.Retention{}) || in.DataBytes != s.DataBytes() {
		t.Fatalf("version 1 decoded as %+v", in)
	}
}
