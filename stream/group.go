package stream

// Consumer groups: the group table of a stream, group and consumer lifecycle
// (XGROUP), and the hooks the entry store calls (groupCount, cloneGroups).
// Delivery and the PEL are in pel.go, XCLAIM/XAUTOCLAIM in claim.go, XINFO
// and lag in groupinfo.go; the snapshot codec is at the end of this file.
//
// Accessors of the entry store used here (stream.go): s.rangeAfter, s.Get,
// s.FirstID, s.LastID, s.Len, and the metadata s.entriesAdded() and
// s.rare().maxDeletedID (see lagState in groupinfo.go).

import (
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/brookmq/brook/internal/wire"
	"github.com/google/btree"
)

// Errors returned by consumer-group operations.
var (
	// ErrGroupExists is returned by [Stream.CreateGroup] when the name is
	// already in use (Redis: BUSYGROUP).
	ErrGroupExists = errors.New("stream: consumer group name already exists")
	// ErrNoGroup is returned when the named group does not exist (Redis:
	// NOGROUP).
	ErrNoGroup = errors.New("stream: no such consumer group")
	// ErrEntriesRead is returned by [Stream.CreateGroup] and
	// [Stream.SetGroupID] for an entries-read value below -1.
	ErrEntriesRead = errors.New("stream: entries-read must be positive or -1")
)

// EntriesReadUnknown is the entries-read value of a group that does not know
// how many entries it has read (printed as nil by XINFO GROUPS).
const EntriesReadUnknown int64 = -1

// btreeDegree is the degree of the PEL trees.
const btreeDegree = 32

// Pending is one pending entry of a group: delivered, not yet acknowledged.
type Pending struct {
	ID            ID
	Consumer      string // "" when Nacked
	DeliveryMs    uint64 // time of the last delivery, Unix ms; 0 when Nacked
	DeliveryCount uint64
	Nacked        bool // given back by XNACK (Redis 8.8): no owner until claimed
}

// PendingSummary is XPENDING's summary form.
type PendingSummary struct {
	Count     int64
	Min, Max  ID
	Consumers []ConsumerCount // sorted by name; consumers with nothing pending are left out
}

// ConsumerCount is one consumer's number of pending entries.
type ConsumerCount struct {
	Consumer string
	Count    int64
}

// PendingQuery selects pending entries for XPENDING's extended form.
type PendingQuery struct {
	Start, End ID     // inclusive bounds
	Count      int    // at most this many; <= 0 gives none (Redis: negative COUNT is 0)
	Consumer   string // only this consumer's entries, if not "" or ByConsumer
	ByConsumer bool   // filter by Consumer even when it is "" (a valid consumer name)
	MinIdleMs  uint64 // IDLE: only entries idle for at least this long; 0 = no filter
}

// ClaimOptions are XCLAIM's options.
type ClaimOptions struct {
	IdleMs     *uint64 // IDLE: set delivery time to now-IdleMs (now when IdleMs > now)
	TimeMs     *uint64 // TIME: set delivery time to this Unix ms (clamped to now); wins over IdleMs
	RetryCount *uint64 // RETRYCOUNT: set the delivery count
	Force      bool    // FORCE: create the PEL entry if the ID exists in the stream
	JustID     bool    // JUSTID: do not increment the count, return IDs only
	LastID     *ID     // LASTID: raise the group's last-delivered-id to this
}

// GroupInfo is one row of XINFO GROUPS.
type GroupInfo struct {
	Name            string
	Consumers       int64
	Pending         int64
	LastDeliveredID ID
	EntriesRead     int64 // EntriesReadUnknown when unknown
	Lag             int64 // -1 when unknown (nil); see LagUnknown
	// LagUnknown is set when the lag cannot be known (Redis prints nil). It
	// tells that case apart from a real lag of -1, which a group whose
	// ENTRIESREAD was set past the stream's entries-added can have.
	LagUnknown bool
}

// ConsumerInfo is one row of XINFO CONSUMERS.
type ConsumerInfo struct {
	Name       string
	Pending    int64
	IdleMs     int64 // since the last attempted interaction (seen-time), >= 0
	InactiveMs int64 // since the last successful interaction (active-time); -1 = never
}

// groups is the consumer-group state of one stream (the field Stream.grp).
// The zero value has no groups.
type groups struct {
	m map[string]*consumerGroup
}

// consumerGroup is one consumer group.
type consumerGroup struct {
	lastID      ID
	entriesRead int64
	pel         *btree.BTreeG[nack] // every pending entry, by ID
	consumers   map[string]*groupConsumer
	owners      []*groupConsumer // by groupConsumer.slot; nil: a free slot
	free        []uint32         // free slots of owners
	nacked      nackZone         // the unowned (NACKed) pending entries, FIFO (nack.go)
}

// groupConsumer is one consumer of a group. Its pel holds the IDs of the group's
// pending entries it owns.
type groupConsumer struct {
	name     string
	slot     uint32 // index in the group's owners: the owner of its nacks
	seenMs   uint64 // last attempted interaction
	activeMs int64  // last successful read or claim; -1 = never
	pel      *btree.BTreeG[ID]
}

// nack is a pending entry (Redis's streamNACK). It is a value in the PEL tree,
// so a cloned tree never sees later changes (they go through
// ReplaceOrInsert, which copies shared nodes first). It holds no pointer (the
// owner is a slot of consumerGroup.owners), so PEL nodes are moved without
// write barriers and never scanned by the garbage collector.
//
// An entry given back with XNACK (Redis 8.8) has no owner: owner is noOwner,
// deliveryMs is 0 and zseq is its place in the group's NACK zone (nack.go).
// zseq fits in the struct's padding, so a nack stays 40 bytes.
type nack struct {
	id         ID
	deliveryMs uint64
	count      uint64
	owner      uint32
	zseq       uint32 // owner == noOwner: position in the NACK zone
}

func nackLess(a, b nack) bool { return a.id.Less(b.id) }

func idLess(a, b ID) bool { return a.Less(b) }

func newGroup(last ID, entriesRead int64) *consumerGroup {
	return &consumerGroup{
		lastID:      last,
		entriesRead: entriesRead,
		pel:         btree.NewG(btreeDegree, nackLess),
		consumers:   make(map[string]*groupConsumer),
	}
}

// addConsumer creates consumer name, seen at nowMs, in a free slot.
func (g *consumerGroup) addConsumer(name string, nowMs uint64) *groupConsumer {
	c := &groupConsumer{name: name, seenMs: nowMs, activeMs: -1, pel: btree.NewG(btreeDegree, idLess)}
	if k := len(g.free) - 1; k >= 0 {
		c.slot, g.free = g.free[k], g.free[:k]
		g.owners[c.slot] = c
	} else {
		c.slot = uint32(len(g.owners))
		g.owners = append(g.owners, c)
	}
	g.consumers[name] = c
	return c
}

// removeConsumer drops c (whose pending entries are gone) and frees its slot.
func (g *consumerGroup) removeConsumer(c *groupConsumer) {
	delete(g.consumers, c.name)
	g.owners[c.slot] = nil
	g.free = append(g.free, c.slot)
}

// owner returns the consumer that owns n; nil for a NACKed entry.
func (g *consumerGroup) owner(n nack) *groupConsumer {
	if n.owner == noOwner {
		return nil
	}
	return g.owners[n.owner]
}

// lookupGroup returns the named group or an error wrapping ErrNoGroup.
func (s *Stream) lookupGroup(name string) (*consumerGroup, error) {
	if g, ok := s.rare().grp.m[name]; ok {
		return g, nil
	}
	return nil, fmt.Errorf("%w: %q", ErrNoGroup, name)
}

// consumer returns the named consumer of g, creating it when missing, and
// records the attempted interaction at nowMs (seen-time).
func (g *consumerGroup) consumer(name string, nowMs uint64) *groupConsumer {
	c, ok := g.consumers[name]
	if !ok {
		c = g.addConsumer(name, nowMs)
	}
	c.seenMs = nowMs
	return c
}

// sortedNames returns the keys of m in byte order (Redis keeps groups and
// consumers in radix trees, so it lists them that way).
func sortedNames[V any](m map[string]V) []string {
	names := make([]string, 0, len(m))
	for name := range m {
		names = append(names, name)
	}
	slices.SortFunc(names, strings.Compare)
	return names
}

func checkEntriesRead(n int64) error {
	if n < EntriesReadUnknown {
		return fmt.Errorf("%w: %d", ErrEntriesRead, n)
	}
	return nil
}

// CreateGroup creates group with last-delivered-id last (XGROUP CREATE).
// entriesRead is [EntriesReadUnknown] or the number of entries the group is
// taken to have read (ENTRIESREAD). It returns an error wrapping
// [ErrGroupExists] if the name is taken, [ErrEntriesRead] if entriesRead < -1.
func (s *Stream) CreateGroup(group string, last ID, entriesRead int64) error {
	if err := checkEntriesRead(entriesRead); err != nil {
		return err
	}
	if _, ok := s.rare().grp.m[group]; ok {
		return fmt.Errorf("%w: %q", ErrGroupExists, group)
	}
	gs := &s.rareForWrite().grp
	if gs.m == nil {
		gs.m = make(map[string]*consumerGroup)
	}
	gs.m[group] = newGroup(last, entriesRead)
	return nil
}

// SetGroupID moves a group's last-delivered-id, forwards or backwards, and
// sets its entries-read (XGROUP SETID). The PEL is untouched.
func (s *Stream) SetGroupID(group string, last ID, entriesRead int64) error {
	if err := checkEntriesRead(entriesRead); err != nil {
		return err
	}
	g, err := s.lookupGroup(group)
	if err != nil {
		return err
	}
	g.lastID, g.entriesRead = last, entriesRead
	return nil
}

// DestroyGroup removes a group and its PEL; false if it did not exist.
func (s *Stream) DestroyGroup(group string) bool {
	if _, ok := s.rare().grp.m[group]; !ok {
		return false
	}
	delete(s.rareForWrite().grp.m, group)
	return true
}

// CreateConsumer creates a consumer seen at nowMs; false if it existed (its
// times are then left alone, as XGROUP CREATECONSUMER does).
func (s *Stream) CreateConsumer(group, consumer string, nowMs uint64) (bool, error) {
	g, err := s.lookupGroup(group)
	if err != nil {
		return false, err
	}
	if _, ok := g.consumers[consumer]; ok {
		return false, nil
	}
	g.addConsumer(consumer, nowMs)
	return true, nil
}

// DeleteConsumer removes a consumer and its pending entries (they are
// dropped from the group's PEL, not reassigned), returning how many it had.
// A missing consumer gives 0.
func (s *Stream) DeleteConsumer(group, consumer string) (int64, error) {
	g, err := s.lookupGroup(group)
	if err != nil {
		return 0, err
	}
	c, ok := g.consumers[consumer]
	if !ok {
		return 0, nil
	}
	n := int64(c.pel.Len())
	c.pel.Ascend(func(id ID) bool {
		g.pel.Delete(nack{id: id})
		return true
	})
	g.removeConsumer(c)
	return n, nil
}

// groupCount is the number of groups (XINFO STREAM "groups").
func (s *Stream) groupCount() int { return len(s.rare().grp.m) }

// clone copies the group state for a Clone of its stream, so that later
// changes to either are invisible to the other. The PEL trees are cloned
// copy-on-write, so the cost is O(groups + consumers) now and a node copy on
// each first write after it.
func (gs groups) clone() groups {
	if len(gs.m) == 0 {
		return groups{}
	}
	m := make(map[string]*consumerGroup, len(gs.m))
	for name, g := range gs.m {
		cg := &consumerGroup{
			lastID:      g.lastID,
			entriesRead: g.entriesRead,
			pel:         g.pel.Clone(),
			consumers:   make(map[string]*groupConsumer, len(g.consumers)),
			owners:      make([]*groupConsumer, len(g.owners)),
			free:        slices.Clone(g.free),
			nacked:      g.nacked.clone(),
		}
		for cname, c := range g.consumers {
			cc := *c
			cc.pel = c.pel.Clone()
			cg.consumers[cname] = &cc
			cg.owners[c.slot] = &cc
		}
		m[name] = cg
	}
	return groups{m: m}
}

// Snapshot encoding of the group state, written by appendGroups and read by
// decodeGroups (all integers are uvarints unless said otherwise):
//
//	groups      count, then per group in name order:
//	  name        length, bytes
//	  last-id     ms, seq
//	  entries-read  zig-zag varint (-1 = unknown)
//	  consumers   count, then per consumer in name order:
//	    name        length, bytes
//	    seen-time   ms
//	    active-time zig-zag varint (-1 = never)
//	  pending     count, then per entry in ID order:
//	    id          ms minus the previous entry's ms (the first: minus 0), seq
//	    owner       index into the group's consumers; the number of
//	                consumers for a NACKed entry (version 2)
//	    delivery    time in ms (0 when NACKed), count
//	  nacked      (version 2) count, then the NACKed entries' IDs (ms, seq)
//	              in NACK order, oldest first: each exactly once
//
// Version 1 (snapshots written before XNACK) has no NACKed entries and no
// nacked section; both versions are read.
// Consumers with nothing pending and pending entries whose stream entry is
// gone are kept: the state after decoding is exactly the state encoded.

// appendGroups appends the snapshot encoding of the groups to b.
func (s *Stream) appendGroups(b []byte) []byte {
	names := sortedNames(s.rare().grp.m)
	b = binary.AppendUvarint(b, uint64(len(names)))
	for _, name := range names {
		b = s.rare().grp.m[name].appendTo(b, name)
	}
	return b
}

func (g *consumerGroup) appendTo(b []byte, name string) []byte {
	b = appendString(b, name)
	b = binary.AppendUvarint(b, g.lastID.Ms)
	b = binary.AppendUvarint(b, g.lastID.Seq)
	b = binary.AppendVarint(b, g.entriesRead)
	cnames := sortedNames(g.consumers)
	index := make([]uint64, len(g.owners)) // slot -> position in cnames
	b = binary.AppendUvarint(b, uint64(len(cnames)))
	for i, cname := range cnames {
		c := g.consumers[cname]
		index[c.slot] = uint64(i)
		b = appendString(b, cname)
		b = binary.AppendUvarint(b, c.seenMs)
		b = binary.AppendVarint(b, c.activeMs)
	}
	b = binary.AppendUvarint(b, uint64(g.pel.Len()))
	var prevMs uint64
	g.pel.Ascend(func(n nack) bool {
		b = binary.AppendUvarint(b, n.id.Ms-prevMs)
		b = binary.AppendUvarint(b, n.id.Seq)
		if n.owner == noOwner {
			b = binary.AppendUvarint(b, uint64(len(cnames)))
		} else {
			b = binary.AppendUvarint(b, index[n.owner])
		}
		b = binary.AppendUvarint(b, n.deliveryMs)
		b = binary.AppendUvarint(b, n.count)
		prevMs = n.id.Ms
		return true
	})
	b = binary.AppendUvarint(b, uint64(g.nacked.len()))
	g.nacked.ascend(func(id ID) bool {
		b = appendID(b, id)
		return true
	})
	return b
}

func appendString(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

// errGroupsCorrupt is wrapped by every decodeGroups error.
var errGroupsCorrupt = errors.New("stream: corrupt consumer-group state")

// Minimum encoded sizes, used to bound counts by the bytes left before
// anything is allocated.
const (
	minGroupBytes    = 6 // name length, ms, seq, entries-read, consumers, pending
	minConsumerBytes = 3 // name length, seen, active
	minNackBytes     = 5 // ms delta, seq, owner, time, count
)

// decodeGroups decodes what appendGroups wrote into s and returns the rest.
// It validates everything (no duplicate names, IDs strictly increasing,
// owners in range, counts bounded by the input) and leaves s unchanged on
// error.
func (s *Stream) decodeGroups(data []byte, version byte) (rest []byte, err error) {
	d := decoder{Reader: wire.NewReader(data, errGroupsCorrupt), version: version}
	n := d.Count(minGroupBytes)
	m := make(map[string]*consumerGroup, n)
	for i := 0; i < n && d.Err() == nil; i++ {
		name := d.Str()
		g := d.group()
		if _, dup := m[name]; dup && d.Err() == nil {
			d.Fail("duplicate group %q", name)
		}
		m[name] = g
	}
	if err := d.Err(); err != nil {
		return data, err
	}
	if len(m) > 0 {
		s.rareForWrite().grp = groups{m: m}
	} else if s.more != nil {
		s.more.grp = groups{}
	}
	return d.Rest(), nil
}

// decoder reads the group encoding: a [wire.Reader] whose failures wrap
// errGroupsCorrupt, and the groups it holds.
type decoder struct {
	wire.Reader
	version byte // of the snapshot encoding
}

func (d *decoder) group() *consumerGroup {
	g := newGroup(ID{Ms: d.Uvarint(), Seq: d.Uvarint()}, d.Varint())
	if g.entriesRead < EntriesReadUnknown {
		d.Fail("entries-read %d", g.entriesRead)
	}
	nc := d.Count(minConsumerBytes)
	owners := make([]*groupConsumer, 0, nc)
	for i := 0; i < nc && d.Err() == nil; i++ {
		name := d.Str()
		seen := d.Uvarint()
		if _, dup := g.consumers[name]; dup {
			d.Fail("duplicate consumer %q", name)
			break
		}
		c := g.addConsumer(name, seen)
		if c.activeMs = d.Varint(); c.activeMs < -1 {
			d.Fail("active-time %d", c.activeMs)
		}
		owners = append(owners, c)
	}
	d.pel(g, owners)
	if d.version >= 2 {
		d.nackZone(g)
	}
	return g
}

func (d *decoder) pel(g *consumerGroup, owners []*groupConsumer) {
	np := d.Count(minNackBytes)
	var prev ID
	for i := 0; i < np && d.Err() == nil; i++ {
		delta, seq := d.Uvarint(), d.Uvarint()
		id := ID{Ms: prev.Ms + delta, Seq: seq}
		if id.Ms < prev.Ms || (i > 0 && !prev.Less(id)) {
			d.Fail("pending IDs out of order at %s", id)
		}
		owner := d.Uvarint()
		n := nack{id: id, deliveryMs: d.Uvarint(), count: d.Uvarint()}
		switch {
		case d.version >= 2 && owner == uint64(len(owners)):
			if n.deliveryMs != 0 {
				d.Fail("NACKed entry %s delivered at %d", id, n.deliveryMs)
				return
			}
			n.owner = noOwner // placed in the zone by nackZone
			g.pel.ReplaceOrInsert(n)
		case owner >= uint64(len(owners)):
			d.Fail("owner %d of %s out of range", owner, id)
			return
		default:
			c := owners[owner]
			n.owner = c.slot
			g.pel.ReplaceOrInsert(n)
			c.pel.ReplaceOrInsert(id)
		}
		prev = id
	}
}

// nackZone reads the NACK order of g's unowned pending entries, which must
// list each of them exactly once.
func (d *decoder) nackZone(g *consumerGroup) {
	unowned := 0
	g.pel.Ascend(func(n nack) bool {
		if n.owner == noOwner {
			unowned++
		}
		return true
	})
	nz := d.Count(2)
	if d.Err() == nil && nz != unowned {
		d.Fail("%d NACKed entries listed, %d pending without owner", nz, unowned)
	}
	for i := 0; i < nz && d.Err() == nil; i++ {
		id := ID{Ms: d.Uvarint(), Seq: d.Uvarint()}
		n, ok := g.pel.Get(nack{id: id})
		if !ok || n.owner != noOwner || n.zseq != 0 {
			d.Fail("NACKed entry %s is not an unlisted pending entry without owner", id)
			return
		}
		g.enqueueNacked(n)
	}
}
