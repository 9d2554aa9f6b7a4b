package stream

import "strconv"

// Retention is a stream's standing retention policy (brook's, not Redis's):
// bounds that [Stream.Retain] enforces by removing the oldest entries. A
// zero field is no bound; the zero Retention retains everything.
type Retention struct {
	MaxLen   int64  // keep at most MaxLen entries
	MaxAgeMs uint64 // remove entries whose ID's ms is older than now - MaxAgeMs
	MaxBytes int64  // keep the entries' data bytes (see DataBytes) at most MaxBytes
	// Acked removes the entries that no consumer group references any more
	// (acknowledged by every group: Redis 8.2's ACKED test, see
	// [Stream.RetainAcked]) from the front of the stream, oldest first,
	// stopping at the first entry some group still references. It reads no
	// clock; a stream without groups keeps everything.
	Acked bool
}

// SetRetention sets the retention policy and reports whether it changed. It
// removes nothing: [Stream.Retain] does.
func (s *Stream) SetRetention(r Retention) bool {
	if s.rare().ret == r {
		return false
	}
	s.rareForWrite().ret = r
	return true
}

// Retention returns the retention policy.
func (s *Stream) Retention() Retention { return s.rare().ret }

// DataBytes is what the live entries hold: the sum of the lengths of their
// field names and values (an integer value counts its decimal digits). It
// is the figure [Retention].MaxBytes bounds, kept up to date by every
// append, deletion and trim.
func (s *Stream) DataBytes() int64 { return s.counts().bytes }

// Retain removes the oldest entries until the stream is within its policy
// at nowMs, and returns how many it removed: MaxAgeMs, MaxLen and MaxBytes,
// then Acked ([Stream.RetainAcked]). Every bound removes a prefix of the
// entries, so together they do too. Like trimming it leaves the
// max-deleted-entry-id and the consumer groups alone, and it is exact: the
// same state and nowMs remove the same entries on any block layout.
func (s *Stream) Retain(nowMs uint64) int64 {
	r := s.rare().ret
	var n int64
	if r.MaxAgeMs > 0 && nowMs > r.MaxAgeMs {
		n += s.Trim(Trim{Strategy: TrimMinID, MinID: ID{Ms: nowMs - r.MaxAgeMs}})
	}
	if r.MaxLen > 0 {
		n += s.Trim(Trim{Strategy: TrimMaxLen, MaxLen: r.MaxLen})
	}
	if r.MaxBytes > 0 {
		n += s.trimBytes(r.MaxBytes)
	}
	return n + s.RetainAcked()
}

// RetainAcked enforces the Acked bound of the policy alone, and returns how
// many entries it removed: nothing without that bound or without consumer
// groups; otherwise every entry before the first one some group still
// references (its last-delivered-id is below the entry's ID, or its PEL
// holds the ID, NACKed entries included), oldest first. Unlike an ACKED
// trim (Redis 8.2) it leaves no gap: an unreferenced entry after a
// referenced one stays until everything before it goes. It is what a caller
// runs after a change that can stop a group referencing entries (an
// acknowledgement, a consumer or group removed, a group's ID moved, a NOACK
// read), and deterministic: the same state removes the same entries.
func (s *Stream) RetainAcked() int64 {
	if !s.rare().ret.Acked || len(s.rare().grp.m) == 0 {
		return 0
	}
	var n int64
	for s.Len() > 0 {
		bound, all := s.ackedBound()
		if all {
			return n + s.Trim(Trim{Strategy: TrimMaxLen})
		}
		removed := s.Trim(Trim{Strategy: TrimMinID, MinID: bound})
		n += removed
		// A bound that is a pending ID no longer in the stream (deleted by
		// XDEL or a KEEPREF trim) references nothing: go on after it.
		if first, ok := s.FirstID(); removed == 0 || !ok || !bound.Less(first) {
			break
		}
	}
	return n
}

// ackedBound returns the smallest ID, not below the first entry's, that
// some group references: the one after a group's last-delivered-id or a
// pending ID. all is true when no group references any ID from the first
// entry on. s has groups and entries.
func (s *Stream) ackedBound() (bound ID, all bool) {
	first, _ := s.FirstID()
	all = true
	lower := func(id ID) {
		if all || id.Less(bound) {
			bound, all = id, false
		}
	}
	for _, g := range s.rare().grp.m {
		if next, ok := g.lastID.Next(); ok {
			lower(next) // the entries after last-delivered-id are still to be read
		}
		if p, ok := g.firstPendingFrom(first); ok {
			lower(p.id) // pending (NACKed included), maybe deleted from the stream
		}
	}
	return bound, all
}

// trimBytes removes the oldest entries until the data bytes are at most
// maxBytes: whole blocks while that is not enough, then entries one by one.
func (s *Stream) trimBytes(maxBytes int64) int64 {
	var removed int64
	for s.DataBytes() > maxBytes {
		sl, ok := s.tree.Min()
		if !ok {
			break
		}
		b := sl.b
		if s.DataBytes()-b.bytes >= maxBytes {
			removed += int64(b.live())
			s.removeBlock(b)
			continue
		}
		var scratch [blockMaxEntries]rawEntry
		for _, e := range b.entries(scratch[:0]) {
			if s.DataBytes() <= maxBytes {
				break
			}
			if e.deleted() {
				continue
			}
			b = s.mutable(b)
			s.tombstone(b, e)
			removed++
		}
		if b.live() == 0 {
			s.removeBlock(b)
		}
	}
	return removed
}

// HasDeadline reports, cheaply, whether anything of s can fall due with
// time: a MaxAge policy or a tracked IDMP producer (see [Stream.AgeDeadline]
// and [Stream.IdmpDeadline]).
func (s *Stream) HasDeadline() bool {
	return s.rare().ret.MaxAgeMs > 0 || len(s.rare().idmp.pids) > 0
}

// AgeDeadline is the instant (Unix ms) at which the oldest entry becomes
// older than the policy's MaxAgeMs; false if there is no age bound or no
// entry.
func (s *Stream) AgeDeadline() (uint64, bool) {
	if s.rare().ret.MaxAgeMs == 0 {
		return 0, false
	}
	first, ok := s.FirstID()
	if !ok {
		return 0, false
	}
	return satAdd(first.Ms, s.rare().ret.MaxAgeMs+1), true
}

// satAdd is a+b, saturating at the largest uint64.
func satAdd(a, b uint64) uint64 {
	if a+b < a {
		return ^uint64(0)
	}
	return a + b
}

// fieldsBytes is the sum of the lengths of the names and values of fields.
func fieldsBytes(fields []Field) int64 {
	var n int64
	for _, f := range fields {
		n += int64(len(f.Name) + len(f.Value))
	}
	return n
}

// entryBytes is the data bytes of the well-formed entry e of b: its names'
// and values' lengths, an integer value counting its decimal digits.
func (b *block) entryBytes(e rawEntry) int64 {
	buf, p := b.buf, e.body
	same := e.flags&flagSameFields != 0
	count := uint64(len(b.names()))
	if !same {
		count, p = readUvarint(buf, p)
	}
	var sum int64
	for i := uint64(0); i < count; i++ {
		if same {
			sum += int64(len(b.names()[i]))
		} else {
			var n uint64
			n, p = readUvarint(buf, p)
			sum += int64(n)
			p += int(n)
		}
		var tag uint64
		tag, p = readUvarint(buf, p)
		if tag&1 == 1 {
			var digits [24]byte
			sum += int64(len(strconv.AppendInt(digits[:0], unzigzag(tag>>1), 10)))
			continue
		}
		sum += int64(tag >> 1)
		p += int(tag >> 1)
	}
	return sum
}
