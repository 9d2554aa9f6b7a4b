package broker

import (
	"hash/maphash"
	"iter"
)

// keyTable is the registry's set of key states, found by key. A process may
// hold millions of keys, and a Go map[string]*streamState costs 35-56 bytes
// a key (a 25-byte slot, at its load factor) and four cache misses a
// lookup of a cold key (control word, slot, key bytes, then the state). The
// table is a flat array of slots instead, each the state's pointer and its
// key's hash (16 bytes), probed linearly: the key is already in the state,
// and a lookup compares it only for a slot whose full hash matches, so a
// cold lookup costs the slot, the state and the key bytes.
//
// The slot count is a power of two, doubled when the table is 7/8 full, so
// it is between 7/16 and 7/8 full after it first grows. Deletion moves later
// slots of the probe sequence back (no tombstones). Not safe for
// concurrent use: the registry's lock guards it.
type keyTable struct {
	seed  maphash.Seed
	slots []keySlot // len is a power of two, or 0
	n     int       // states held
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

// get returns key's state, nil if it has none.
func (t *keyTable) get(key string) *streamState {
	if t.n == 0 {
		return nil
	}
	h := maphash.String(t.seed, key)
	mask := uint64(len(t.slots) - 1)
	for i := h & mask; ; i = (i + 1) & mask {
		sl := &t.slots[i]
		if sl.st == nil {
			return nil
		}
		if sl.hash == h && sl.st.key == key {
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
	mask := uint64(len(t.slots) - 1)
	i := sl.hash & mask
	for t.slots[i].st != nil {
		i = (i + 1) & mask
	}
	t.slots[i] = sl
}

// grow doubles the slot count (rehashing from the stored hashes, without
// reading the states).
func (t *keyTable) grow() {
	old := t.slots
	t.slots = make([]keySlot, max(minKeySlots, 2*len(old)))
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
	h := maphash.String(t.seed, st.key)
	mask := uint64(len(t.slots) - 1)
	i := h & mask
	for t.slots[i].st != st {
		if t.slots[i].st == nil {
			return false
		}
		i = (i + 1) & mask
	}
	// Backward-shift deletion: walk the run after the hole, and move into
	// the hole every slot whose home (hash & mask) does not lie in the
	// cyclic range (hole, j], where a lookup would no longer reach it.
	for j := (i + 1) & mask; t.slots[j].st != nil; j = (j + 1) & mask {
		home := t.slots[j].hash & mask
		if (j-home)&mask >= (j-i)&mask {
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
