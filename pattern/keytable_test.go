package pattern

import (
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

// TestKeyTableModel adds and removes random keys of a small alphabet (so
// that keys share prefixes and suffixes and edge bytes) in tables of both
// directions, small enough that probe sequences wrap around and deletions
// shift entries back, and checks after every step that the table finds
// exactly the keys a brute force finds, and keeps its invariants.
func TestKeyTableModel(t *testing.T) {
	for _, back := range []bool{false, true} {
		r := rand.New(rand.NewPCG(1, uint64(len(t.Name()))))
		tab := newKeyTable(back)
		set := map[string]*bucket{}
		str := func(most int) string {
			b := make([]byte, r.IntN(most+1))
			for i := range b {
				b[i] = "ab:.\xe4"[r.IntN(5)]
			}
			return string(b)
		}
		has := func(s, key string) bool {
			if back {
				return strings.HasSuffix(s, key)
			}
			return strings.HasPrefix(s, key)
		}
		for step := range 6000 {
			key := str(20)
			if b := set[key]; b != nil && r.IntN(2) == 0 {
				tab.del(b)
				delete(set, key)
			} else if b == nil {
				b = tab.add(key)
				b.pats = append(b.pats, &Pattern{src: key})
				set[key] = b
			}
			s := str(30)
			var got, want []string
			tab.probe(s, func(b *bucket) { got = append(got, b.key) })
			for k := range set {
				if k != "" && has(s, k) {
					want = append(want, k)
				}
			}
			slices.Sort(got)
			slices.Sort(want)
			if !slices.Equal(got, want) {
				t.Fatalf("back=%v step %d: probe(%q) = %q, want %q", back, step, s, got, want)
			}
			if step%250 == 0 {
				if n, err := checkTable(tab); err != nil || n != len(set) {
					t.Fatalf("back=%v step %d: %d patterns for %d keys, %v", back, step, n, len(set), err)
				}
			}
			if tab.get(key) != set[key] {
				t.Fatalf("back=%v step %d: get(%q) is not the key's bucket", back, step, key)
			}
		}
	}
}

// TestKeyTableHash checks that a key hashes the same alone and as the
// prefix (suffix) of longer strings, whichever of the ways to read its last
// partial word applies.
func TestKeyTableHash(t *testing.T) {
	r := rand.New(rand.NewPCG(2, 3))
	for _, back := range []bool{false, true} {
		tab := newKeyTable(back)
		for range 2000 {
			key := strings.Repeat("x", r.IntN(3)) + string(rune('a'+r.IntN(26)))
			key += strings.Repeat(key, r.IntN(12))
			pad := strings.Repeat("\x00y", r.IntN(10))
			s := key + pad
			if back {
				s = pad + key
			}
			h := tab.hasher(s)
			if got, want := h.at(len(key)), tab.hash(key); got != want {
				t.Fatalf("back=%v: %q in %q hashes to %x, alone to %x", back, key, s, got, want)
			}
		}
	}
}
