package broker

import (
	"hash/maphash"
	"iter"
	"math/bits"
)

// keyTable is the registry's set of key states, found by key. A process may
// hold millions of keys, and a Go map[string]*streamState costs 35-56 bytes
// a key (a 25-byte slot, at its load factor) and four cache misses a lookup
// of a cold key (control word, slot, key bytes, then the state). The table
// is a flat array of slots instead, each a state's pointer and its key's
// hash (16 bytes), probed linearly from a home slot given by the hash: the
// key is already in the state, and a lookup compares it only for a slot
// whose hash matches, so a cold lookup costs the slot, the state and the
// key bytes, and a probe that passes other keys reads nothing but slots.
//
// The array grows by a quarter when it is 7/8 full, so once it has grown it
// stays 70-87.5 % full (18-23 bytes a key): the slot count is not a power
// of two, so the home slot is the hash scaled to it (multiply and shift).
// Growing reads the hashes from the slots, not from the states. Deletion
// moves later slots of the probe sequence back (no tombstones). Not safe for
// concurrent use: the registry's lock guards it.
type keyTable struct {
	seed  maphash.Seed
	slots []keySlot
	n     int // states held
}

// keySlot is one slot of a keyTable: empty when st is nil.
type keySlot struct {
	st   *streamState
	hash uint64 // maphash of st.key
}

// minKeySlots is the slot count of a table's first array.
const minKeySlots = 8

func newKeyTable() keyTable {
	return keyTable{seed: maphash.MakeSeed()}
}

// Len is the number of states held.
func (t *keyTable) Len() int { return t.n }

// home is the slot where the probe sequence of hash h starts.
func (t *keyTable) home(h uint64) int {
	hi, _ := bits.Mul64(h, uint64(len(t.slots)))
	return int(hi)
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
	h := maphash.String(t.seed, key)
	for i := t.home(h); ; i = t.next(i) {
		sl := &t.slots[i]
		if sl.st == nil || sl.hash == h && sl.st.key == key {
			return sl.st
		}
	}
}

// put adds st under st.key, which must have no state yet.
func (t *keyTable) put(st *streamState) {
	if (t.n+1)*8 > len(t.slots)*7 {
		t.grow()
	}
	t.insert(keySlot{st: st, hash: maphash.String(t.seed, st.key)})
	t.n++
}

// insert places sl in the first free slot of its probe sequence.
func (t *keyTable) insert(sl keySlot) {
	i := t.home(sl.hash)
	for t.slots[i].st != nil {
		i = t.next(i)
	}
	t.slots[i] = sl
}

// grow makes the array a quarter longer and places every slot again.
func (t *keyTable) grow() {
	old := t.slots
	t.slots = make([]keySlot, max(minKeySlots, len(old)+len(old)/4))
	for _, sl := range old {
		if sl.st != nil {
			t.insert(sl)
		}
	}
}

// remove drops st, if the table holds it under st.key; it reports whether
// it did.
func (t *keyTable) remove(st *streamState) bool {
	if t.n == 0 {
		return false
	}
	i := t.home(maphash.String(t.seed, st.key))
	for t.slots[i].st != st {
		if t.slots[i].st == nil {
			return false
		}
		i = t.next(i)
	}
	// Backward-shift deletion: walk the run after the hole, and move into
	// the hole every slot whose home does not lie in the cyclic range
	// (hole, j], where a lookup would no longer reach it.
	size := len(t.slots)
	for j := t.next(i); t.slots[j].st != nil; j = t.next(j) {
		home := t.home(t.slots[j].hash)
		if (j-home+size)%size >= (j-i+size)%size {
			t.slots[i] = t.slots[j]
			i = j
		}
	}
	t.slots[i] = keySlot{}
	t.n--
	return true
}

// all yields every state, in no particular order. The table must not
// change during the iteration.
func (t *keyTable) all() iter.Seq[*streamState] {
	return func(yield func(*streamState) bool) {
		for _, sl := range t.slots {
			if sl.st != nil && !yield(sl.st) {
				return
			}
		}
	}
}
