package stream

import "encoding/binary"

// raxNodes counts the nodes Redis's radix tree (rax) would have if it held
// the blocks' first IDs as keys, the way Redis keys its listpack nodes: a
// compressed trie over 16-byte big-endian IDs with one node per compressed
// run, one per branching point and one per key (the node a key ends on).
// An empty tree is its root alone. keys must be sorted and distinct.
func raxNodes(keys [][16]byte) int64 {
	if len(keys) == 0 {
		return 1
	}
	return raxSubtree(keys, 0)
}

// raxSubtree counts the nodes below the point where depth bytes of keys
// (which share them) have been consumed.
func raxSubtree(keys [][16]byte, depth int) int64 {
	if len(keys) == 1 {
		if depth == len(keys[0]) {
			return 1 // the key's own node
		}
		return 2 // the rest of the key compressed, then the key's node
	}
	first, last := &keys[0], &keys[len(keys)-1]
	common := depth
	for first[common] == last[common] { // sorted and distinct: they differ somewhere
		common++
	}
	var n int64 = 1 // the branching node at common
	if common > depth {
		n++ // the compressed run from depth to common
	}
	for i := 0; i < len(keys); {
		j := i + 1
		for j < len(keys) && keys[j][common] == keys[i][common] {
			j++
		}
		n += raxSubtree(keys[i:j], common+1)
		i = j
	}
	return n
}

// blockKeys returns the blocks' first IDs as big-endian 16-byte keys.
func (s *Stream) blockKeys() [][16]byte {
	keys := make([][16]byte, 0, s.tree.Len())
	s.tree.Ascend(func(sl slot) bool {
		b := sl.b
		var k [16]byte
		binary.BigEndian.PutUint64(k[:8], b.first.Ms)
		binary.BigEndian.PutUint64(k[8:], b.first.Seq)
		keys = append(keys, k)
		return true
	})
	return keys
}
