package broker

import (
	"hash/maphash"
	"iter"
)

// keyTable is the registry's set of key states, found by key. A process may
// hold millions of keys, and a Go map[string]*streamState costs 35-56 bytes
// a key (a 25-byte slot, at its load factor), more than a tenth of a
// one-entry stream. The table is a flat array of pointers to the states
// instead, probed linearly from a home slot given by the key's hash; the key
// and that hash are in the state, which a lookup reads anyway, and the keys
// are compared only when the hashes match.
//
// The array grows by a quarter when it is 7/8 full, so it stays between 70 %
// and 87.5 % full once it has grown (8 bytes a slot: 9.1-11.4 bytes a key):
// a slot count that is not a power of two, so the home slot is the hash
// scaled to it (multiply and shift). The price of full slots without the
// hash in them is that a probe that passes another key reads that key's
// state. Deletion moves later slots of the probe sequence back (no
// tombstones). Not safe for concurrent use: the registry's lock guards it.
type keyTable struct {
	seed  maphash.Seed
	slots []*streamState // nil: an empty slot
	n     int            // states held
}

// minKeySlots is the slot count of a table's first array.
const minKeySlots = 8

func newKeyTable() keyTable {
	return keyTable{seed: maphash.MakeSeed()}
}

// Len is the number of states held.
func (t *keyTable) Len() int { return t.n }

// hash is the hash of key that its state holds (streamState.hash).
func (t *keyTable) hash(key string) uint32 {
	return uint32(maphash.String(t.seed, key))
}

// home is the slot where the probe sequence of hash h starts.
func (t *keyTable) home(h uint32) int {
	return int(uint64(h) * uint64(len(t.slots)) >> 32)
}

// next is the slot after i, wrapping around.
func (t *keyTable) next(i int) int {
	if i++; i == len(t.slots) {
		return 0
	}
	return i
}

// get returns key's state, nil if it has none.
func (t *keyTable) get(key string) *streamState {
	if t.n == 0 {
		return nil
	}
	h := t.hash(key)
	for i := t.home(h); ; i = t.next(i) {
		st := t.slots[i]
		if st == nil || st.hash == h && st.key == key {
			return st
		}
	}
}

// put adds st under st.key, which must have no state yet, and sets st.hash.
func (t *keyTable) put(st *streamState) {
	if (t.n+1)*8 > len(t.slots)*7 {
		t.grow()
	}
	st.hash = t.hash(st.key)
	t.insert(st)
	t.n++
}

// insert places st in the first free slot of its probe sequence.
func (t *keyTable) insert(st *streamState) {
	i := t.home(st.hash)
	for t.slots[i] != nil {
		i = t.next(i)
	}
	t.slots[i] = st
}

// grow makes the array a quarter longer and places every state again.
func (t *keyTable) grow() {
	old := t.slots
	t.slots = make([]*streamState, max(minKeySlots, len(old)+len(old)/4))
	for _, st := range old {
		if st != nil {
			t.insert(st)
		}
	}
}

// remove drops st, if the table holds it under st.key; it reports whether
// it did.
func (t *keyTable) remove(st *streamState) bool {
	if t.n == 0 {
		return false
	}
	i := t.home(st.hash)
	for t.slots[i] != st {
		if t.slots[i] == nil {
			return false
		}
		i = t.next(i)
	}
	// Backward-shift deletion: walk the run after the hole, and move into
	// the hole every state whose home does not lie in the cyclic range
	// (hole, j], where a lookup would no longer reach it.
	size := len(t.slots)
	for j := t.next(i); t.slots[j] != nil; j = t.next(j) {
		home := t.home(t.slots[j].hash)
		if (j-home+size)%size >= (j-i+size)%size {
			t.slots[i] = t.slots[j]
			i = j
		}
	}
	t.slots[i] = nil
	t.n--
	return true
}

// all yields every state, in no particular order. The table must not
// change during the iteration.
func (t *keyTable) all() iter.Seq[*streamState] {
	return func(yield func(*streamState) bool) {
		for _, st := range t.slots {
			if st != nil && !yield(st) {
				return
			}
		}
	}
}
