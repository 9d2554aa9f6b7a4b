package pattern

import (
	"math/bits"
	"math/rand/v2"
	"slices"
)

// keyTable holds the patterns filed under literal keys: prefixes (heads),
// suffixes (tails), inner runs (inner) or whole literal patterns (exact). A
// channel looks it up by probing the channel's prefix (or suffix; inner
// runs: the prefixes of the channel's tails, see Index.walkInner) of each
// length some key has: one probe per distinct key length, not one step per
// byte as in a trie, and the probes do not depend on each other, so that
// once the table outgrows the CPU caches their misses overlap instead of
// following each other (see [keyTable.probe]).
//
// It is an open-addressing hash table with linear probing, kept at most
// half full: a byte array of tags (0 for an empty slot, otherwise 8 bits of
// the key's hash), which a probe reads first, and an array of buckets in
// the same order, read only where the tag matches. The tags are 1 byte per
// slot (2 MiB for a million keys), small enough to stay in the CPU's last
// level cache while the buckets do not. Deletion shifts the following
// entries back, so there are no tombstones.
//
// Keys are hashed with a seeded multiply-mix hash over 8-byte words, read
// from the key's start for prefixes and from its end for suffixes, so that
// the hashes of all of a channel's prefixes (suffixes) are computed in one
// pass over it ([keyTable.probe]).
type keyTable struct {
	seed  uint64
	tags  []uint8   // 0: empty slot
	slots []*bucket // the bucket of each full slot
	n     int       // keys
	back  bool      // keys are suffixes: hashed from their end
	lens  []keyLen  // the distinct lengths of the keys, ascending
	// starts holds the far bytes of all keys (see keyLen), as long as the
	// table is not empty: a substring of a channel can be a key only if
	// it starts with one of them.
	starts byteSet
}

// keyLen is the number of keys of a table that have length l, and the
// sets of their end bytes: edge, the byte next to the wildcard (the last
// byte of a prefix or an inner run, the first of a suffix), and far, the
// other end (the first byte of a prefix or run, the last of a suffix). A
// channel's prefix (suffix, substring) of length l whose end bytes are not
// in the sets is not looked up: keys usually end at a separator (`news.*`,
// `*.alert`, `*.<i>.*`), so most lengths of most channels are ruled out
// without touching the table. A byte stays in a set when its last key
// goes, until no key of length l is left, which costs only a useless
// probe.
type keyLen struct {
	l, n      int
	edge, far byteSet
}

// ends returns the edge and far bytes of s's prefix (suffix) of length
// l > 0.
func (t *keyTable) ends(s string, l int) (edge, far byte) {
	if t.back {
		return s[len(s)-l], s[len(s)-1]
	}
	return s[l-1], s[0]
}

// bucket is a key of a keyTable and the patterns filed under it.
type bucket struct {
	key  string
	h    uint64
	pats []*Pattern // starts as one[:0:1], so the first pattern costs no allocation
	one  [1]*Pattern
}

const (
	mixK1 = 0xa0761d6478bd642f // wyhash's constants
	mixK2 = 0xe7037ed1a0b428db
	mixK3 = 0x8ebc6af09c88c6e3
)

func mix(a, b uint64) uint64 {
	hi, lo := bits.Mul64(a, b)
	return hi ^ lo
}

func newKeyTable(back bool) *keyTable {
	return &keyTable{seed: rand.Uint64(), back: back}
}

// word returns the 8 bytes s[i:i+8] as a little-endian number.
func word(s string, i int) uint64 {
	_ = s[i+7]
	return uint64(s[i]) | uint64(s[i+1])<<8 | uint64(s[i+2])<<16 | uint64(s[i+3])<<24 |
		uint64(s[i+4])<<32 | uint64(s[i+5])<<40 | uint64(s[i+6])<<48 | uint64(s[i+7])<<56
}

// partial returns the fewer than 8 bytes s[i:j] as a little-endian number:
// with one load of 8 bytes, masked or shifted, when s has 8 bytes there.
func partial(s string, i, j int) uint64 {
	r := uint(j - i)
	switch {
	case r == 0:
		return 0
	case i+8 <= len(s):
		return word(s, i) & (1<<(8*r) - 1)
	case j >= 8:
		return word(s, j-8) >> (64 - 8*r)
	}
	var w uint64
	for k := j - 1; k >= i; k-- {
		w = w<<8 | uint64(s[k])
	}
	return w
}

// hasher computes the hashes of a string's prefixes (or suffixes, when
// back), of increasing lengths, in one pass: whole 8-byte words are chained
// as the lengths reach past them, and a hash is the chain so far mixed with
// the rest of the bytes and the length.
type hasher struct {
	s     string
	back  bool
	q     int // words chained
	chain uint64
}

func (t *keyTable) hasher(s string) hasher {
	return hasher{s: s, back: t.back, chain: t.seed}
}

// at returns the hash of s's prefix (suffix) of length l; l must not be less
// than the previous call's.
func (h *hasher) at(l int) uint64 {
	s, n := h.s, len(h.s)
	for ; h.q < l>>3; h.q++ {
		var w uint64
		if h.back {
			w = word(s, n-8*h.q-8)
		} else {
			w = word(s, 8*h.q)
		}
		h.chain = mix(h.chain^w, mixK1)
	}
	var rest uint64
	if h.back {
		rest = partial(s, n-l, n-8*h.q)
	} else {
		rest = partial(s, 8*h.q, l)
	}
	return mix(h.chain^rest^mixK2, uint64(l)^mixK3)
}

// hash returns the hash of key.
func (t *keyTable) hash(key string) uint64 {
	h := t.hasher(key)
	return h.at(len(key))
}

func tagOf(h uint64) uint8 {
	return max(uint8(h>>56), 1) // never 0
}

// find returns the bucket of key, whose hash is h, or nil.
func (t *keyTable) find(key string, h uint64) *bucket {
	if t.n == 0 {
		return nil
	}
	mask := len(t.tags) - 1
	tag := tagOf(h)
	for i := int(h) & mask; t.tags[i] != 0; i = (i + 1) & mask {
		if t.tags[i] == tag {
			if b := t.slots[i]; b.h == h && b.key == key {
				return b
			}
		}
	}
	return nil
}

// get returns the bucket of key, or nil.
func (t *keyTable) get(key string) *bucket {
	if t.n == 0 {
		return nil
	}
	return t.find(key, t.hash(key))
}

// count returns the number of patterns filed under key.
func (t *keyTable) count(key string) int {
	if b := t.get(key); b != nil {
		return len(b.pats)
	}
	return 0
}

// add returns the bucket of key, adding an empty one if there is none.
func (t *keyTable) add(key string) *bucket {
	h := t.hash(key)
	if b := t.find(key, h); b != nil {
		return b
	}
	if 2*(t.n+1) > len(t.tags) {
		t.grow()
	}
	b := &bucket{key: key, h: h}
	b.pats = b.one[:0:1]
	t.put(b)
	t.n++
	i, ok := slices.BinarySearchFunc(t.lens, len(key), cmpLen)
	if !ok {
		t.lens = slices.Insert(t.lens, i, keyLen{l: len(key)})
	}
	k := &t.lens[i]
	k.n++
	if len(key) > 0 {
		e, f := t.ends(key, len(key))
		k.edge.add(e)
		k.far.add(f)
		t.starts.add(f)
	}
	return b
}

// put stores b in the first free slot of its probe sequence.
func (t *keyTable) put(b *bucket) {
	mask := len(t.tags) - 1
	i := int(b.h) & mask
	for t.tags[i] != 0 {
		i = (i + 1) & mask
	}
	t.tags[i], t.slots[i] = tagOf(b.h), b
}

// grow doubles the table (16 slots at first) and puts the buckets back.
func (t *keyTable) grow() {
	tags, slots := t.tags, t.slots
	size := max(16, 2*len(tags))
	t.tags, t.slots = make([]uint8, size), make([]*bucket, size)
	for i, b := range slots {
		if tags[i] != 0 {
			t.put(b)
		}
	}
}

// del removes b, which must be in the table, and shifts back the entries
// after it that it was keeping from their home slot.
func (t *keyTable) del(b *bucket) {
	mask := len(t.tags) - 1
	j := int(b.h) & mask
	for t.slots[j] != b {
		j = (j + 1) & mask
	}
	t.tags[j], t.slots[j] = 0, nil
	for i := (j + 1) & mask; t.tags[i] != 0; i = (i + 1) & mask {
		home := int(t.slots[i].h) & mask
		if (i-home)&mask >= (i-j)&mask {
			t.tags[j], t.slots[j] = t.tags[i], t.slots[i]
			t.tags[i], t.slots[i] = 0, nil
			j = i
		}
	}
	t.n--
	i, _ := slices.BinarySearchFunc(t.lens, len(b.key), cmpLen)
	if t.lens[i].n--; t.lens[i].n == 0 {
		t.lens = slices.Delete(t.lens, i, i+1)
	}
	if t.n == 0 {
		t.starts = byteSet{}
	}
}

func cmpLen(k keyLen, l int) int { return k.l - l }

// probeBatch is how many probes [keyTable.probe] starts before it looks at
// their results.
const probeBatch = 16

// probe calls fn with the bucket of each key that is a prefix (a suffix,
// when back) of s, shortest first. Keys of length 0 are left out.
//
// A length is probed only if s's end bytes there are among the keys' (see
// keyLen). The probes go in batches: first the hashes of the batch's
// lengths and the loads of their first tags, none depending on another, so
// that the CPU has all their cache misses in flight at once; then the
// comparisons, on tags by then in the cache. A lookup over a million keys
// thus waits for about one miss per batch rather than one per length (or
// per trie level).
func (t *keyTable) probe(s string, fn func(b *bucket)) {
	if t.n == 0 {
		return
	}
	lens := t.lens
	if len(lens) > 0 && lens[0].l == 0 {
		lens = lens[1:]
	}
	mask := len(t.tags) - 1
	tags := t.tags
	hs := t.hasher(s)
	var hash [probeBatch]uint64
	var at [probeBatch]int
	var first [probeBatch]uint8
	for len(lens) > 0 && lens[0].l <= len(s) {
		k := 0
		for len(lens) > 0 && k < probeBatch {
			l := lens[0].l
			if l > len(s) {
				break
			}
			if e, f := t.ends(s, l); lens[0].edge.has(e) && lens[0].far.has(f) {
				h := hs.at(l)
				hash[k], at[k] = h, l
				first[k] = tags[int(h)&mask]
				k++
			}
			lens = lens[1:]
		}
		for m := range k {
			if first[m] == 0 {
				continue
			}
			h, l := hash[m], at[m]
			tag := tagOf(h)
			key := s[:l]
			if t.back {
				key = s[len(s)-l:]
			}
			for i := int(h) & mask; tags[i] != 0; i = (i + 1) & mask {
				if tags[i] == tag {
					if b := t.slots[i]; b.h == h && b.key == key {
						fn(b)
						break
					}
				}
			}
		}
	}
}

// forEach calls fn with every bucket, for the tests.
func (t *keyTable) forEach(fn func(b *bucket)) {
	for i, b := range t.slots {
		if t.tags[i] != 0 {
			fn(b)
		}
	}
}
