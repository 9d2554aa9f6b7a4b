package pattern

import "slices"

// trie is a node of a path-compressed byte trie (a radix tree): each edge is
// labelled with a run of bytes, and a node exists only where a key ends or
// where keys part, so a long key that shares no bytes with the others costs
// one node, not one per byte. The keys from the root to a node, concatenated,
// spell the node's key. The zero trie is an empty root.
//
// Index uses one, inner, holding at a node the patterns filed under its key,
// a literal run between wildcards.
type trie[V any] struct {
	label string    // the bytes of the edge from the parent; "" at the root
	kids  []edge[V] // children, by key
	val   V
}

// edge is a child of a trie node and the first byte of its label. Keeping
// the byte next to the pointer, rather than in an array of its own, saves a
// walk one dependent memory load per node: on a trie too large for the CPU
// caches, each costs a trip to memory.
type edge[V any] struct {
	key  byte
	node *trie[V]
}

// find returns the index of the child whose label starts with b in n.kids,
// kept sorted by key, or where it would go, and whether it is there.
func (n *trie[V]) find(b byte) (int, bool) {
	kids := n.kids
	if len(kids) <= 8 {
		// Most nodes have a child or two: a plain loop beats the search.
		for i := range kids {
			if kids[i].key >= b {
				return i, kids[i].key == b
			}
		}
		return len(kids), false
	}
	lo, hi := 0, len(kids)
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if kids[m].key < b {
			lo = m + 1
		} else {
			hi = m
		}
	}
	return lo, lo < len(kids) && kids[lo].key == b
}

// child returns the child whose label starts with b, or nil.
func (n *trie[V]) child(b byte) *trie[V] {
	if i, ok := n.find(b); ok {
		return n.kids[i].node
	}
	return nil
}

// step follows s[i:] down one edge: it returns the child whose label s[i:]
// starts with and the index after the label, or nil. The label's first
// byte is the edge's key, already compared: a label of one byte, the most
// common kind deep in a large trie, is not read at all.
func (n *trie[V]) step(s string, i int) (*trie[V], int) {
	c := n.child(s[i])
	if c == nil {
		return nil, 0
	}
	l := len(c.label)
	if l > 1 && (l > len(s)-i || s[i+1:i+l] != c.label[1:]) {
		return nil, 0
	}
	return c, i + l
}

// insert returns the node for key, creating it, and splitting an edge to
// make room for it, if needed.
func (n *trie[V]) insert(key string) *trie[V] {
	for i := 0; i < len(key); {
		at, ok := n.find(key[i])
		if !ok {
			c := &trie[V]{label: key[i:]}
			n.kids = slices.Insert(n.kids, at, edge[V]{key[i], c})
			return c
		}
		c := n.kids[at].node
		l := commonPrefix(c.label, key[i:])
		if l < len(c.label) {
			// key leaves or ends inside c's edge: put a node there.
			mid := &trie[V]{label: c.label[:l], kids: []edge[V]{{c.label[l], c}}}
			c.label = c.label[l:]
			n.kids[at].node = mid
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
		c := n.kids[0].node
		n.label += c.label
		n.kids, n.val = c.kids, c.val
	}
}

func (n *trie[V]) removeChild(c *trie[V]) {
	for i, e := range n.kids {
		if e.node == c {
			n.kids = slices.Delete(n.kids, i, i+1)
			return
		}
	}
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
