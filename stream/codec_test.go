package stream_test

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/brookmq/brook/stream"
)

// observe renders every observable of s that the snapshot must keep.
func observe(t testing.TB, s *stream.Stream) string {
	in := s.Info()
	var first, last string
	if in.FirstEntry != nil {
		first, last = fmt.Sprint(*in.FirstEntry), fmt.Sprint(*in.LastEntry)
	}
	in.FirstEntry, in.LastEntry = nil, nil
	out := fmt.Sprintf("%+v %s %s %v %v", in, first, last, s.Range(stream.MinID, stream.MaxID, 0), s.Groups())
	for _, g := range s.Groups() {
		p, err := s.PendingRange(g.Name, 1000, stream.PendingQuery{Start: stream.MinID, End: stream.MaxID, Count: 1 << 20})
		if err != nil {
			t.Fatal(err)
		}
		cs, _ := s.Consumers(g.Name, 1000)
		out += fmt.Sprintf(" %v %v", p, cs)
	}
	return out
}

// snapshotFixture is a stream with several blocks, tombstones, an oversize
// entry, an open tail and two consumer groups with pending entries.
func snapshotFixture(t testing.TB) *stream.Stream {
	s := build(t, spaced(230)...)
	if err := s.Append(sid(5000, 0), []stream.Field{{"big", strings.Repeat("z", 5000)}}); err != nil {
		t.Fatal(err)
	}
	if err := s.Append(sid(5001, 0), small(1)); err != nil {
		t.Fatal(err)
	}
	s.Delete(sid(20, 0), sid(1000, 0), sid(1500, 0))
	s.Trim(stream.Trim{Strategy: stream.TrimMinID, MinID: sid(15, 0)})
	for _, g := range []string{"g1", "g2"} {
		if err := s.CreateGroup(g, stream.MinID, stream.EntriesReadUnknown); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.ReadGroupNew("g1", "alice", 100, 5, false); err != nil {
		t.Fatal(err)
	}
	if _, err := s.ReadGroupNew("g2", "bob", 200, 0, false); err != nil {
		t.Fatal(err)
	}
	s.Delete(sid(30, 0)) // pending in both groups, now gone from the stream
	return s
}

func TestSnapshotRoundTrip(t *testing.T) {
	tests := []struct {
		name string
		make func(testing.TB) *stream.Stream
	}{
		{"empty", func(testing.TB) *stream.Stream { return stream.New() }},
		{"emptied", func(t testing.TB) *stream.Stream {
			s := build(t, spaced(3)...)
			s.Delete(sid(30, 0))
			s.Trim(stream.Trim{Strategy: stream.TrimMaxLen})
			return s
		}},
		{"one entry", func(t testing.TB) *stream.Stream { return build(t, sid(1, 1)) }},
		{"sealed tail", func(t testing.TB) *stream.Stream { return build(t, spaced(200)...) }},
		{"max ID", func(t testing.TB) *stream.Stream { return build(t, sid(1, 0), stream.MaxID) }},
		{"fixture", snapshotFixture},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := tt.make(t)
			d := roundTrip(t, s)
			if got, want := observe(t, d), observe(t, s); got != want {
				t.Fatalf("decoded:\n%s\nwant:\n%s", got, want)
			}
			// Both go on the same way: the open tail block is kept.
			for _, x := range []*stream.Stream{s, d} {
				if next, err := x.NextID(stream.AutoID(), 6000); err == nil {
					if err := x.Append(next, small(7)); err != nil {
						t.Fatal(err)
					}
				}
			}
			if got, want := observe(t, d), observe(t, s); got != want {
				t.Fatalf("after an append, decoded:\n%s\nwant:\n%s", got, want)
			}
		})
	}
}

// TestDecodeTruncated cuts a valid encoding at every offset: each prefix
// must be rejected with ErrCorrupt, without a panic.
func TestDecodeTruncated(t *testing.T) {
	enc, _ := snapshotFixture(t).AppendBinary(nil)
	for i := range len(enc) {
		if _, err := stream.Decode(enc[:i]); !errors.Is(err, stream.ErrCorrupt) {
			t.Fatalf("Decode of %d of %d bytes: %v, want ErrCorrupt", i, len(enc), err)
		}
	}
}

// TestDecodeBitFlips flips each byte of a small encoding: the result is an
// error or a stream that behaves consistently.
func TestDecodeBitFlips(t *testing.T) {
	s := build(t, spaced(5)...)
	s.Delete(sid(20, 0))
	if err := s.CreateGroup("g", stream.MinID, stream.EntriesReadUnknown); err != nil {
		t.Fatal(err)
	}
	if _, err := s.ReadGroupNew("g", "c", 1, 2, false); err != nil {
		t.Fatal(err)
	}
	enc, _ := s.AppendBinary(nil)
	for i := range enc {
		for _, mask := range []byte{0x01, 0x02, 0x80, 0xff} {
			bad := append([]byte(nil), enc...)
			bad[i] ^= mask
			checkDecoded(t, bad)
		}
	}
}

// checkDecoded decodes data and, when it is accepted, exercises the stream.
func checkDecoded(t *testing.T, data []byte) {
	t.Helper()
	d, err := stream.Decode(data)
	if err != nil {
		if !errors.Is(err, stream.ErrCorrupt) {
			t.Fatalf("Decode error %v does not wrap ErrCorrupt", err)
		}
		return
	}
	all := d.Range(stream.MinID, stream.MaxID, 0)
	if int64(len(all)) != d.Len() || len(d.RevRange(stream.MaxID, stream.MinID, 0)) != len(all) {
		t.Fatalf("decoded stream: Len %d, Range %d entries", d.Len(), len(all))
	}
	for i := 1; i < len(all); i++ {
		if !all[i-1].ID.Less(all[i].ID) {
			t.Fatalf("decoded IDs out of order: %s, %s", all[i-1].ID, all[i].ID)
		}
	}
	again, _ := d.AppendBinary(nil)
	d2, err := stream.Decode(again)
	if err != nil {
		t.Fatalf("re-encoding of an accepted input fails: %v", err)
	}
	if got := d2.Range(stream.MinID, stream.MaxID, 0); !reflect.DeepEqual(got, all) {
		t.Fatal("re-decoded entries differ")
	}
	d.Info()
	d.Groups()
	d.Delete(d.LastID())
	d.Trim(stream.Trim{Strategy: stream.TrimMaxLen, MaxLen: 1})
	if next, err := d.NextID(stream.AutoID(), 1); err == nil {
		if err := d.Append(next, small(1)); err != nil {
			t.Fatalf("Append after decode: %v", err)
		}
	}
}

// snap hand-builds an encoding: the header, then raw blocks and groups.
type snap struct {
	last, maxDel stream.ID
	added, open  uint64
	blocks       [][]byte
	tail         []byte // after the blocks; default: no groups
}

func uv(b []byte, vs ...uint64) []byte {
	for _, v := range vs {
		b = binary.AppendUvarint(b, v)
	}
	return b
}

// rawBlock encodes a block: first ID, n, deleted, names, data.
func rawBlock(first stream.ID, n, del uint64, names []string, data []byte) []byte {
	b := uv(nil, first.Ms, first.Seq, n, del, uint64(len(names)))
	for _, name := range names {
		b = append(uv(b, uint64(len(name))), name...)
	}
	return append(uv(b, uint64(len(data))), data...)
}

func (s snap) bytes() []byte {
	b := []byte("BRS\x01")
	b = uv(b, s.last.Ms, s.last.Seq, s.maxDel.Ms, s.maxDel.Seq, s.added, s.open, uint64(len(s.blocks)))
	for _, bl := range s.blocks {
		b = append(b, bl...)
	}
	if s.tail == nil {
		return uv(b, 0)
	}
	return append(b, s.tail...)
}

// TestDecodeRejects feeds hand-made invalid encodings.
func TestDecodeRejects(t *testing.T) {
	// one entry "a"=1 as the first of its block: flags same-fields, deltas 0 0, value int 1
	entry := []byte{2, 0, 0, 0x03}
	good := rawBlock(sid(5, 0), 1, 0, []string{"a"}, entry)
	two := append(append([]byte{}, entry...), 2, 1, 0, 0x05) // second entry 6-0
	tests := []struct {
		name string
		data []byte
	}{
		{"empty input", nil},
		{"bad magic", []byte("BRX\x01\x00")},
		{"version 0", []byte("BRS\x00\x00\x00\x00\x00\x00\x00\x00\x00")},
		{"future version", []byte("BRS\x04\x00\x00\x00\x00\x00\x00\x00\x00")},
		{"trailing bytes", append(snap{last: sid(5, 0), added: 1, blocks: [][]byte{good}}.bytes(), 0)},
		{"huge block count", snap{tail: []byte{}}.bytesWithCount(1 << 40)},
		{"huge names count", snap{last: sid(5, 0), added: 1, blocks: [][]byte{uv(nil, 5, 0, 1, 0, 1<<40)}}.bytes()},
		{"huge data length", snap{last: sid(5, 0), added: 1, blocks: [][]byte{uv(nil, 5, 0, 1, 0, 0, 1<<40)}}.bytes()},
		{"zero entries", snap{last: sid(5, 0), added: 1, blocks: [][]byte{rawBlock(sid(5, 0), 0, 0, []string{"a"}, entry)}}.bytes()},
		{"too many entries", snap{last: sid(5, 0), added: 1, blocks: [][]byte{rawBlock(sid(5, 0), 101, 0, []string{"a"}, entry)}}.bytes()},
		{"all deleted", snap{last: sid(5, 0), added: 1, blocks: [][]byte{rawBlock(sid(5, 0), 1, 1, []string{"a"}, entry)}}.bytes()},
		{"count above data", snap{last: sid(6, 0), added: 2, blocks: [][]byte{rawBlock(sid(5, 0), 2, 0, []string{"a"}, entry)}}.bytes()},
		{"data after entries", snap{last: sid(5, 0), added: 1, blocks: [][]byte{rawBlock(sid(5, 0), 1, 0, []string{"a"}, append(entry, 0))}}.bytes()},
		{"tombstone count", snap{last: sid(6, 0), added: 2, blocks: [][]byte{rawBlock(sid(5, 0), 2, 1, []string{"a"}, two)}}.bytes()},
		{"first entry not at block ID", snap{last: sid(5, 0), added: 1, blocks: [][]byte{rawBlock(sid(5, 0), 1, 0, []string{"a"}, []byte{2, 0, 1, 3})}}.bytes()},
		{"repeated ID", snap{last: sid(6, 0), added: 2, blocks: [][]byte{rawBlock(sid(5, 0), 2, 0, []string{"a"}, append(append([]byte{}, entry...), 2, 0, 0, 3))}}.bytes()},
		{"unknown flag", snap{last: sid(5, 0), added: 1, blocks: [][]byte{rawBlock(sid(5, 0), 1, 0, []string{"a"}, []byte{6, 0, 0, 3})}}.bytes()},
		{"string past end", snap{last: sid(5, 0), added: 1, blocks: [][]byte{rawBlock(sid(5, 0), 1, 0, []string{"a"}, []byte{2, 0, 0, 8, 'x'})}}.bytes()},
		{"field count past end", snap{last: sid(5, 0), added: 1, blocks: [][]byte{rawBlock(sid(5, 0), 1, 0, nil, []byte{0, 0, 0, 0xff, 0xff, 0xff, 0x0f})}}.bytes()},
		{"ms overflow", snap{last: stream.MaxID, added: 2, blocks: [][]byte{rawBlock(sid(maxU, 0), 2, 0, []string{"a"}, append(append([]byte{}, entry...), 2, 1, 0, 3))}}.bytes()},
		{"block at 0-0", snap{last: sid(5, 0), added: 1, blocks: [][]byte{rawBlock(sid(0, 0), 1, 0, []string{"a"}, entry)}}.bytes()},
		{"blocks out of order", snap{last: sid(9, 0), added: 2, blocks: [][]byte{rawBlock(sid(5, 0), 1, 0, []string{"a"}, entry), rawBlock(sid(5, 0), 1, 0, []string{"a"}, entry)}}.bytes()},
		{"last ID before the last entry", snap{last: sid(4, 0), added: 1, blocks: [][]byte{good}}.bytes()},
		{"max deleted after last ID", snap{last: sid(5, 0), maxDel: sid(6, 0), added: 1, blocks: [][]byte{good}}.bytes()},
		{"entries added below length", snap{last: sid(5, 0), blocks: [][]byte{good}}.bytes()},
		{"open flag without blocks", snap{open: 1}.bytes()},
		{"open flag 2", snap{last: sid(5, 0), added: 1, open: 2, blocks: [][]byte{good}}.bytes()},
		{"bad groups", snap{last: sid(5, 0), added: 1, blocks: [][]byte{good}, tail: uv(nil, 5)}.bytes()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := stream.Decode(tt.data); !errors.Is(err, stream.ErrCorrupt) {
				t.Fatalf("Decode = %v, want ErrCorrupt", err)
			}
		})
	}
	// The hand-made good encoding itself is accepted, so the cases above
	// fail for the reason their names give.
	for _, ok := range [][]byte{
		snap{last: sid(5, 0), added: 1, blocks: [][]byte{good}}.bytes(),
		snap{last: sid(6, 0), added: 2, open: 1, blocks: [][]byte{rawBlock(sid(5, 0), 2, 0, []string{"a"}, two)}}.bytes(),
	} {
		if _, err := stream.Decode(ok); err != nil {
			t.Fatalf("Decode of a valid encoding: %v", err)
		}
	}
}

// TestDecodeOpenBlockBelowLastID: an encoding whose open tail block ends
// before the last-generated-id (no stream writes one: an open block's last
// entry is the last ID) decodes with that block sealed, so the next append
// starts a new block and every entry keeps its ID.
func TestDecodeOpenBlockBelowLastID(t *testing.T) {
	entry := []byte{2, 0, 0, 0x03}
	two := append(append([]byte{}, entry...), 2, 1, 0, 0x05) // 5-0, then 6-0
	s, err := stream.Decode(snap{last: sid(9, 0), added: 2, open: 1, blocks: [][]byte{rawBlock(sid(5, 0), 2, 0, []string{"a"}, two)}}.bytes())
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Append(sid(10, 0), []stream.Field{{"a", "3"}}); err != nil {
		t.Fatal(err)
	}
	var got []stream.ID
	for _, e := range s.Range(stream.MinID, stream.MaxID, 0) {
		got = append(got, e.ID)
	}
	if want := []stream.ID{sid(5, 0), sid(6, 0), sid(10, 0)}; !slices.Equal(got, want) {
		t.Fatalf("entries %v, want %v", got, want)
	}
	if in := s.Info(); in.RadixTreeKeys != 2 {
		t.Fatalf("%d blocks, want 2 (the decoded one sealed)", in.RadixTreeKeys)
	}
}

// bytesWithCount is the header with an arbitrary block count and nothing after.
func (s snap) bytesWithCount(n uint64) []byte {
	b := []byte("BRS\x01")
	return uv(b, 0, 0, 0, 0, 0, 0, n)
}

// FuzzDecode checks that Decode never panics and that whatever it accepts
// behaves as a consistent stream.
func FuzzDecode(f *testing.F) {
	// Small seeds keep the mutator fast; the corpus in testdata adds more.
	acked := build(f, spaced(3)...)
	acked.SetRetention(stream.Retention{MaxLen: 5, Acked: true})
	if err := acked.CreateGroup("g", sid(1, 0), 1); err != nil {
		f.Fatal(err)
	}
	for _, s := range []*stream.Stream{stream.New(), build(f, spaced(3)...), acked} {
		enc, _ := s.AppendBinary(nil)
		f.Add(enc)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		checkDecoded(t, data)
	})
}

// TestAppendBinaryAllocatesOnce: the encoding of a stream without groups is
// sized up front (a snapshot of a large stream must not be a series of
// doubling copies), so it takes exactly one allocation.
func TestAppendBinaryAllocatesOnce(t *testing.T) {
	s := build(t, spaced(1000)...)
	if err := s.Append(sid(20000, 0), []stream.Field{{"big", strings.Repeat("z", 5000)}}); err != nil {
		t.Fatal(err)
	}
	s.Delete(sid(20, 0), sid(500, 0))
	if raceEnabled {
		t.Skip("the race detector allocates on its own")
	}
	if n := testing.AllocsPerRun(5, func() { s.AppendBinary(nil) }); n != 1 {
		t.Fatalf("AppendBinary allocated %v times, want 1", n)
	}
}

// TestWriteBinary checks that WriteBinary writes AppendBinary's bytes and
// that BinarySize is their length: for an empty stream, the snapshot
// fixture (groups, a long value, deletions), a stream of many blocks with
// its last one open, and a clone whose origin changed since; and that a
// failing writer's error is returned.
func TestWriteBinary(t *testing.T) {
	many := build(t, spaced(3000)...)
	clone := many.Clone()
	if err := many.Append(sid(90000, 0), small(2)); err != nil {
		t.Fatal(err)
	}
	many.Delete(sid(10, 0))
	for name, s := range map[string]*stream.Stream{
		"empty": stream.New(), "fixture": snapshotFixture(t), "many blocks": many, "clone": clone,
	} {
		want, _ := s.AppendBinary(nil)
		var buf bytes.Buffer
		n, err := s.WriteBinary(&buf)
		if err != nil || n != int64(len(want)) || !bytes.Equal(buf.Bytes(), want) {
			t.Fatalf("%s: WriteBinary wrote %d bytes (%v), not AppendBinary's %d", name, n, err, len(want))
		}
		if got := s.BinarySize(); got != len(want) {
			t.Fatalf("%s: BinarySize %d, AppendBinary wrote %d", name, got, len(want))
		}
	}
	fail := errors.New("disk full")
	w := &failingWriter{left: 100, err: fail}
	if n, err := many.WriteBinary(w); err != fail || n != 100 {
		t.Fatalf("WriteBinary to a writer failing after 100 bytes: %d, %v", n, err)
	}
}

// failingWriter takes left bytes, then fails with err.
type failingWriter struct {
	left int
	err  error
}

func (w *failingWriter) Write(p []byte) (int, error) {
	if len(p) > w.left {
		n := w.left
		w.left = 0
		return n, w.err
	}
	w.left -= len(p)
	return len(p), nil
}
