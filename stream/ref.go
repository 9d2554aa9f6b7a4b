package stream

// Deleting entries that consumer groups still reference (Redis 8.2):
// XACKDEL, XDELEX, and the KEEPREF|DELREF|ACKED strategies of XADD and
// XTRIM trimming.

import "fmt"

// RefMode says what a deletion does about consumer groups that still
// reference an entry. The zero value is KeepRef, Redis 7's behaviour.
type RefMode uint8

// Reference modes (Redis 8.2).
const (
	KeepRef RefMode = iota // KEEPREF: delete; other PELs keep the ID (dangling)
	DelRef                 // DELREF: delete and remove the ID from every PEL
	Acked                  // ACKED: delete only entries no group references
)

// Valid reports whether m is one of the reference modes.
func (m RefMode) Valid() bool { return m <= Acked }

// String returns the mode as Redis spells it.
func (m RefMode) String() string {
	switch m {
	case KeepRef:
		return "KEEPREF"
	case DelRef:
		return "DELREF"
	case Acked:
		return "ACKED"
	}
	return fmt.Sprintf("RefMode(%d)", uint8(m))
}

// Per-ID results of [Stream.AckDel] and [Stream.DeleteEx] (Redis 8.2).
const (
	RefNotFound = -1 // not pending in the group (AckDel) or not in the stream (DeleteEx)
	RefDeleted  = 1  // deleted (AckDel: acknowledged, and deleted if it was still in the stream)
	RefKept     = 2  // Acked only: kept because a group still references it
)

// referenced reports whether some group still references id: its
// last-delivered-id is below id (the entry is still to be read), or id is
// pending in it. Without groups nothing is referenced.
func (s *Stream) referenced(id ID) bool {
	for _, g := range s.rare().grp.m {
		if g.lastID.Less(id) {
			return true
		}
		if _, ok := g.pel.Get(nack{id: id}); ok {
			return true
		}
	}
	return false
}

// unrefAll removes id from the PEL of every group.
func (s *Stream) unrefAll(id ID) {
	for _, g := range s.rare().grp.m {
		if n, ok := g.pel.Get(nack{id: id}); ok {
			g.release(n)
		}
	}
}

// AckDel is XACKDEL (Redis 8.2): for each of ids, in order, RefNotFound if
// it is not pending in group (an ID listed twice is not pending the second
// time); otherwise it is acknowledged and then, by mode, deleted from the
// stream (KeepRef; with DelRef also removed from every other group's PEL),
// or, with Acked, deleted only if no group still references it (RefKept
// otherwise). RefDeleted also when the entry was already gone from the
// stream. A missing group gives RefNotFound for every ID. Deletion is as
// [Stream.Delete]'s. mode must be valid.
func (s *Stream) AckDel(group string, ids []ID, mode RefMode) []int {
	out := make([]int, len(ids))
	g, ok := s.rare().grp.m[group]
	for i, id := range ids {
		out[i] = RefNotFound
		if !ok {
			continue
		}
		n, pending := g.pel.Get(nack{id: id})
		if !pending {
			continue
		}
		g.release(n)
		out[i] = s.deleteRef(id, mode)
		if out[i] == RefNotFound {
			out[i] = RefDeleted // only the PEL held it
		}
	}
	return out
}

// DeleteEx is XDELEX (Redis 8.2): for each of ids, in order, by mode:
// KeepRef deletes it as [Stream.Delete] does; DelRef deletes it and removes
// it from every group's PEL (even when it is no longer in the stream); Acked
// keeps it (RefKept) while a group references it, even if it is no longer
// in the stream, and deletes it otherwise. The result is RefDeleted for a
// deleted entry, RefNotFound for one not in the stream. mode must be valid.
func (s *Stream) DeleteEx(ids []ID, mode RefMode) []int {
	out := make([]int, len(ids))
	for i, id := range ids {
		out[i] = s.deleteRef(id, mode)
	}
	return out
}

// deleteRef deletes id by mode and returns RefDeleted, RefNotFound or
// RefKept.
func (s *Stream) deleteRef(id ID, mode RefMode) int {
	switch mode {
	case DelRef:
		s.unrefAll(id)
	case Acked:
		if s.referenced(id) {
			return RefKept
		}
	}
	if s.Delete(id) == 1 {
		return RefDeleted
	}
	return RefNotFound
}

// trimRef is Trim for t.Ref DelRef or Acked (Redis 8.2): it walks the
// entries oldest first, entry by entry even when t.Approx (which only keeps
// its LIMIT: at most t.Limit entries removed, DefaultTrimLimit when 0, no
// cap when negative), until the stream is down to t.MaxLen entries or the
// next entry is at or above t.MinID. With Acked an entry some group
// references is skipped, so the trim may leave gaps and end above MaxLen;
// with DelRef each removed entry is also removed from every PEL. Like Trim,
// it does not change max-deleted-entry-id.
func (s *Stream) trimRef(t Trim) int64 {
	maxLen := max(t.MaxLen, 0)
	limit := int64(-1)
	if t.Approx {
		switch {
		case t.Limit == 0:
			limit = DefaultTrimLimit
		case t.Limit > 0:
			limit = t.Limit
		}
	}
	var victims []ID
	keep := s.Len()
	s.eachID(func(id ID) bool {
		switch {
		case t.Strategy == TrimMaxLen && keep <= maxLen,
			t.Strategy == TrimMinID && !id.Less(t.MinID),
			limit >= 0 && int64(len(victims)) >= limit:
			return false
		case t.Ref == Acked && s.referenced(id):
			return true
		}
		victims = append(victims, id)
		keep--
		return true
	})
	for _, id := range victims {
		s.deleteOne(id)
		if t.Ref == DelRef {
			s.unrefAll(id)
		}
	}
	return int64(len(victims))
}

// eachID calls f with the ID of every entry, oldest first, until f returns
// false.
func (s *Stream) eachID(f func(ID) bool) {
	s.tree.Ascend(func(sl slot) bool {
		more := true
		sl.b.each(func(e rawEntry) bool {
			if !e.deleted() {
				more = f(e.id)
			}
			return more
		})
		return more
	})
}
