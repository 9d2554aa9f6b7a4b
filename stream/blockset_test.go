package stream

import (
	"strconv"
	"strings"
	"testing"
)

// TestSmallStreamLayout follows one stream from one entry to several blocks
// and back: no B-tree while it has one block, a first buffer the size of
// its data, the tree made with the second block and dropped when one block
// is left, and the same entries read back at every step.
func TestSmallStreamLayout(t *testing.T) {
	payload := strings.Repeat("p", 64)
	fields := func(i int) []Field {
		return []Field{{"user_id", strconv.Itoa(1000 + i)}, {"type", "click"}, {"payload", payload}}
	}
	var s Stream // the zero Stream is usable
	check := func(step string, n int, tree bool) {
		t.Helper()
		if got := s.Len(); got != int64(n) {
			t.Fatalf("%s: Len = %d, want %d", step, got, n)
		}
		if (s.tree.tree != nil) != tree {
			t.Fatalf("%s: has a B-tree = %v, want %v (blocks %d)", step, s.tree.tree != nil, tree, s.tree.Len())
		}
		var last *block
		s.tree.Ascend(func(sl slot) bool { last = sl.b; return true })
		if s.tree.Last() != last {
			t.Fatalf("%s: Last is not the last block", step)
		}
		all := s.Range(MinID, MaxID, 0)
		if len(all) != n {
			t.Fatalf("%s: Range returned %d entries, want %d", step, len(all), n)
		}
		for _, e := range all {
			if want := strconv.Itoa(1000 + int(e.ID.Ms)); e.Fields[0].Value != want || e.Fields[2].Value != payload {
				t.Fatalf("%s: entry %s = %v", step, e.ID, e.Fields)
			}
		}
		if n > 0 {
			back := s.RevRange(MaxID, MinID, 1)
			if len(back) != 1 || back[0].ID != all[n-1].ID {
				t.Fatalf("%s: RevRange COUNT 1 = %v, want %s", step, back, all[n-1].ID)
			}
		}
	}
	add := func(i int) {
		t.Helper()
		if err := s.Append(ID{Ms: uint64(i)}, fields(i)); err != nil {
			t.Fatal(err)
		}
	}
	add(1)
	check("one entry", 1, false)
	if c := cap(s.openBlock().buf); c > 128 {
		t.Errorf("one entry of %d bytes holds a buffer of %d", len(s.openBlock().buf), c)
	}
	if s.openBlock().marks != nil {
		t.Error("a block of one entry has seek marks")
	}
	n := 1
	for ; s.tree.Len() == 1; n++ {
		add(n + 1)
	}
	check("second block", n, true)
	for ; n < 250; n++ {
		add(n + 1)
	}
	check("many blocks", n, true)
	blocks := s.tree.Len()
	removed := s.Trim(Trim{Strategy: TrimMaxLen, MaxLen: 10, Approx: true})
	check("trimmed to one block", n-int(removed), s.tree.Len() > 1)
	if s.tree.Len() != 1 || blocks < 3 {
		t.Fatalf("blocks: %d before the trim, %d after; want >= 3 and 1", blocks, s.tree.Len())
	}
	add(1000)
	check("appended after the trim", n-int(removed)+1, s.tree.Len() > 1)
}

// TestNamesShared checks that blocks with the same field names share one
// table, and that different names get their own.
func TestNamesShared(t *testing.T) {
	a, b, c := New(), New(), New()
	f := []Field{{"user_id", "1"}, {"type", "x"}}
	for _, s := range []*Stream{a, b} {
		if err := s.Append(ID{Ms: 1}, f); err != nil {
			t.Fatal(err)
		}
	}
	if err := c.Append(ID{Ms: 1}, []Field{{"user_id", "1"}, {"kind", "x"}}); err != nil {
		t.Fatal(err)
	}
	if a.openBlock().tab != b.openBlock().tab {
		t.Error("two streams with the same names hold two tables")
	}
	if got := c.openBlock().names(); got[1] != "kind" {
		t.Errorf("names = %q, want the stream's own", got)
	}
}
