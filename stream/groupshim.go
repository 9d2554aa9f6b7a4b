package stream

// TEMPORARY (groups teammate): adapters onto the entry store until its
// internal accessors (rangeAfter, Get, FirstID, entriesAdded, maxDeletedID)
// exist. Removed as soon as stream.go provides them.

func (s *Stream) rangeAfterG(after ID, count int) []Entry {
	start, ok := after.Next()
	if !ok {
		return nil
	}
	return s.Range(start, MaxID, count)
}

func (s *Stream) getG(id ID) (Entry, bool) {
	e := s.Range(id, id, 1)
	if len(e) == 0 {
		return Entry{}, false
	}
	return e[0], true
}

func (s *Stream) firstIDG() (ID, bool) {
	e := s.Range(MinID, MaxID, 1)
	if len(e) == 0 {
		return ID{}, false
	}
	return e[0].ID, true
}

func (s *Stream) metaG() (entriesAdded uint64, maxDeleted ID) { return 0, ID{} }
