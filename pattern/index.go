package pattern

import "bytes"

// Index holds a set of distinct patterns and answers which match a channel
// without trying them all.
//
// Patterns hang off a byte trie keyed by their literal prefix ([Pattern.Prefix]):
// a channel walks the trie along its own bytes and tests only the patterns
// found on the nodes it passes, and only against the part of the channel
// after their prefix. Patterns that begin with a wildcard sit on the root and
// are tried for every channel; patterns without wildcards are reported only
// when the walk ends on their node, without any test. Patterns that can match
// nothing are counted but never tried.
//
// Add and Remove must not run concurrently with anything; Match may run
// concurrently with other Match calls (a caller typically holds a
// sync.RWMutex: the read lock for Match, the write lock for Add and Remove).
// The zero Index is not usable: create one with [NewIndex].
type Index struct {
	root    *node
	entries map[string]*Pattern
}

// node is a trie node; the path from the root spells its prefix.
type node struct {
	keys  []byte     // keys[i] labels the edge to kids[i]; unordered
	kids  []*node    // children
	globs []*Pattern // patterns with a wildcard whose prefix is this node's
	exact []*Pattern // literal patterns equal to this node's prefix
}

// NewIndex returns an empty index.
func NewIndex() *Index {
	return &Index{root: &node{}, entries: make(map[string]*Pattern)}
}

// Len returns the number of patterns in the index.
func (x *Index) Len() int {
	return len(x.entries)
}

// Has reports whether pattern is in the index.
func (x *Index) Has(pattern string) bool {
	_, ok := x.entries[pattern]
	return ok
}

// Add adds pattern to the index and reports true, or reports false if it was
// already present.
func (x *Index) Add(pattern string) bool {
	if _, ok := x.entries[pattern]; ok {
		return false
	}
	p := Compile(pattern)
	x.entries[pattern] = p
	if p.kind == kindNever {
		return true
	}
	n := x.root
	for i := range len(p.prefix) {
		n = n.childOrNew(p.prefix[i])
	}
	if p.kind == kindLiteral {
		n.exact = append(n.exact, p)
	} else {
		n.globs = append(n.globs, p)
	}
	return true
}

// Remove removes pattern from the index and reports true, or reports false
// if it was absent. Trie nodes left empty are freed.
func (x *Index) Remove(pattern string) bool {
	p, ok := x.entries[pattern]
	if !ok {
		return false
	}
	delete(x.entries, pattern)
	if p.kind == kindNever {
		return true
	}
	path := make([]*node, 0, len(p.prefix)+1)
	n := x.root
	path = append(path, n)
	for i := range len(p.prefix) {
		n = n.child(p.prefix[i])
		path = append(path, n)
	}
	if p.kind == kindLiteral {
		n.exact = without(n.exact, p)
	} else {
		n.globs = without(n.globs, p)
	}
	for i := len(path) - 1; i > 0 && path[i].empty(); i-- {
		path[i-1].removeChild(p.prefix[i-1])
	}
	return true
}

// Match calls fn once for each pattern of the index that matches channel, in
// no particular order. It does not allocate. fn must not modify the index.
func (x *Index) Match(channel string, fn func(pattern string)) {
	n := x.root
	if channel != "" {
		// An empty channel matches only the empty pattern, which is literal.
		matchGlobs(n.globs, channel, fn)
	}
	for i := range len(channel) {
		if n = n.child(channel[i]); n == nil {
			return
		}
		matchGlobs(n.globs, channel[i+1:], fn)
	}
	for _, p := range n.exact {
		fn(p.src)
	}
}

// matchGlobs tests rest, the part of the channel after the node's prefix,
// against each of globs.
func matchGlobs(globs []*Pattern, rest string, fn func(string)) {
	for _, p := range globs {
		if p.matchRest(rest) {
			fn(p.src)
		}
	}
}

func (n *node) child(b byte) *node {
	if i := bytes.IndexByte(n.keys, b); i >= 0 {
		return n.kids[i]
	}
	return nil
}

func (n *node) childOrNew(b byte) *node {
	if c := n.child(b); c != nil {
		return c
	}
	c := &node{}
	n.keys = append(n.keys, b)
	n.kids = append(n.kids, c)
	return c
}

func (n *node) removeChild(b byte) {
	i := bytes.IndexByte(n.keys, b)
	last := len(n.keys) - 1
	n.keys[i], n.kids[i] = n.keys[last], n.kids[last]
	n.kids[last] = nil
	n.keys, n.kids = n.keys[:last], n.kids[:last]
}

func (n *node) empty() bool {
	return len(n.keys) == 0 && len(n.globs) == 0 && len(n.exact) == 0
}

// without removes p from ps, not keeping the order.
func without(ps []*Pattern, p *Pattern) []*Pattern {
	for i, q := range ps {
		if q == p {
			last := len(ps) - 1
			ps[i] = ps[last]
			ps[last] = nil
			return ps[:last]
		}
	}
	return ps
}
