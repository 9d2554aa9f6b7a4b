package stream_test

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/brookmq/brook/stream"
)

// model is the reference implementation: a sorted slice of entries and the
// metadata, every operation written the obvious way.
type model struct {
	entries      []stream.Entry
	lastID       stream.ID
	maxDeleted   stream.ID
	entriesAdded uint64
}

func (m *model) clone() *model {
	c := *m
	c.entries = slices.Clone(m.entries)
	return &c
}

func (m *model) nextID(spec stream.AddID, nowMs uint64, kind int, ms uint64, explicit stream.ID) (stream.ID, error) {
	if kind == 2 && explicit.IsZero() {
		return stream.ID{}, stream.ErrIDZero
	}
	if m.lastID == stream.MaxID {
		return stream.ID{}, stream.ErrExhausted
	}
	switch kind {
	case 0:
		if nowMs > m.lastID.Ms {
			return stream.ID{Ms: nowMs}, nil
		}
		next, _ := m.lastID.Next()
		return next, nil
	case 1:
		if ms == m.lastID.Ms {
			if m.lastID.Seq == ^uint64(0) {
				return stream.ID{}, stream.ErrTooLarge
			}
			return stream.ID{Ms: ms, Seq: m.lastID.Seq + 1}, nil
		}
		explicit = stream.ID{Ms: ms}
	}
	if explicit.Compare(m.lastID) <= 0 {
		return stream.ID{}, stream.ErrIDTooSmall
	}
	return explicit, nil
}

func (m *model) append(id stream.ID, fields []stream.Field) {
	m.entries = append(m.entries, stream.Entry{ID: id, Fields: slices.Clone(fields)})
	m.lastID = id
	m.entriesAdded++
}

func (m *model) index(id stream.ID) int {
	i, ok := slices.BinarySearchFunc(m.entries, id, func(e stream.Entry, id stream.ID) int { return e.ID.Compare(id) })
	if !ok {
		return -1
	}
	return i
}

func (m *model) delete(ids []stream.ID) int64 {
	var n int64
	for _, id := range ids {
		if i := m.index(id); i >= 0 {
			m.entries = slices.Delete(m.entries, i, i+1)
			n++
			if m.maxDeleted.Less(id) {
				m.maxDeleted = id
			}
		}
	}
	return n
}

// exactTrimCount is how many of the oldest entries an exact trim removes.
func (m *model) exactTrimCount(t stream.Trim) int {
	switch t.Strategy {
	case stream.TrimMaxLen:
		return max(len(m.entries)-int(max(t.MaxLen, 0)), 0)
	case stream.TrimMinID:
		n := 0
		for n < len(m.entries) && m.entries[n].ID.Less(t.MinID) {
			n++
		}
		return n
	}
	return 0
}

func (m *model) rangeOf(start, end stream.ID, count int) []stream.Entry {
	var out []stream.Entry
	for _, e := range m.entries {
		if e.ID.Compare(start) >= 0 && e.ID.Compare(end) <= 0 && (count <= 0 || len(out) < count) {
			out = append(out, e)
		}
	}
	return out
}

func (m *model) revRange(end, start stream.ID, count int) []stream.Entry {
	var out []stream.Entry
	for i := len(m.entries) - 1; i >= 0; i-- {
		e := m.entries[i]
		if e.ID.Compare(start) >= 0 && e.ID.Compare(end) <= 0 && (count <= 0 || len(out) < count) {
			out = append(out, e)
		}
	}
	return out
}

// check compares every observable of s with m.
func (m *model) check(t *testing.T, s *stream.Stream, step int) {
	t.Helper()
	if got := s.Len(); got != int64(len(m.entries)) {
		t.Fatalf("step %d: Len = %d, want %d", step, got, len(m.entries))
	}
	if got := s.LastID(); got != m.lastID {
		t.Fatalf("step %d: LastID = %s, want %s", step, got, m.lastID)
	}
	all := s.Range(stream.MinID, stream.MaxID, 0)
	if !entriesEqual(all, m.entries) {
		t.Fatalf("step %d: Range(-, +) =\n%v\nwant\n%v", step, all, m.entries)
	}
	in := s.Info()
	want := stream.Info{
		Length: int64(len(m.entries)), LastGeneratedID: m.lastID,
		MaxDeletedEntryID: m.maxDeleted, EntriesAdded: m.entriesAdded,
	}
	got := stream.Info{
		Length: in.Length, LastGeneratedID: in.LastGeneratedID,
		MaxDeletedEntryID: in.MaxDeletedEntryID, EntriesAdded: in.EntriesAdded,
	}
	if got != want {
		t.Fatalf("step %d: Info = %+v, want %+v", step, got, want)
	}
	var bytes int64
	for _, e := range m.entries {
		for _, f := range e.Fields {
			bytes += int64(len(f.Name) + len(f.Value))
		}
	}
	if got := s.DataBytes(); got != bytes || in.DataBytes != bytes {
		t.Fatalf("step %d: DataBytes = %d (Info %d), want %d", step, got, in.DataBytes, bytes)
	}
	first, ok := s.FirstID()
	if ok != (len(m.entries) > 0) || ok && first != m.entries[0].ID || ok && in.RecordedFirstEntryID != first {
		t.Fatalf("step %d: FirstID = %s %v, recorded %s", step, first, ok, in.RecordedFirstEntryID)
	}
	if len(m.entries) > 0 && (in.FirstEntry == nil || in.LastEntry == nil ||
		!entriesEqual([]stream.Entry{*in.FirstEntry, *in.LastEntry}, []stream.Entry{m.entries[0], m.entries[len(m.entries)-1]})) {
		t.Fatalf("step %d: Info first/last = %v %v", step, in.FirstEntry, in.LastEntry)
	}
}

// checkCheap compares the observables that cost O(log n): length, last and
// first IDs.
func (m *model) checkCheap(t *testing.T, s *stream.Stream, step int) {
	t.Helper()
	first, ok := s.FirstID()
	if s.Len() != int64(len(m.entries)) || s.LastID() != m.lastID ||
		ok != (len(m.entries) > 0) || ok && first != m.entries[0].ID {
		t.Fatalf("step %d: Len %d LastID %s FirstID %s %v; model %d %s", step, s.Len(), s.LastID(), first, ok, len(m.entries), m.lastID)
	}
}

func entriesEqual(a, b []stream.Entry) bool {
	return slices.EqualFunc(a, b, func(x, y stream.Entry) bool {
		return x.ID == y.ID && slices.Equal(x.Fields, y.Fields)
	})
}

// gen draws random operands.
type gen struct {
	r     *rand.Rand
	trims int // percent of steps that trim
	m     *model
	ms    uint64 // the test clock
}

func (g *gen) fields() []stream.Field {
	names := [][]string{{"user_id", "product", "amount"}, {"a"}, {"a", "b"}, {"user_id", "product", "amount"}}
	set := names[g.r.IntN(len(names))]
	if g.r.IntN(10) == 0 {
		set = []string{"x" + strconv.Itoa(g.r.IntN(3)), "user_id"}
	}
	out := make([]stream.Field, len(set))
	for i, n := range set {
		out[i] = stream.Field{Name: n, Value: g.value()}
	}
	return out
}

func (g *gen) value() string {
	switch g.r.IntN(8) {
	case 0:
		return strconv.FormatInt(g.r.Int64()-g.r.Int64(), 10)
	case 1:
		return "007"
	case 2:
		return ""
	case 3:
		if g.r.IntN(20) == 0 {
			return strings.Repeat("big", 1500+g.r.IntN(500)) // over 4 KiB
		}
		return "-0"
	case 4:
		return "prod" + strconv.Itoa(1000+g.r.IntN(9000))
	}
	return strconv.Itoa(1000 + g.r.IntN(9000))
}

// id returns an ID near the stream's contents: existing, in gaps, or beyond.
func (g *gen) id() stream.ID {
	if n := len(g.m.entries); n > 0 && g.r.IntN(2) == 0 {
		id := g.m.entries[g.r.IntN(n)].ID
		switch g.r.IntN(4) {
		case 0:
			id, _ = id.Next()
		case 1:
			id, _ = id.Prev()
		}
		return id
	}
	switch g.r.IntN(10) {
	case 0:
		return stream.MinID
	case 1:
		return stream.MaxID
	}
	return stream.ID{Ms: g.r.Uint64N(g.ms + 2), Seq: g.r.Uint64N(4)}
}

func (g *gen) step(t *testing.T, s *stream.Stream, step int) {
	m := g.m
	switch op := g.r.IntN(100); {
	case op < g.trims:
		g.trim(t, s, step)
	case op < 50:
		g.add(t, s, step)
	case op < 60:
		ids := []stream.ID{g.id(), g.id(), g.id()}[:1+g.r.IntN(3)]
		if got, want := s.Delete(ids...), m.delete(ids); got != want {
			t.Fatalf("step %d: Delete(%v) = %d, want %d", step, ids, got, want)
		}
	case op < 80:
		start, end, count := g.id(), g.id(), g.r.IntN(5)
		if got, want := s.Range(start, end, count), m.rangeOf(start, end, count); !entriesEqual(got, want) {
			t.Fatalf("step %d: Range(%s, %s, %d) = %v, want %v", step, start, end, count, got, want)
		}
		if got, want := s.RevRange(end, start, count), m.revRange(end, start, count); !entriesEqual(got, want) {
			t.Fatalf("step %d: RevRange(%s, %s, %d) = %v, want %v", step, end, start, count, got, want)
		}
	default:
		id := g.id()
		got, ok := s.Get(id)
		i := m.index(id)
		if ok != (i >= 0) || ok && !entriesEqual([]stream.Entry{got}, m.entries[i:i+1]) {
			t.Fatalf("step %d: Get(%s) = %v %v, model index %d", step, id, got, ok, i)
		}
	}
}

func (g *gen) add(t *testing.T, s *stream.Stream, step int) {
	if g.r.IntN(3) > 0 {
		g.ms += uint64(g.r.IntN(3))
	} else if g.ms > 0 {
		g.ms-- // the clock goes backwards
	}
	var spec stream.AddID
	kind, ms, explicit := g.r.IntN(3), g.ms, g.id()
	switch kind {
	case 0:
		spec = stream.AutoID()
	case 1:
		if g.r.IntN(4) == 0 {
			ms = g.m.lastID.Ms
		}
		spec = stream.PartialID(ms)
	default:
		if g.r.IntN(2) == 0 || explicit.Ms > g.ms+10 && (g.trims < 5 || g.r.IntN(50) > 0) {
			explicit = stream.ID{Ms: g.m.lastID.Ms + uint64(g.r.IntN(2)), Seq: g.m.lastID.Seq + uint64(g.r.IntN(3))}
		}
		spec = stream.ExplicitID(explicit)
	}
	got, err := s.NextID(spec, g.ms)
	want, wantErr := g.m.nextID(spec, g.ms, kind, ms, explicit)
	if got != want || err != wantErr {
		t.Fatalf("step %d: NextID(%s, %d) = %s, %v; want %s, %v", step, spec, g.ms, got, err, want, wantErr)
	}
	if err != nil {
		if explicit.Compare(g.m.lastID) <= 0 && s.Append(explicit, nil) == nil {
			t.Fatalf("step %d: Append(%s) accepted an ID <= last %s", step, explicit, g.m.lastID)
		}
		return
	}
	fields := g.fields()
	if err := s.Append(got, fields); err != nil {
		t.Fatalf("step %d: Append(%s): %v", step, got, err)
	}
	g.m.append(got, fields)
}

func (g *gen) trim(t *testing.T, s *stream.Stream, step int) {
	m := g.m
	tr := stream.Trim{Strategy: stream.TrimMaxLen, MaxLen: int64(g.r.IntN(len(m.entries)+2)) - 1}
	if g.r.IntN(2) == 0 {
		tr = stream.Trim{Strategy: stream.TrimMinID, MinID: g.id()}
	}
	if n := len(m.entries); g.trims < 5 && n > 0 { // growth mode: trim a little
		tr.MaxLen = int64(n - g.r.IntN(min(n, 20)))
		tr.MinID = m.entries[g.r.IntN(min(n, 20))].ID
	}
	tr.Approx = g.r.IntN(2) == 0
	if tr.Approx {
		tr.Limit = []int64{0, -1, 50, 150, 1}[g.r.IntN(5)]
	}
	exact := m.exactTrimCount(tr)
	got := s.Trim(tr)
	if !tr.Approx && got != int64(exact) {
		t.Fatalf("step %d: Trim(%+v) = %d, want %d", step, tr, got, exact)
	}
	if got > int64(exact) || tr.Approx && tr.Limit > 0 && got > tr.Limit {
		t.Fatalf("step %d: Trim(%+v) = %d, exact would remove %d", step, tr, got, exact)
	}
	m.entries = slices.Delete(m.entries, 0, int(got))
}

// TestModel runs random operation sequences against the stream and the
// reference model, with snapshot round-trips and clones mixed in. A clone
// taken along the way must still equal the model frozen at that moment
// after the original has moved on.
func TestModel(t *testing.T) {
	for seed := range uint64(12) {
		t.Run(fmt.Sprintf("seed=%d", seed), func(t *testing.T) {
			// Odd seeds trim rarely, so the stream grows to many blocks.
			s := runModel(t, seed, 3000, 10-9*int(seed%2))
			t.Logf("final: %d entries in %d blocks, added %d, last %s", s.Len(), s.Info().RadixTreeKeys, s.Info().EntriesAdded, s.LastID())
		})
	}
}

// FuzzModel runs the model comparison from fuzzer-chosen seeds.
func FuzzModel(f *testing.F) {
	f.Add(uint64(1), uint16(300), uint8(10))
	f.Add(uint64(2), uint16(2000), uint8(1))
	f.Fuzz(func(t *testing.T, seed uint64, steps uint16, trims uint8) {
		runModel(t, seed, int(steps%4000), int(trims%50))
	})
}

// runModel applies steps random operations (trims percent of them trims)
// to a stream and to the model and compares them, with snapshot round-trips
// and clones mixed in: a clone must still equal the model frozen when it was
// taken after the original has moved on. It returns the final stream.
func runModel(t *testing.T, seed uint64, steps, trims int) *stream.Stream {
	g := &gen{r: rand.New(rand.NewPCG(seed, 42)), m: &model{}, ms: 1000, trims: trims}
	s := stream.New()
	var frozen *stream.Stream
	var frozenModel *model
	for step := range steps {
		g.step(t, s, step)
		switch g.r.IntN(200) {
		case 0:
			s = roundTrip(t, s)
		case 1:
			if frozen != nil {
				frozenModel.check(t, frozen, step)
			}
			frozen, frozenModel = s.Clone(), g.m.clone()
		}
		if step%50 == 0 {
			g.m.check(t, s, step)
		} else {
			g.m.checkCheap(t, s, step)
		}
	}
	g.m.check(t, s, -1)
	if frozen != nil {
		frozenModel.check(t, frozen, -1)
	}
	return s
}

// roundTrip encodes s, decodes it, checks the encoding is stable, and
// returns the decoded stream.
func roundTrip(t *testing.T, s *stream.Stream) *stream.Stream {
	t.Helper()
	enc, err := s.AppendBinary(nil)
	if err != nil {
		t.Fatalf("AppendBinary: %v", err)
	}
	d, err := stream.Decode(enc)
	if err != nil {
		t.Fatalf("Decode: %v", err)
	}
	again, _ := d.AppendBinary(nil)
	if string(again) != string(enc) {
		t.Fatalf("re-encoding differs: %d bytes vs %d", len(again), len(enc))
	}
	return d
}
