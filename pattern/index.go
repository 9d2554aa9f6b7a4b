package pattern

// Index holds a set of distinct patterns and answers which match a channel
// without trying them all.
//
// Patterns hang off a path-compressed byte trie keyed by their literal prefix
// ([Pattern.Prefix]): a channel walks the trie along its own bytes and
// considers only the patterns on the nodes it passes. On each node, the
// patterns with a wildcard are further keyed by their literal suffix
// ([Pattern.Suffix]) in a trie read backwards, which the rest of the channel
// walks from its last byte; so `other.<i>.*` costs nothing to a publish on
// news.tech, and neither does `*.<i>`. Only the patterns found both ways are
// tested, and only against the part of the channel after their prefix.
// Patterns with neither prefix nor suffix (`*`, `*a*`, `?x?`) are tried for
// every channel; patterns without wildcards are reported when the walk ends
// on their node, without a test; patterns that match nothing are counted but
// never tried.
//
// Results are remembered per channel in a bounded cache ([CacheSize]
// channels), which Add and Remove invalidate as a whole; see the package
// overview.
//
// Add and Remove must not run concurrently with anything; Match, Len, Has
// and Stats may run concurrently with each other (a caller typically holds
// a sync.RWMutex: the read lock for Match, the write lock for Add and
// Remove). The zero Index is empty and ready to use.
type Index struct {
	root    *trie[fwdNode]
	entries map[string]*Pattern
	cache   *matchCache // created with root
	gen     uint64      // bumped by every change of the pattern set
}

// fwdNode is what a node of the prefix trie holds.
type fwdNode struct {
	exact []*Pattern        // literal patterns equal to the prefix
	free  []*Pattern        // wildcard patterns with no literal suffix
	tails *trie[[]*Pattern] // wildcard patterns by reversed suffix
}

func (v *fwdNode) empty() bool {
	return len(v.exact) == 0 && len(v.free) == 0 && v.tails == nil
}

// NewIndex returns an empty index; it is the same as new(Index).
func NewIndex() *Index {
	return &Index{}
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
	if x.entries == nil {
		x.root, x.entries = &trie[fwdNode]{}, make(map[string]*Pattern)
		x.cache = newMatchCache()
	}
	x.gen++
	p := Compile(pattern)
	x.entries[pattern] = p
	if p.kind == kindNever {
		return true
	}
	n := x.root.insert(p.prefix)
	switch {
	case p.kind == kindLiteral:
		n.val.exact = append(n.val.exact, p)
	case p.suffix == "":
		n.val.free = append(n.val.free, p)
	default:
		if n.val.tails == nil {
			n.val.tails = &trie[[]*Pattern]{}
		}
		t := n.val.tails.insert(reverse(p.suffix))
		t.val = append(t.val, p)
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
	x.gen++
	if p.kind == kindNever {
		return true
	}
	path := x.root.path(p.prefix)
	n := path[len(path)-1]
	switch {
	case p.kind == kindLiteral:
		n.val.exact = without(n.val.exact, p)
	case p.suffix == "":
		n.val.free = without(n.val.free, p)
	default:
		tpath := n.val.tails.path(reverse(p.suffix))
		t := tpath[len(tpath)-1]
		t.val = without(t.val, p)
		prune(tpath, func(v *[]*Pattern) bool { return len(*v) == 0 })
		if len(n.val.tails.keys) == 0 {
			n.val.tails = nil
		}
	}
	prune(path, (*fwdNode).empty)
	return true
}

// Match calls fn once for each pattern of the index that matches channel, in
// no particular order. fn must not modify the index.
//
// The result is taken from the match cache if it holds channel, without
// allocating; otherwise the tries are walked and the result may be stored
// in the cache (one allocation).
func (x *Index) Match(channel string, fn func(pattern string)) {
	if len(x.entries) == 0 {
		return
	}
	c := x.cache
	s, h := c.set(channel)
	if found, ok := c.lookup(s, channel, x.gen); ok {
		for _, p := range found {
			fn(p)
		}
		return
	}
	var buf [8]string
	found := buf[:0]
	x.walk(channel, func(p string) { found = append(found, p) })
	c.admit(s, h, channel, found, x.gen)
	for _, p := range found {
		fn(p)
	}
}

// Stats returns the index's counters. Hits may miss a few hits made while
// Stats runs or while their cache entry is replaced.
func (x *Index) Stats() IndexStats {
	if x.cache == nil {
		return IndexStats{}
	}
	st := x.cache.stats(x.gen)
	st.Patterns = len(x.entries)
	return st
}

// walk calls fn once for each pattern of the index that matches channel, in
// no particular order, walking the tries. It does not allocate.
func (x *Index) walk(channel string, fn func(pattern string)) {
	n := x.root
	if channel != "" {
		// An empty channel matches only the empty pattern, which is literal.
		n.val.match(channel, fn)
	}
	for i := 0; i < len(channel); {
		if n, i = n.step(channel, i); n == nil {
			return
		}
		if len(n.val.free) > 0 || n.val.tails != nil {
			// Some nodes hold only literals: skip the call for them.
			n.val.match(channel[i:], fn)
		}
	}
	for _, p := range n.val.exact {
		fn(p.src)
	}
}

// match tests the wildcard patterns of v against rest, the channel after
// v's prefix: those without a suffix, then those whose suffix ends rest.
func (v *fwdNode) match(rest string, fn func(string)) {
	for _, p := range v.free {
		if p.matchRest(rest) {
			fn(p.src)
		}
	}
	t := v.tails
	for j := len(rest); t != nil && j > 0; {
		if t, j = t.stepBack(rest, j); t == nil {
			return
		}
		for _, p := range t.val {
			if p.matchRest(rest) {
				fn(p.src)
			}
		}
	}
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
