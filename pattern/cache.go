package pattern

import (
	"hash/maphash"
	"slices"
	"sync/atomic"
)

// CacheSize is the number of entries of an [Index]'s match cache: at most
// that many channels have their matching patterns remembered at a time.
const CacheSize = 1024

// IndexStats are the counters of an [Index] and its match cache.
type IndexStats struct {
	// Patterns is the number of patterns in the index ([Index.Len]).
	Patterns int
	// Cached is the number of channels whose result the cache holds for the
	// current set of patterns, at most [CacheSize].
	Cached int
	// Hits counts the [Index.Match] calls answered from the cache.
	Hits uint64
	// Misses counts the [Index.Match] calls that looked the patterns up
	// in the index's tables.
	Misses uint64
	// Admitted counts the results stored in the cache after a miss.
	Admitted uint64
}

// matchCache is an index's two-way set-associative cache of Match results,
// shared by concurrent Match calls without a lock: each set has two ways
// holding pointers to immutable entries (but for their hit counters),
// swapped atomically. An entry is valid only while its generation is the
// index's: Add and Remove bump the generation, which invalidates every entry
// at once.
type matchCache struct {
	seed maphash.Seed
	sets [CacheSize / 2]cacheSet

	_        [64]byte // the counters, written on misses, on a line of their own
	misses   atomic.Uint64
	admitted atomic.Uint64
	retired  atomic.Uint64 // hits of the entries replaced
	_        [64 - 24]byte
}

// cacheSet is one set of the cache: the channels whose hash picks it share
// its two ways. 32 bytes, so a set never straddles two cache lines.
type cacheSet struct {
	ways [2]atomic.Pointer[cacheEntry]
	// missed is the hash of the last channel that missed here and was not
	// stored because both ways held valid entries for other channels: the
	// next miss of the same channel replaces one (see admit).
	missed atomic.Uint64
	next   atomic.Uint32 // the way to replace next, when both are valid
	_      uint32
}

// cacheEntry is the result of Match for one channel under one generation
// of the index. Only hits changes after it is stored; it has a cache line
// of its own (the entry is 128 bytes, so 128-byte aligned), so that
// publishers counting hits on one channel do not slow down each other's
// reads of the result.
type cacheEntry struct {
	channel  string
	patterns []string // nil if none matches
	gen      uint64
	_        [64 - 48]byte
	hits     atomic.Uint64
	_        [64 - 8]byte
}

func newMatchCache() *matchCache {
	return &matchCache{seed: maphash.MakeSeed()}
}

// set returns the set of channel and channel's hash.
func (c *matchCache) set(channel string) (*cacheSet, uint64) {
	h := maphash.String(c.seed, channel)
	return &c.sets[h&(CacheSize/2-1)], h
}

// lookup returns the patterns cached for channel under generation gen, or
// false on a miss. Both are counted.
func (c *matchCache) lookup(s *cacheSet, channel string, gen uint64) ([]string, bool) {
	for i := range s.ways {
		if e := s.ways[i].Load(); e != nil && e.gen == gen && e.channel == channel {
			e.hits.Add(1)
			return e.patterns, true
		}
	}
	c.misses.Add(1)
	return nil, false
}

// admit stores found, the patterns matching the channel of hash h under
// generation gen, in s: in a way that is empty or stale if there is one;
// else, in turn, in either way, but only if this channel is the one that
// missed in s last. So a channel takes a busy way only on its second miss
// in a row in its set: a stream of distinct channels, each published once,
// replaces nothing and allocates nothing, while a channel published again
// soon gets cached.
func (c *matchCache) admit(s *cacheSet, h uint64, channel string, found []string, gen uint64) {
	w := -1
	for i := range s.ways {
		if e := s.ways[i].Load(); e == nil || e.gen != gen {
			w = i
			break
		}
	}
	if w < 0 {
		if s.missed.Load() != h {
			s.missed.Store(h)
			return
		}
		w = int(s.next.Load() & 1)
		s.next.Store(uint32(w ^ 1))
	}
	e := &cacheEntry{channel: channel, gen: gen}
	if len(found) > 0 {
		e.patterns = slices.Clone(found)
	}
	if old := s.ways[w].Swap(e); old != nil {
		c.retired.Add(old.hits.Load())
	}
	c.admitted.Add(1)
}

// stats returns the cache's counters; gen is the index's generation.
func (c *matchCache) stats(gen uint64) IndexStats {
	st := IndexStats{
		Hits:     c.retired.Load(),
		Misses:   c.misses.Load(),
		Admitted: c.admitted.Load(),
	}
	for i := range c.sets {
		for j := range c.sets[i].ways {
			if e := c.sets[i].ways[j].Load(); e != nil {
				st.Hits += e.hits.Load()
				if e.gen == gen {
					st.Cached++
				}
			}
		}
	}
	return st
}
