package pattern

// NodeCount returns the number of trie nodes of x, the prefix trie's and
// the suffix tries' together, for the tests to check that Remove frees them.
func NodeCount(x *Index) int {
	return countNodes(x.root, func(v *fwdNode) int {
		if v.tails == nil {
			return 0
		}
		return countNodes(v.tails, func(*[]*Pattern) int { return 0 })
	})
}

func countNodes[V any](n *trie[V], inner func(*V) int) int {
	c := 1 + inner(&n.val)
	for _, k := range n.kids {
		c += countNodes(k, inner)
	}
	return c
}
