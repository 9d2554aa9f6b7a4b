package stream

import "github.com/google/btree"

// blockSet is the blocks of a stream, ordered by first ID. A stream of at
// most one block (most streams, when there are millions of small ones)
// holds it inline and has no B-tree: the tree and its free list cost over
// a kilobyte, more than a small stream's data. The tree is made when a
// second block arrives and dropped when one block is left. The set also
// keeps its last block at hand (Last), the one appends go to. The other
// methods are those of btree.BTreeG that the stream uses, with the same
// meaning.
type blockSet struct {
	last *block              // the block with the highest first ID, the only one when tree is nil (nil: none)
	tree *btree.BTreeG[slot] // two or more blocks
}

// Last returns the block with the highest first ID, nil when none.
func (t *blockSet) Last() *block { return t.last }

// Len is the number of blocks.
func (t *blockSet) Len() int {
	if t.tree != nil {
		return t.tree.Len()
	}
	if t.last != nil {
		return 1
	}
	return 0
}

// Min returns the block with the lowest first ID.
func (t *blockSet) Min() (slot, bool) {
	if t.tree != nil {
		return t.tree.Min()
	}
	if t.last == nil {
		return slot{}, false
	}
	return t.last.slot(), true
}

// ReplaceOrInsert adds sl, replacing the block with the same first ID.
func (t *blockSet) ReplaceOrInsert(sl slot) {
	switch {
	case t.tree != nil:
		t.tree.ReplaceOrInsert(sl)
	case t.last != nil && t.last.first != sl.first:
		t.tree = btree.NewG(btreeBlockDegree, slotLess)
		t.tree.ReplaceOrInsert(t.last.slot())
		t.tree.ReplaceOrInsert(sl)
	}
	if t.last == nil || !sl.first.Less(t.last.first) {
		t.last = sl.b
	}
}

// Delete removes the block whose first ID is sl.first.
func (t *blockSet) Delete(sl slot) {
	if t.tree == nil {
		if t.last != nil && t.last.first == sl.first {
			t.last = nil
		}
		return
	}
	t.tree.Delete(sl)
	if t.last.first == sl.first {
		m, _ := t.tree.Max()
		t.last = m.b
	}
	if t.tree.Len() <= 1 {
		t.tree = nil
	}
}

// Ascend calls fn for every block, lowest first ID first, until it returns
// false.
func (t *blockSet) Ascend(fn func(slot) bool) {
	if t.tree != nil {
		t.tree.Ascend(fn)
	} else if t.last != nil {
		fn(t.last.slot())
	}
}

// AscendGreaterOrEqual is Ascend from the first block whose first ID is at
// least pivot's.
func (t *blockSet) AscendGreaterOrEqual(pivot slot, fn func(slot) bool) {
	if t.tree != nil {
		t.tree.AscendGreaterOrEqual(pivot, fn)
	} else if t.last != nil && !t.last.first.Less(pivot.first) {
		fn(t.last.slot())
	}
}

// DescendLessOrEqual calls fn for every block whose first ID is at most
// pivot's, highest first, until it returns false.
func (t *blockSet) DescendLessOrEqual(pivot slot, fn func(slot) bool) {
	if t.tree != nil {
		t.tree.DescendLessOrEqual(pivot, fn)
	} else if t.last != nil && !pivot.first.Less(t.last.first) {
		fn(t.last.slot())
	}
}

// Clone returns a copy-on-write copy (the blocks themselves are shared).
func (t *blockSet) Clone() blockSet {
	if t.tree != nil {
		return blockSet{last: t.last, tree: t.tree.Clone()}
	}
	return *t
}
