package broker

import (
	"encoding/binary"

	"github.com/brookmq/brook/stream"
)

// Record fields of the Redis 8 stream commands (format in record.go; these
// follow recBatch, in bit order):
//
//	recNack      nack options          mode byte, flags byte (1: RETRYCOUNT,
//	                                   2: FORCE), then retry count uvarint
//	                                   if flagged
//	recRef       ref                   mode byte (opAckDel, opDeleteEx)
//	recTrimRef   trim.Ref              mode byte (opAdd, opAddBatch, opTrim)
//
// opReadClaim uses the fields of opReadNew: nowMs, group, consumer, count,
// noAck, and minIdleMs for the CLAIM threshold.
const (
	recNack    = 1 << 14
	recRef     = 1 << 15
	recTrimRef = 1 << 16
	recR8All   = recNack | recRef | recTrimRef
)

// Flags of the nack options byte.
const (
	nackRetry = 1 << iota
	nackForce
	nackAll = nackForce<<1 - 1
)

// presentR8 is the set of m's non-zero Redis 8 fields.
func presentR8(m *mutation) uint64 {
	var p uint64
	if a := m.opArgs; a != nil {
		if n := a.nack; m.kind == opNack || n.Mode != stream.NackSilent || n.RetryCount != nil || n.Force {
			p |= recNack
		}
		if a.ref != stream.KeepRef {
			p |= recRef
		}
	}
	if m.trim.Ref != stream.KeepRef {
		p |= recTrimRef
	}
	return p
}

// appendR8 appends the Redis 8 fields named by present.
func appendR8(b []byte, m *mutation, present uint64) []byte {
	if present&recNack != 0 {
		var flags byte
		if m.nack.RetryCount != nil {
			flags |= nackRetry
		}
		if m.nack.Force {
			flags |= nackForce
		}
		b = append(b, byte(m.nack.Mode), flags)
		if m.nack.RetryCount != nil {
			b = binary.AppendUvarint(b, *m.nack.RetryCount)
		}
	}
	if present&recRef != 0 {
		b = append(b, byte(m.ref))
	}
	if present&recTrimRef != 0 {
		b = append(b, byte(m.trim.Ref))
	}
	return b
}

// decodeR8 decodes the Redis 8 fields named by present into m.
func decodeR8(d *decoder, m *mutation, present uint64) {
	if present&(recNack|recRef) != 0 {
		m.args()
	}
	if present&recNack != 0 {
		m.nack.Mode = stream.NackMode(d.Byte())
		flags := d.Byte()
		if !m.nack.Mode.Valid() || flags&^nackAll != 0 {
			d.Fail("nack mode %d, flags %#x", m.nack.Mode, flags)
			return
		}
		if flags&nackRetry != 0 {
			v := d.Uvarint()
			m.nack.RetryCount = &v
		}
		m.nack.Force = flags&nackForce != 0
	}
	if present&recRef != 0 {
		m.ref = refMode(d)
	}
	if present&recTrimRef != 0 {
		m.trim.Ref = refMode(d)
	}
}

func refMode(d *decoder) stream.RefMode {
	r := stream.RefMode(d.Byte())
	if !r.Valid() {
		d.Fail("reference mode %d", r)
	}
	return r
}

// applyR8 is apply for the mutations of the Redis 8 stream commands.
func applyR8(s *stream.Stream, m *mutation, e *effect) error {
	var err error
	switch m.kind {
	case opNack:
		e.n, err = s.Nack(m.group, m.ids, m.nack)
		e.changed = e.n > 0
	case opReadClaim:
		e.claimed, err = s.ReadGroupClaim(m.group, m.consumer, m.nowMs, m.minIdleMs, m.count, m.noAck)
		e.changed = len(e.claimed) > 0
	case opAckDel:
		e.codes = s.AckDel(m.group, m.ids, m.ref)
		e.changed = anyFound(e.codes)
	case opDeleteEx:
		e.codes = s.DeleteEx(m.ids, m.ref)
		// DELREF on an ID gone from the stream still purges PELs: reply -1
		// with a change, so it is logged whatever the codes.
		e.changed = anyFound(e.codes) || m.ref == stream.DelRef
	}
	return err
}

// anyFound reports whether some per-ID result says an entry was acted on.
func anyFound(codes []int) bool {
	for _, c := range codes {
		if c != stream.RefNotFound {
			return true
		}
	}
	return false
}
