package stream

// XNACK (Redis 8.8): pending entries given back by their consumer. A NACKed
// entry stays in the group's PEL without an owner, with delivery time 0, and
// waits in the group's NACK zone, oldest NACK first, until XREADGROUP CLAIM,
// XCLAIM or XAUTOCLAIM delivers it again, or XACK removes it.

import (
	"fmt"
	"math"

	"github.com/google/btree"
)

// noOwner is the owner slot of a NACKed pending entry.
const noOwner = math.MaxUint32

// maxDeliveryCount is the highest delivery count Redis keeps (LLONG_MAX):
// FATAL sets it, and XREADGROUP CLAIM never counts past it.
const maxDeliveryCount = math.MaxInt64

// NackMode is XNACK's mode: what happens to the delivery count of the
// entries given back. The zero value is NackSilent.
type NackMode uint8

// NACK modes (Redis 8.8).
const (
	NackSilent NackMode = iota // SILENT: the delivery does not count: the count drops by one (not below 0)
	NackFail                   // FAIL: the delivery failed: the count stays
	NackFatal                  // FATAL: never to be retried: the count becomes 9223372036854775807
)

// Valid reports whether m is one of the NACK modes.
func (m NackMode) Valid() bool { return m <= NackFatal }

// String returns the mode as XNACK spells it.
func (m NackMode) String() string {
	switch m {
	case NackSilent:
		return "SILENT"
	case NackFail:
		return "FAIL"
	case NackFatal:
		return "FATAL"
	}
	return fmt.Sprintf("NackMode(%d)", uint8(m))
}

// NackOptions are XNACK's options.
type NackOptions struct {
	Mode       NackMode
	RetryCount *uint64 // RETRYCOUNT: the new delivery count, overriding Mode's rule; nil: not given
	Force      bool    // FORCE: an ID not pending but in the stream becomes a NACKed entry
}

// nackZone is the FIFO of a group's NACKed entries: a B-tree by NACK order
// (nack.zseq). The zero value is empty.
type nackZone struct {
	t    *btree.BTreeG[zoneItem] // nil until the first NACK
	last uint32                  // the last zseq given
}

// zoneItem is one NACKed entry in the zone.
type zoneItem struct {
	seq uint32
	id  ID
}

func zoneLess(a, b zoneItem) bool { return a.seq < b.seq }

// len is the number of NACKed entries.
func (z *nackZone) len() int {
	if z.t == nil {
		return 0
	}
	return z.t.Len()
}

// clone returns a copy-on-write copy of z.
func (z *nackZone) clone() nackZone {
	if z.t == nil {
		return nackZone{}
	}
	return nackZone{t: z.t.Clone(), last: z.last}
}

// ascend calls f with the NACKed IDs in NACK order until f returns false.
func (z *nackZone) ascend(f func(ID) bool) {
	if z.t != nil {
		z.t.Ascend(func(it zoneItem) bool { return f(it.id) })
	}
}

// ids lists the NACKed IDs in NACK order.
func (z *nackZone) ids() []ID {
	out := make([]ID, 0, z.len())
	z.ascend(func(id ID) bool {
		out = append(out, id)
		return true
	})
	return out
}

// unlink takes the pending entry n away from its owner's PEL, or out of the
// NACK zone if it has no owner. n stays in the group's PEL.
func (g *consumerGroup) unlink(n nack) {
	if n.owner == noOwner {
		g.nacked.t.Delete(zoneItem{seq: n.zseq})
		return
	}
	g.owners[n.owner].pel.Delete(n.id)
}

// enqueueNacked stores n, already unlinked, as a NACKed entry at the tail of
// the NACK zone.
func (g *consumerGroup) enqueueNacked(n nack) {
	z := &g.nacked
	if z.t == nil {
		z.t = btree.NewG(btreeDegree, zoneLess)
	}
	if z.last == math.MaxUint32 {
		g.renumberZone()
	}
	z.last++
	n.owner, n.deliveryMs, n.zseq = noOwner, 0, z.last
	g.pel.ReplaceOrInsert(n)
	z.t.ReplaceOrInsert(zoneItem{seq: n.zseq, id: n.id})
}

// renumberZone gives the NACKed entries the positions 1..n, in order, once
// the counter has run out (after four billion NACKs in one group).
func (g *consumerGroup) renumberZone() {
	ids := g.nacked.ids()
	g.nacked = nackZone{t: btree.NewG(btreeDegree, zoneLess)}
	for _, id := range ids {
		n, _ := g.pel.Get(nack{id: id})
		g.nacked.last++
		n.zseq = g.nacked.last
		g.pel.ReplaceOrInsert(n)
		g.nacked.t.ReplaceOrInsert(zoneItem{seq: n.zseq, id: id})
	}
}

// Nack is XNACK (Redis 8.8): each of ids pending in the group leaves its
// consumer and goes to the tail of the group's NACK zone (again, if it was
// there) with delivery time 0; its delivery count drops by one (floor 0) for
// NackSilent, stays for NackFail and becomes 9223372036854775807 for
// NackFatal, or is set to o.RetryCount. An ID that is not pending is skipped, unless
// o.Force and the entry exists in the stream: it then becomes a NACKed entry
// with count 0 (9223372036854775807 for NackFatal, or o.RetryCount).
// Consumers are neither created nor touched. It returns how many IDs it
// processed, an ID listed twice counting twice, or an error wrapping
// [ErrNoGroup]. o.Mode must be valid.
func (s *Stream) Nack(group string, ids []ID, o NackOptions) (int64, error) {
	g, err := s.lookupGroup(group)
	if err != nil {
		return 0, err
	}
	var done int64
	for _, id := range ids {
		n, pending := g.pel.Get(nack{id: id})
		switch {
		case pending:
			g.unlink(n)
			switch {
			case o.Mode == NackFatal:
				n.count = maxDeliveryCount
			case o.Mode == NackSilent && n.count > 0:
				n.count--
			}
		case o.Force && s.has(id):
			n = nack{id: id}
			if o.Mode == NackFatal {
				n.count = maxDeliveryCount
			}
		default:
			continue
		}
		if o.RetryCount != nil {
			n.count = *o.RetryCount
		}
		g.enqueueNacked(n)
		done++
	}
	return done, nil
}

// has reports whether the entry id exists in the stream.
func (s *Stream) has(id ID) bool {
	b := s.blockFor(id)
	if b == nil {
		return false
	}
	e, ok := b.find(id)
	return ok && !e.deleted()
}
