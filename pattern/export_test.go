package pattern

import "fmt"

// NodeCount returns the number of trie nodes of x, the prefix trie's and
// the suffix tries' together, for the tests to check that Remove frees them.
func NodeCount(x *Index) int {
	if x.root == nil {
		return 0
	}
	return countNodes(x.root, func(v *fwdNode) int {
		if v.tails == nil {
			return 0
		}
		return countNodes(v.tails, func(*[]*Pattern) int { return 0 })
	})
}

func countNodes[V any](n *trie[V], inner func(*V) int) int {
	c := 1 + inner(&n.val)
	for _, k := range n.kids {
		c += countNodes(k, inner)
	}
	return c
}

// CheckIndex reports the first broken invariant of x's tries: every edge
// has a label starting with its key, and every node but a root holds a value
// or parts two or more keys (so the tries stay compressed after Remove).
func CheckIndex(x *Index) error {
	if x.root == nil {
		return nil
	}
	return checkTrie(x.root, true, (*fwdNode).empty, func(v *fwdNode) error {
		if v.tails == nil {
			return nil
		}
		if len(v.tails.kids) == 0 {
			return fmt.Errorf("empty suffix trie kept")
		}
		return checkTrie(v.tails, true, func(v *[]*Pattern) bool { return len(*v) == 0 }, nil)
	})
}

func checkTrie[V any](n *trie[V], root bool, empty func(*V) bool, inner func(*V) error) error {
	if !root && (n.label == "" || (empty(&n.val) && len(n.kids) < 2)) {
		return fmt.Errorf("node %q: label or shape broken (%d kids)", n.label, len(n.kids))
	}
	if len(n.keys) != len(n.kids) {
		return fmt.Errorf("node %q: %d keys for %d kids", n.label, len(n.keys), len(n.kids))
	}
	if inner != nil {
		if err := inner(&n.val); err != nil {
			return fmt.Errorf("node %q: %w", n.label, err)
		}
	}
	for i, c := range n.kids {
		if c.label == "" || c.label[0] != n.keys[i] {
			return fmt.Errorf("node %q: key %q for label %q", n.label, n.keys[i], c.label)
		}
		if err := checkTrie(c, false, empty, inner); err != nil {
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
