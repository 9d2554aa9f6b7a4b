package stream

import (
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"
	"unsafe"
)

// TestRareStateOnFirstUse checks that a stream gets its rareState only when
// one of its fields is set: every read of those fields, on a stream that
// never set one, leaves it without, and leaves the shared zero state zero.
func TestRareStateOnFirstUse(t *testing.T) {
	s := New()
	fields := []Field{{"a", "1"}}
	for ms := uint64(1); ms <= 3; ms++ {
		if err := s.Append(ID{Ms: ms}, fields); err != nil {
			t.Fatal(err)
		}
	}
	_ = s.Info()
	_ = s.Retention()
	_ = s.IdmpConfig()
	_, _ = s.IdmpLookup("p", "i")
	_, _ = s.IdmpDeadline()
	_, _ = s.AgeDeadline()
	_ = s.HasDeadline()
	_ = s.IdmpExpire(1 << 40)
	_ = s.Retain(1 << 40)
	_ = s.RetainAcked()
	_ = s.SetRetention(Retention{})
	_ = s.SetIdmpConfig(s.IdmpConfig())
	_ = s.DestroyGroup("g")
	_ = s.Groups()
	_ = s.GroupsFull(10)
	_ = s.HasGroup("g")
	_ = s.Ack("g", ID{Ms: 1})
	_, _ = s.ReadGroupNew("g", "c", 0, 1, false)
	_ = s.AckDel("g", []ID{{Ms: 1}}, KeepRef)
	_ = s.Trim(Trim{Strategy: TrimMaxLen, MaxLen: 3})
	c := s.Clone()
	data, _ := s.AppendBinary(nil)
	d, err := Decode(data)
	if err != nil {
		t.Fatal(err)
	}
	for name, x := range map[string]*Stream{"stream": s, "clone": c, "decoded": d} {
		if x.more != nil {
			t.Errorf("%s: has a rareState after reads only: %+v", name, *x.more)
		}
	}
	if !noRare.isZero() {
		t.Errorf("the shared zero rareState was written: %+v", noRare)
	}

	if s.Delete(ID{Ms: 3}) != 1 || s.more == nil || s.rare().maxDeletedID != (ID{Ms: 3}) || s.rare().removed != 1 {
		t.Fatalf("XDEL: rareState %+v", s.more)
	}
	if s.Trim(Trim{Strategy: TrimMaxLen, MaxLen: 1}) != 1 || s.rare().removed != 2 || s.Info().EntriesAdded != 3 {
		t.Fatalf("trim: rareState %+v, entries-added %d", s.more, s.Info().EntriesAdded)
	}
	c = s.Clone()
	if err := c.CreateGroup("g", ID{}, 0); err != nil {
		t.Fatal(err)
	}
	if s.groupCount() != 0 || c.groupCount() != 1 {
		t.Errorf("a group created on a clone: %d groups on the original, %d on the clone", s.groupCount(), c.groupCount())
	}
}

// TestStreamSize pins the sizes of a Stream without its rare state and of
// a block header: a process may hold millions of streams of one block (see
// rareState and block).
func TestStreamSize(t *testing.T) {
	if size := unsafe.Sizeof(Stream{}); size > 48 {
		t.Errorf("Stream is %d bytes, want at most 48", size)
	}
	if size := unsafe.Sizeof(block{}); size > 80 {
		t.Errorf("block is %d bytes, want at most 80", size)
	}
}

// TestCountsMatchBlocks runs random appends, deletions, trims and clones
// and checks after each step that the counts kept in the rare part and the
// last block (Len, DataBytes) are the sums over the blocks, on the stream
// and on its clones.
func TestCountsMatchBlocks(t *testing.T) {
	for seed := range uint64(10) {
		rng := rand.New(rand.NewPCG(seed, 2))
		s := New()
		var clones []*Stream
		ms := uint64(0)
		for step := range 3000 {
			switch op := rng.IntN(20); {
			case op < 12:
				ms += 1 + uint64(rng.IntN(3))
				v := strings.Repeat("v", rng.IntN(200))
				if err := s.Append(ID{Ms: ms}, []Field{{"f", v}, {"n", strconv.Itoa(rng.IntN(1000))}}); err != nil {
					t.Fatal(err)
				}
			case op < 14:
				s.Delete(ID{Ms: uint64(rng.IntN(int(ms) + 1))})
			case op < 15: // the newest entries, emptying the last block at times
				for range rng.IntN(60) {
					if last, ok := lastLive(s); ok {
						s.Delete(last)
					}
				}
			case op < 17:
				s.Trim(Trim{Strategy: TrimMaxLen, MaxLen: int64(rng.IntN(300)), Approx: rng.IntN(2) == 0})
			case op < 18:
				s.Trim(Trim{Strategy: TrimMinID, MinID: ID{Ms: ms - min(ms, uint64(rng.IntN(400)))}})
			case op < 19:
				s.SetRetention(Retention{MaxBytes: int64(rng.IntN(20000))})
				s.Retain(0)
			default:
				clones = append(clones, s.Clone())
			}
			for i, x := range append([]*Stream{s}, clones...) {
				var want counts
				x.tree.Ascend(func(sl slot) bool { want.add(sl.b); return true })
				if got := x.counts(); got != want {
					t.Fatalf("seed %d step %d stream %d: counts %+v, blocks hold %+v", seed, step, i, got, want)
				}
			}
			if len(clones) > 0 && rng.IntN(4) == 0 { // change a clone, which must not change s
				c := clones[rng.IntN(len(clones))]
				c.Trim(Trim{Strategy: TrimMaxLen, MaxLen: int64(rng.IntN(100))})
				_ = c.Append(ID{Ms: ms + 1000 + uint64(step)}, []Field{{"f", "x"}})
			}
		}
	}
}

// lastLive returns the ID of the newest entry of s.
func lastLive(s *Stream) (ID, bool) {
	es := s.RevRange(MaxID, MinID, 1)
	if len(es) == 0 {
		return ID{}, false
	}
	return es[0].ID, true
}
