package pattern

import (
	"fmt"
	"slices"
)

// NodeCount returns the number of trie nodes of x, the roots included, for
// the tests to check that Remove frees them.
func NodeCount(x *Index) int {
	if x.heads == nil {
		return 0
	}
	return countNodes(x.heads) + countNodes(x.tails) + countNodes(x.inner)
}

func countNodes[V any](n *trie[V]) int {
	c := 1
	for _, k := range n.kids {
		c += countNodes(k.node)
	}
	return c
}

// CheckIndex reports the first broken invariant of x's tries: every edge
// has a label starting with its key, and every node but a root holds a value
// or parts two or more keys (so the tries stay compressed after Remove);
// every pattern is filed once, where its entry says.
func CheckIndex(x *Index) error {
	if x.heads == nil {
		return nil
	}
	filed := 0
	for _, t := range []*trie[[]*Pattern]{x.heads, x.tails, x.inner} {
		if err := checkTrie(t, true); err != nil {
			return err
		}
		filed += countValues(t)
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
		default:
			path := x.trieOf(e.at).path(e.key)
			if !slices.Contains(path[len(path)-1].val, e.p) {
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
	case atHead:
		return "head", e.key
	case atTail:
		return "tail", reverse(e.key)
	case atInner:
		return "inner", e.key
	case atLoose:
		return "loose", ""
	}
	return "never", ""
}
