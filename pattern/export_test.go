package pattern

import (
	"fmt"
	"slices"
)

// NodeCount returns the number of keys of x's tables, for the tests to
// check that Remove frees them.
func NodeCount(x *Index) int {
	if x.heads == nil {
		return 0
	}
	return x.exact.n + x.heads.n + x.tails.n + x.inner.n
}

// CheckIndex reports the first broken invariant of x's tables: every key
// is found from its hash, holds patterns and is counted under its length,
// with its end bytes in its length's sets; every pattern is filed once,
// where its entry says.
func CheckIndex(x *Index) error {
	if x.heads == nil {
		return nil
	}
	filed := 0
	for _, t := range []*keyTable{x.exact, x.heads, x.tails, x.inner} {
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
		if l := len(b.key); l > 0 && err2 == nil {
			e, f := t.ends(b.key, l)
			if !t.lens[i].edge.has(e) || !t.lens[i].far.has(f) || !t.starts.has(f) {
				err2 = fmt.Errorf("key %q: end bytes not in its length's sets", b.key)
			}
		}
	})
	if err2 != nil {
		return 0, err2
	}
	return pats, nil
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
