package stream

// Introspection of groups (XINFO GROUPS, XINFO CONSUMERS, the groups part of
// XINFO STREAM FULL) and the entries-read / lag arithmetic of Redis 7.0.

// lagState is the stream metadata the entries-read and lag computations use.
type lagState struct {
	entriesAdded uint64
	length       int64
	first        ID // first live entry; meaningful only when length > 0
	last         ID // last generated ID
	maxDeleted   ID // highest ID removed by XDEL; 0-0 = none
}

func (s *Stream) lagState() lagState {
	first, _ := s.FirstID()
	return lagState{
		entriesAdded: s.entriesAdded(),
		length:       s.Len(),
		first:        first,
		last:         s.LastID(),
		maxDeleted:   s.rare().maxDeletedID,
	}
}

// hasTombstones reports whether an entry deleted by XDEL may lie at or after
// from, among the current entries.
func (ls lagState) hasTombstones(from ID) bool {
	if ls.length == 0 || ls.maxDeleted.IsZero() || ls.maxDeleted.Less(ls.first) {
		return false
	}
	return !ls.maxDeleted.Less(from)
}

// estimate returns the logical read counter of id (how many entries a group
// has read when its last-delivered-id is id) or EntriesReadUnknown when it
// cannot be known: id between the first and last entries, after the last
// one, or tombstones in the way.
func (ls lagState) estimate(id ID) int64 {
	added := int64(ls.entriesAdded)
	switch {
	case ls.entriesAdded == 0:
		return 0
	case ls.length == 0 && !ls.last.Less(id):
		return added
	}
	switch id.Compare(ls.last) {
	case 0:
		return added
	case 1:
		return EntriesReadUnknown
	}
	if ls.maxDeleted.IsZero() || ls.maxDeleted.Less(ls.first) {
		switch id.Compare(ls.first) {
		case -1:
			return added - ls.length
		case 0:
			return added - ls.length + 1
		}
	}
	return EntriesReadUnknown
}

// advance moves g's last-delivered-id to id, a delivered entry, updating
// entries-read: incremented while it is known and no tombstone lies ahead,
// otherwise estimated again.
func (ls lagState) advance(g *consumerGroup, id ID) {
	if !g.lastID.Less(id) {
		return
	}
	switch {
	case g.entriesRead != EntriesReadUnknown && !ls.hasTombstones(id):
		g.entriesRead++
	case ls.entriesAdded != 0:
		g.entriesRead = ls.estimate(id)
	}
	g.lastID = id
}

// lag returns how many entries g has yet to be delivered, and false when
// that is unknown.
func (ls lagState) lag(g *consumerGroup) (int64, bool) {
	if ls.entriesAdded == 0 {
		return 0, true
	}
	if g.entriesRead != EntriesReadUnknown && !ls.hasTombstones(g.lastID) {
		return int64(ls.entriesAdded) - g.entriesRead, true
	}
	if read := ls.estimate(g.lastID); read != EntriesReadUnknown {
		return int64(ls.entriesAdded) - read, true
	}
	return 0, false
}

// Groups is XINFO GROUPS: one row per group, sorted by name. Lag is -1 and
// LagUnknown is set when the lag cannot be known.
func (s *Stream) Groups() []GroupInfo {
	ls := s.lagState()
	out := make([]GroupInfo, 0, len(s.rare().grp.m))
	for _, name := range sortedNames(s.rare().grp.m) {
		g := s.rare().grp.m[name]
		lag, ok := ls.lag(g)
		if !ok {
			lag = -1
		}
		out = append(out, GroupInfo{
			Name:            name,
			Consumers:       int64(len(g.consumers)),
			Pending:         int64(g.pel.Len()),
			LastDeliveredID: g.lastID,
			EntriesRead:     g.entriesRead,
			Lag:             lag,
			LagUnknown:      !ok,
		})
	}
	return out
}

// Consumers is XINFO CONSUMERS: one row per consumer of the group, sorted by
// name, with idle times measured at nowMs.
func (s *Stream) Consumers(group string, nowMs uint64) ([]ConsumerInfo, error) {
	g, err := s.lookupGroup(group)
	if err != nil {
		return nil, err
	}
	out := make([]ConsumerInfo, 0, len(g.consumers))
	for _, name := range sortedNames(g.consumers) {
		c := g.consumers[name]
		idle := int64(nowMs) - int64(c.seenMs)
		if idle < 0 {
			idle = 0
		}
		inactive := int64(-1)
		if c.activeMs != -1 {
			inactive = int64(nowMs) - c.activeMs
		}
		out = append(out, ConsumerInfo{Name: name, Pending: int64(c.pel.Len()), IdleMs: idle, InactiveMs: inactive})
	}
	return out, nil
}

// GroupFull is one group of XINFO STREAM FULL.
type GroupFull struct {
	Name            string
	LastDeliveredID ID
	EntriesRead     int64 // EntriesReadUnknown when unknown
	Lag             int64 // -1 when unknown (nil)
	LagUnknown      bool
	PELCount        int64          // pending entries in the group
	NackedCount     int64          // pending entries without an owner (XNACK, Redis 8.8)
	Pending         []Pending      // the first pending entries, by ID (limited by COUNT)
	Consumers       []ConsumerFull // every consumer, sorted by name
}

// ConsumerFull is one consumer of a group in XINFO STREAM FULL.
type ConsumerFull struct {
	Name     string
	SeenMs   uint64 // last attempted interaction, Unix ms
	ActiveMs int64  // last successful read or claim, Unix ms; -1 = never
	PELCount int64  // pending entries the consumer owns
	Pending  []Pending
}

// GroupsFull is the groups part of XINFO STREAM FULL: every group sorted by
// name, with its first count (<= 0: all) pending entries and every consumer
// with its own first count pending entries.
func (s *Stream) GroupsFull(count int) []GroupFull {
	ls := s.lagState()
	out := make([]GroupFull, 0, len(s.rare().grp.m))
	for _, name := range sortedNames(s.rare().grp.m) {
		g := s.rare().grp.m[name]
		lag, ok := ls.lag(g)
		if !ok {
			lag = -1
		}
		gf := GroupFull{
			Name:            name,
			LastDeliveredID: g.lastID,
			EntriesRead:     g.entriesRead,
			Lag:             lag,
			LagUnknown:      !ok,
			PELCount:        int64(g.pel.Len()),
			NackedCount:     int64(g.nacked.len()),
			Pending:         []Pending{},
			Consumers:       make([]ConsumerFull, 0, len(g.consumers)),
		}
		g.pel.Ascend(func(n nack) bool {
			gf.Pending = append(gf.Pending, g.pending(n))
			return count <= 0 || len(gf.Pending) < count
		})
		for _, cname := range sortedNames(g.consumers) {
			gf.Consumers = append(gf.Consumers, g.consumerFull(cname, count))
		}
		out = append(out, gf)
	}
	return out
}

func (g *consumerGroup) consumerFull(name string, count int) ConsumerFull {
	c := g.consumers[name]
	cf := ConsumerFull{Name: name, SeenMs: c.seenMs, ActiveMs: c.activeMs, PELCount: int64(c.pel.Len()), Pending: []Pending{}}
	c.pel.Ascend(func(id ID) bool {
		n, _ := g.pel.Get(nack{id: id})
		cf.Pending = append(cf.Pending, g.pending(n))
		return count <= 0 || len(cf.Pending) < count
	})
	return cf
}

// HasGroup reports whether the stream has a consumer group named group.
func (s *Stream) HasGroup(group string) bool {
	_, err := s.lookupGroup(group)
	return err == nil
}
