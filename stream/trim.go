package stream

// Delete removes the given IDs (XDEL) and returns how many existed. The
// highest removed ID raises the max-deleted-entry-id. Entries become
// tombstones inside their block; a block whose last live entry goes is
// freed.
func (s *Stream) Delete(ids ...ID) int64 {
	var n int64
	for _, id := range ids {
		if !s.deleteOne(id) {
			continue
		}
		n++
		if s.rare().maxDeletedID.Less(id) {
			s.rareForWrite().maxDeletedID = id
		}
	}
	return n
}

// deleteOne removes one entry; false if it does not exist.
func (s *Stream) deleteOne(id ID) bool {
	b := s.blockFor(id)
	if b == nil {
		return false
	}
	e, ok := b.find(id)
	if !ok || e.deleted() {
		return false
	}
	if b.live() == 1 {
		s.removeBlock(b)
		return true
	}
	b = s.mutable(b)
	s.tombstone(b, e)
	return true
}

// tombstone marks the live entry e of b, which s owns, as deleted.
func (s *Stream) tombstone(b *block, e rawEntry) {
	b.buf[e.off] |= flagDeleted
	b.del++
	n := b.entryBytes(e)
	b.bytes -= n
	x := s.rareForWrite()
	x.removed++
	if b != s.tree.Last() {
		x.earlier.entries--
		x.earlier.bytes -= n
	}
}

// removeBlock drops a whole block and its live entries.
func (s *Stream) removeBlock(b *block) {
	x := s.rareForWrite()
	x.removed += uint64(b.live())
	if b != s.tree.Last() {
		x.earlier.sub(b)
		s.tree.Delete(b.slot())
		return
	}
	s.tree.Delete(b.slot())
	if last := s.tree.Last(); last != nil {
		x.earlier.sub(last) // now the last block
	}
}

// Trim applies t and returns how many entries it removed. Whole blocks go
// first, oldest first; an exact trim then turns the remaining entries it
// must remove from the oldest block into tombstones, while an approximate
// one stops at the first block it cannot remove whole, or when removing the
// next block would pass the limit. Trimming does not change
// max-deleted-entry-id and, with t.Ref KeepRef, never touches consumer
// groups; t.Ref DelRef or Acked trims as trimRef says (Redis 8.2).
func (s *Stream) Trim(t Trim) int64 {
	if t.Ref != KeepRef {
		return s.trimRef(t)
	}
	maxLen := max(t.MaxLen, 0)
	limit := int64(-1) // no cap
	if t.Approx {
		switch {
		case t.Limit == 0:
			limit = DefaultTrimLimit
		case t.Limit > 0:
			limit = t.Limit
		}
	}
	var removed int64
	for {
		sl, ok := s.tree.Min()
		b := sl.b
		if !ok || (t.Strategy == TrimMaxLen && s.Len() <= maxLen) {
			return removed
		}
		live := int64(b.live())
		if limit >= 0 && removed+live > limit {
			return removed
		}
		var whole bool
		switch t.Strategy {
		case TrimMaxLen:
			whole = s.Len()-live >= maxLen
		case TrimMinID:
			whole = b.lastID().Less(t.MinID)
		default:
			return removed
		}
		if whole {
			s.removeBlock(b)
			removed += live
			continue
		}
		if !t.Approx {
			removed += s.trimInside(b, t, maxLen)
		}
		return removed
	}
}

// trimInside tombstones the oldest entries of b that an exact trim removes.
// A block left with tombstones only (MINID up to a deleted last entry) is
// freed.
func (s *Stream) trimInside(b *block, t Trim, maxLen int64) int64 {
	var scratch [blockMaxEntries]rawEntry
	var n int64
	for _, e := range b.entries(scratch[:0]) {
		if e.deleted() {
			continue
		}
		if t.Strategy == TrimMaxLen && s.Len() <= maxLen ||
			t.Strategy == TrimMinID && !e.id.Less(t.MinID) {
			break
		}
		b = s.mutable(b)
		s.tombstone(b, e)
		n++
	}
	if b.live() == 0 {
		s.removeBlock(b)
	}
	return n
}
