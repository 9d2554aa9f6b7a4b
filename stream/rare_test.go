package stream

import (
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
	if size := unsafe.Sizeof(Stream{}); size > 64 {
		t.Errorf("Stream is %d bytes, want at most 64", size)
	}
	if size := unsafe.Sizeof(block{}); size > 80 {
		t.Errorf("block is %d bytes, want at most 80", size)
	}
}
