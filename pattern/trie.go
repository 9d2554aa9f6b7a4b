package pattern

import "bytes"

// trie is a node of a path-compressed byte trie (a radix tree): each edge is
// labelled with a run of bytes, and a node exists only where a key ends or
// where keys part, so a long key that shares no bytes with the others costs
// one node, not one per byte. The keys from the root to a node, concatenated,
// spell the node's key. The zero trie is an empty root.
//
// Index uses three, each holding at a node the patterns filed under its key:
// heads (literal prefixes), tails (literal suffixes written backwards, so
// that the walk of a channel's end reads it from its last byte, see
// [trie.stepBack]) and inner (literal runs between wildcards).
type trie[V any] struct {
	label string     // the bytes of the edge from the parent; "" at the root
	keys  []byte     // keys[i] is kids[i].label[0]; unordered
	kids  []*trie[V] // children
	val   V
}

// child returns the child whose label starts with b, or nil.
func (n *trie[V]) child(b byte) *trie[V] {
	if len(n.keys) > 8 {
		if i := bytes.IndexByte(n.keys, b); i >= 0 {
			return n.kids[i]
		}
		return nil
	}
	// Most nodes have a child or two: a plain loop beats the call.
	for i, k := range n.keys {
		if k == b {
			return n.kids[i]
		}
	}
	return nil
}

// step follows s[i:] down one edge: it returns the child whose label s[i:]
// starts with and the index after the label, or nil.
func (n *trie[V]) step(s string, i int) (*trie[V], int) {
	c := n.child(s[i])
	if c == nil || len(c.label) > len(s)-i || s[i:i+len(c.label)] != c.label {
		return nil, 0
	}
	return c, i + len(c.label)
}

// stepBack follows s[:j] backwards down one edge of a trie keyed by reversed
// strings: it returns the child whose label is s[:j]'s tail read backwards
// and the index before that tail, or nil.
func (n *trie[V]) stepBack(s string, j int) (*trie[V], int) {
	c := n.child(s[j-1])
	if c == nil || len(c.label) > j {
		return nil, 0
	}
	for k := 1; k < len(c.label); k++ {
		if c.label[k] != s[j-1-k] {
			return nil, 0
		}
	}
	return c, j - len(c.label)
}

// insert returns the node for key, creating it, and splitting an edge to
// make room for it, if needed.
func (n *trie[V]) insert(key string) *trie[V] {
	for i := 0; i < len(key); {
		c := n.child(key[i])
		if c == nil {
			c = &trie[V]{label: key[i:]}
			n.keys = append(n.keys, key[i])
			n.kids = append(n.kids, c)
			return c
		}
		l := commonPrefix(c.label, key[i:])
		if l < len(c.label) {
			// key leaves or ends inside c's edge: put a node there.
			mid := &trie[V]{label: c.label[:l], keys: []byte{c.label[l]}, kids: []*trie[V]{c}}
			c.label = c.label[l:]
			n.kids[bytes.IndexByte(n.keys, key[i])] = mid
			c = mid
		}
		n, i = c, i+l
	}
	return n
}

func commonPrefix(a, b string) int {
	i := 0
	for i < len(a) && i < len(b) && a[i] == b[i] {
		i++
	}
	return i
}

// path returns the nodes from n to the node of key, n first; key must have
// been inserted.
func (n *trie[V]) path(key string) []*trie[V] {
	path := []*trie[V]{n}
	for i := 0; i < len(key); {
		n, i = n.step(key, i)
		path = append(path, n)
	}
	return path
}

// prune restores the trie's shape after the value of the last node of path
// was emptied: that node goes if it has no children, and a node left with
// an empty value and a single child is merged with the child. path[0] is the
// root, which stays.
func prune[V any](path []*trie[V], empty func(*V) bool) {
	last := len(path) - 1
	n := path[last]
	if last > 0 && len(n.kids) == 0 && empty(&n.val) {
		path[last-1].removeChild(n)
		last--
		n = path[last]
	}
	if last > 0 && len(n.kids) == 1 && empty(&n.val) {
		c := n.kids[0]
		n.label += c.label
		n.keys, n.kids, n.val = c.keys, c.kids, c.val
	}
}

func (n *trie[V]) removeChild(c *trie[V]) {
	for i, k := range n.kids {
		if k == c {
			last := len(n.kids) - 1
			n.keys[i], n.kids[i] = n.keys[last], n.kids[last]
			n.kids[last] = nil
			n.keys, n.kids = n.keys[:last], n.kids[:last]
			return
		}
	}
}

// reverse returns s backwards.
func reverse(s string) string {
	b := make([]byte, len(s))
	for i := range len(s) {
		b[len(s)-1-i] = s[i]
	}
	return string(b)
}

// load returns the number of values filed under key: the length of the
// slice held by key's node, 0 if key has none.
func load[V any](n *trie[[]V], key string) int {
	for i := 0; i < len(key); {
		if n, i = n.step(key, i); n == nil {
			return 0
		}
	}
	return len(n.val)
}
