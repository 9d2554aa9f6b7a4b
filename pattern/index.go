package pattern

import "strings"

// Index holds a set of distinct patterns and answers which match a channel
// without trying them all.
//
// Each pattern is filed under one literal key that every channel it matches
// must contain: its literal prefix ([Pattern.Prefix]), which the channel
// must start with, its literal suffix ([Pattern.Suffix]), which the channel
// must end with, or one of the literal runs between its wildcards, which
// the channel must contain somewhere. A channel looks up the keys it starts
// with, ends with and contains in hash tables, and tests
// only the patterns filed under them; so neither `other.<i>.*`, `*.<i>` nor
// `*:<i>:*` costs a publish on news.tech anything per pattern. Patterns
// with no literal at all (`*`, `?*`, `[ab]*`) are tried for every channel;
// patterns that match nothing are counted but never tried. See the package
// overview for how the key is chosen.
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
	entries map[string]entry
	exact   *keyTable   // patterns without wildcards, by themselves; created with entries
	heads   *keyTable   // by literal prefix
	tails   *keyTable   // by literal suffix
	inner   *keyTable   // by a literal run between wildcards
	loose   []*Pattern  // no literal to file them under
	cache   *matchCache // created with entries
	gen     uint64      // bumped by every change of the pattern set
}

// entry is a pattern of the index and where it is filed.
type entry struct {
	p   *Pattern
	at  keyKind
	key string // the key in its table
}

// keyKind says where a pattern is filed.
type keyKind uint8

const (
	atExact keyKind = iota // exact: it has no wildcard
	atHead                 // heads, under its literal prefix
	atTail                 // tails, under its literal suffix
	atInner                // inner, under one of its inner literal runs
	atLoose                // loose: no literal
	atNever                // nowhere: it matches nothing
)

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
	_, added := x.Insert(pattern)
	return added
}

// Insert is [Index.Add] that also returns the pattern compiled, as the index
// holds it (already present or just added), so that a caller need not
// compile it again to test it on its own.
func (x *Index) Insert(pattern string) (p *Pattern, added bool) {
	if e, ok := x.entries[pattern]; ok {
		return e.p, false
	}
	if x.entries == nil {
		x.entries = make(map[string]entry)
		x.exact, x.heads, x.tails = newKeyTable(false), newKeyTable(false), newKeyTable(true)
		x.inner = newKeyTable(false)
		x.cache = newMatchCache()
	}
	x.gen++
	var buf [32]token
	toks := parse(pattern, buf[:0])
	p = compileTokens(pattern, toks)
	e := x.place(p, toks)
	x.entries[pattern] = e
	switch e.at {
	case atLoose:
		x.loose = append(x.loose, p)
	case atExact, atHead, atTail, atInner:
		b := x.tableOf(e.at).add(e.key)
		b.pats = append(b.pats, p)
	}
	return p, true
}

// place chooses where p, whose tokens are toks, is filed: under the
// candidate key (prefix, suffix or inner run) that the fewest patterns are
// filed under already, the longest of those, a prefix before a suffix
// before an inner run. A literal pattern goes under its prefix (the whole
// pattern), even the empty one.
func (x *Index) place(p *Pattern, toks []token) entry {
	switch {
	case p.kind == kindNever:
		return entry{p: p, at: atNever}
	case p.kind == kindLiteral:
		return entry{p: p, at: atExact, key: p.prefix}
	}
	best := entry{p: p, at: atLoose}
	bestLoad := 0
	consider := func(at keyKind, key string, load int) {
		if key != "" && (best.at == atLoose || load < bestLoad || load == bestLoad && len(key) > len(best.key)) {
			best, bestLoad = entry{p: p, at: at, key: key}, load
		}
	}
	consider(atHead, p.prefix, x.heads.count(p.prefix))
	consider(atTail, p.suffix, x.tails.count(p.suffix))
	runs := p.inner // kindStars has them already
	if p.kind == kindGlob {
		if n, m := prefixLen(toks), suffixLen(toks); n+m < len(toks) {
			runs = innerRuns(p.src, toks[n:len(toks)-m])
		}
	}
	for _, run := range runs {
		consider(atInner, run, x.inner.count(run))
	}
	return best
}

func (x *Index) tableOf(at keyKind) *keyTable {
	switch at {
	case atExact:
		return x.exact
	case atHead:
		return x.heads
	case atTail:
		return x.tails
	}
	return x.inner
}

// Remove removes pattern from the index and reports true, or reports false
// if it was absent. Keys left without patterns are freed.
func (x *Index) Remove(pattern string) bool {
	e, ok := x.entries[pattern]
	if !ok {
		return false
	}
	delete(x.entries, pattern)
	x.gen++
	switch e.at {
	case atLoose:
		x.loose = without(x.loose, e.p)
	case atExact, atHead, atTail, atInner:
		t := x.tableOf(e.at)
		b := t.get(e.key)
		if b.pats = without(b.pats, e.p); len(b.pats) == 0 {
			t.del(b)
		}
	}
	return true
}

// Match calls fn once for each pattern of the index that matches channel, in
// no particular order. fn must not modify the index.
//
// The result is taken from the match cache if it holds channel, without
// allocating; otherwise the tables are looked up and the result may be
// stored in the cache (one allocation).
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
// no particular order, looking up the keys in the tables. It does not
// allocate.
func (x *Index) walk(channel string, fn func(pattern string)) {
	if x.heads == nil {
		return
	}
	if b := x.exact.get(channel); b != nil {
		for _, p := range b.pats {
			fn(p.src)
		}
	}
	if channel == "" {
		return // the empty channel matches only the empty pattern, a literal
	}
	x.walkHeads(channel, fn)
	x.walkTails(channel, fn)
	x.walkInner(channel, fn)
	for _, p := range x.loose {
		if p.Match(channel) {
			fn(p.src)
		}
	}
}

// walkHeads tests the patterns filed under the prefixes of channel, each
// against the part of channel after its prefix.
func (x *Index) walkHeads(channel string, fn func(string)) {
	x.heads.probe(channel, func(b *bucket) {
		for _, p := range b.pats {
			if p.matchRest(channel[len(b.key):]) {
				fn(p.src)
			}
		}
	})
}

// walkTails tests the patterns filed under the suffixes of channel.
func (x *Index) walkTails(channel string, fn func(string)) {
	x.tails.probe(channel, func(b *bucket) {
		for _, p := range b.pats {
			if p.Match(channel) {
				fn(p.src)
			}
		}
	})
}

// walkInner tests the patterns filed under the runs that occur in channel:
// from every byte of channel that some run starts with, it probes the
// channel's substrings that start there, as walkHeads probes its prefixes.
// A run that occurs more than once is taken at its first occurrence only,
// so that each pattern is tested, and reported, once.
func (x *Index) walkInner(channel string, fn func(string)) {
	t := x.inner
	if t.n == 0 {
		return
	}
	for i := range len(channel) {
		if !t.starts.has(channel[i]) {
			continue
		}
		t.probe(channel[i:], func(b *bucket) {
			if strings.Index(channel, b.key) < i {
				return
			}
			for _, p := range b.pats {
				if p.Match(channel) {
					fn(p.src)
				}
			}
		})
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
