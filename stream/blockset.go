package stream

import "github.com/google/btree"

// blockSet is the blocks of a stream, ordered by first ID. A stream of at
// most one block (most streams, when there are millions of small ones)
// holds it inline and has no B-tree: the tree and its free list cost over
// a kilobyte, more than a small stream's data. The tree is made when a
// second block arrives and dropped when one block is left. The methods are
// those of btree.BTreeG that the stream uses, with the same meaning.
type blockSet struct {
	one  *block              // the only block when tree is nil (nil: none)
	tree *btree.BTreeG[slot] // two or more blocks
}

// Len is the number of blocks.
func (t *blockSet) Len() int {
	if t.tree != nil {
		return t.tree.Len()
	}
	if t.one != nil {
		return 1
	}
	return 0
}

// Min returns the block with the lowest first ID.
func (t *blockSet) Min() (slot, bool) {
	if t.tree != nil {
		return t.tree.Min()
	}
	if t.one == nil {
		return slot{}, false
	}
	return t.one.slot(), true
}

// ReplaceOrInsert adds sl, replacing the block with the same first ID.
func (t *blockSet) ReplaceOrInsert(sl slot) {
	switch {
	case t.tree != nil:
		t.tree.ReplaceOrInsert(sl)
	case t.one == nil || t.one.first == sl.first:
		t.one = sl.b
	default:
		t.tree = btree.NewG(btreeBlockDegree, slotLess)
		t.tree.ReplaceOrInsert(t.one.slot())
		t.tree.ReplaceOrInsert(sl)
		t.one = nil
	}
}

// Delete removes the block whose first ID is sl.first.
func (t *blockSet) Delete(sl slot) {
	if t.tree == nil {
		if t.one != nil && t.one.first == sl.first {
			t.one = nil
		}
		return
	}
	t.tree.Delete(sl)
	if t.tree.Len() <= 1 {
		sl, _ := t.tree.Min()
		t.one, t.tree = sl.b, nil
	}
}

// Ascend calls fn for every block, lowest first ID first, until it returns
// false.
func (t *blockSet) Ascend(fn func(slot) bool) {
	if t.tree != nil {
		t.tree.Ascend(fn)
	} else if t.one != nil {
		fn(t.one.slot())
	}
}

// AscendGreaterOrEqual is Ascend from the first block whose first ID is at
// least pivot's.
func (t *blockSet) AscendGreaterOrEqual(pivot slot, fn func(slot) bool) {
	if t.tree != nil {
		t.tree.AscendGreaterOrEqual(pivot, fn)
	} else if t.one != nil && !t.one.first.Less(pivot.first) {
		fn(t.one.slot())
	}
}

// DescendLessOrEqual calls fn for every block whose first ID is at most
// pivot's, highest first, until it returns false.
func (t *blockSet) DescendLessOrEqual(pivot slot, fn func(slot) bool) {
	if t.tree != nil {
		t.tree.DescendLessOrEqual(pivot, fn)
	} else if t.one != nil && !pivot.first.Less(t.one.first) {
		fn(t.one.slot())
	}
}

// Clone returns a copy-on-write copy (the blocks themselves are shared).
func (t *blockSet) Clone() blockSet {
	if t.tree != nil {
		return blockSet{tree: t.tree.Clone()}
	}
	return *t
}
