package stream

import "iter"

// Range returns up to count (<= 0: all) entries with start <= ID <= end,
// oldest first. start > end gives none.
func (s *Stream) Range(start, end ID, count int) []Entry {
	var (
		text  [slabText]byte
		ends  [slabPieces]int
		heads [slabEntries]slabHead
	)
	sl := newSlab(text[:], ends[:], heads[:])
	s.ascend(start, end, func(b *block, e rawEntry) bool {
		sl = sl.add(b, e)
		return count <= 0 || len(sl.heads) < count
	})
	if len(sl.heads) == 0 {
		return nil
	}
	return sl.appendTo(nil)
}

// RevRange returns up to count (<= 0: all) entries with start <= ID <= end,
// newest first. start > end gives none.
func (s *Stream) RevRange(end, start ID, count int) []Entry {
	var (
		text  [slabText]byte
		ends  [slabPieces]int
		heads [slabEntries]slabHead
	)
	sl := newSlab(text[:], ends[:], heads[:])
	s.descend(end, start, func(b *block, e rawEntry) bool {
		sl = sl.add(b, e)
		return count <= 0 || len(sl.heads) < count
	})
	if len(sl.heads) == 0 {
		return nil
	}
	return sl.appendTo(nil)
}

// All iterates over the entries with start <= ID <= end, oldest first. The
// stream must not change while the iteration runs.
func (s *Stream) All(start, end ID) iter.Seq[Entry] {
	return func(yield func(Entry) bool) {
		s.ascend(start, end, func(b *block, e rawEntry) bool {
			return yield(b.entry(e))
		})
	}
}

// Backward iterates over the entries with start <= ID <= end, newest first.
// The stream must not change while the iteration runs.
func (s *Stream) Backward(end, start ID) iter.Seq[Entry] {
	return func(yield func(Entry) bool) {
		s.descend(end, start, func(b *block, e rawEntry) bool {
			return yield(b.entry(e))
		})
	}
}

// rangeAfter returns up to count (<= 0: all) entries with ID > after,
// oldest first (XREAD and XREADGROUP ">").
func (s *Stream) rangeAfter(after ID, count int) []Entry {
	start, ok := after.Next()
	if !ok {
		return nil
	}
	return s.Range(start, MaxID, count)
}

// Get returns the entry with the given ID; false if there is none (never
// added, deleted or trimmed).
func (s *Stream) Get(id ID) (Entry, bool) {
	b := s.blockFor(id)
	if b == nil {
		return Entry{}, false
	}
	e, ok := b.find(id)
	if !ok || e.deleted() {
		return Entry{}, false
	}
	return b.entry(e), true
}

// blockFor returns the block whose first ID is the greatest <= id, or nil.
func (s *Stream) blockFor(id ID) *block {
	var found *block
	s.tree.DescendLessOrEqual(slot{first: id}, func(sl slot) bool {
		found = sl.b
		return false
	})
	return found
}

// ascend calls yield for each live entry with start <= ID <= end, oldest
// first, until yield returns false.
func (s *Stream) ascend(start, end ID, yield func(*block, rawEntry) bool) {
	if end.Less(start) {
		return
	}
	from := start
	if b := s.blockFor(start); b != nil {
		from = b.first
	}
	stop := false
	s.tree.AscendGreaterOrEqual(slot{first: from}, func(sl slot) bool {
		b := sl.b
		if end.Less(b.first) {
			return false
		}
		b.eachFrom(start, func(e rawEntry) bool {
			switch {
			case end.Less(e.id):
				stop = true
			case e.deleted() || e.id.Less(start):
				return true
			default:
				stop = !yield(b, e)
			}
			return !stop
		})
		return !stop
	})
}

// descend calls yield for each live entry with start <= ID <= end, newest
// first, until yield returns false.
func (s *Stream) descend(end, start ID, yield func(*block, rawEntry) bool) {
	if end.Less(start) {
		return
	}
	var scratch [blockMaxEntries]rawEntry
	stop := false
	s.tree.DescendLessOrEqual(slot{first: end}, func(sl slot) bool {
		b := sl.b
		es := b.entries(scratch[:0])
		for i := len(es) - 1; i >= 0 && !stop; i-- {
			e := es[i]
			switch {
			case e.id.Less(start):
				stop = true
			case e.deleted() || end.Less(e.id):
			default:
				stop = !yield(b, e)
			}
		}
		return !stop
	})
}
