package pattern

import (
	"fmt"
	"slices"
)

// NodeCount returns the number of nodes of x's inner trie, its root
// included, plus the number of keys of its tables, for the tests to check
// that Remove frees them.
func NodeCount(x *Index) int {
	if x.heads == nil {
		return 0
	}
	return countNodes(x.inner) + x.exact.n + x.heads.n + x.tails.n
}

func countNodes[V any](n *trie[V]) int {
	c := 1
	for _, k := range n.kids {
		c += countNodes(k.node)
	}
	return c
}

// CheckIndex reports the first broken invariant of x's trie and tables:
// every edge has a label starting with its key, and every node but the root
// holds a value or parts two or more keys (so the trie stays compressed
// after Remove); every table key is found from its hash, holds patterns and
// is counted under its length; every pattern is filed once, where its entry
// says.
func CheckIndex(x *Index) error {
	if x.heads == nil {
		return nil
	}
	if err := checkTrie(x.inner, true); err != nil {
		return err
	}
	filed := countValues(x.inner)
	for _, t := range []*keyTable{x.exact, x.heads, x.tails} {
		n, err := checkTable(t)
		if err != nil {
			return err
		}
		filed += n
	}
	filed += len(x.loose)
	placed := 0
	for src, e := range x.entries {
		if e.p.src != src {
			return fmt.Errorf("entry %q holds pattern %q", src, e.p.src)
		}
		switch e.at {
		case atNever:
			continue
		case atLoose:
			if !slices.Contains(x.loose, e.p) {
				return fmt.Errorf("pattern %q not in the loose list", src)
			}
		case atInner:
			path := x.inner.path(e.key)
			if !slices.Contains(path[len(path)-1].val, e.p) {
				return fmt.Errorf("pattern %q not filed under %q", src, e.key)
			}
		default:
			b := x.tableOf(e.at).get(e.key)
			if b == nil || !slices.Contains(b.pats, e.p) {
				return fmt.Errorf("pattern %q not filed under %q", src, e.key)
			}
		}
		placed++
	}
	if filed != placed {
		return fmt.Errorf("%d patterns filed for %d entries", filed, placed)
	}
	return nil
}

// checkTable checks t's invariants and returns the number of patterns it
// holds.
func checkTable(t *keyTable) (int, error) {
	keys, pats := 0, 0
	lens := map[int]int{}
	var err error
	t.forEach(func(b *bucket) {
		keys++
		pats += len(b.pats)
		lens[len(b.key)]++
		switch {
		case err != nil:
		case len(b.pats) == 0:
			err = fmt.Errorf("key %q holds no pattern", b.key)
		case b.h != t.hash(b.key) || t.get(b.key) != b:
			err = fmt.Errorf("key %q not found from its hash", b.key)
		}
	})
	if err != nil {
		return 0, err
	}
	if keys != t.n || 2*t.n > len(t.tags) {
		return 0, fmt.Errorf("%d keys counted as %d in %d slots", keys, t.n, len(t.tags))
	}
	if len(lens) != len(t.lens) {
		return 0, fmt.Errorf("lengths %v, counted %v", lens, t.lens)
	}
	for i, k := range t.lens {
		if i > 0 && t.lens[i-1].l >= k.l {
			return 0, fmt.Errorf("lengths out of order: %v", t.lens)
		}
		if lens[k.l] != k.n {
			return 0, fmt.Errorf("%d keys of length %d, counted %d", lens[k.l], k.l, k.n)
		}
	}
	var err2 error
	t.forEach(func(b *bucket) {
		i, _ := slices.BinarySearchFunc(t.lens, len(b.key), cmpLen)
		if l := len(b.key); l > 0 && !t.lens[i].has(t.edgeByte(b.key, l)) && err2 == nil {
			err2 = fmt.Errorf("key %q: edge byte not in its length's set", b.key)
		}
	})
	if err2 != nil {
		return 0, err2
	}
	return pats, nil
}

func countValues(n *trie[[]*Pattern]) int {
	c := len(n.val)
	for _, k := range n.kids {
		c += countValues(k.node)
	}
	return c
}

func checkTrie(n *trie[[]*Pattern], root bool) error {
	if !root && (n.label == "" || (len(n.val) == 0 && len(n.kids) < 2)) {
		return fmt.Errorf("node %q: label or shape broken (%d kids)", n.label, len(n.kids))
	}
	for i, e := range n.kids {
		c := e.node
		if c.label == "" || c.label[0] != e.key {
			return fmt.Errorf("node %q: key %q for label %q", n.label, e.key, c.label)
		}
		if i > 0 && n.kids[i-1].key >= e.key {
			return fmt.Errorf("node %q: keys out of order", n.label)
		}
		if err := checkTrie(c, false); err != nil {
			return err
		}
	}
	return nil
}

// CacheSet returns the set of x's match cache that channel maps to; x
// must not be empty.
func CacheSet(x *Index, channel string) int {
	_, h := x.cache.set(channel)
	return int(h & (CacheSize/2 - 1))
}

// Walk is Match without the cache.
func Walk(x *Index, channel string, fn func(string)) {
	x.walk(channel, fn)
}

// Placement returns where x files pattern: "head", "tail", "inner",
// "loose" or "never", and the key (a suffix written forwards); "" if
// pattern is absent.
func Placement(x *Index, pattern string) (at, key string) {
	e, ok := x.entries[pattern]
	if !ok {
		return "", ""
	}
	switch e.at {
	case atExact, atHead:
		return "head", e.key
	case atTail:
		return "tail", e.key
	case atInner:
		return "inner", e.key
	case atLoose:
		return "loose", ""
	}
	return "never", ""
}
