package broker

import "github.com/brookmq/brook/stream"

// The dead-letter move's part of the record format (record.go):
//
//	recDeadLetter  dead-letter key       string, then the dead-letter
//	                                     entry's id (uvarint ms, uvarint seq)
//
// The rest of an opDeadLetter record uses the common fields: key (the source
// stream), recGroup, recConsumer (the owner the entry must still be pending
// for), recID (the source entry), recNow (the clock reading) and recFields
// (the dead-letter entry's fields, metadata first).

// recDeadLetter is the presence bit of the dead-letter key and entry ID.
// Bits 1<<25 to 1<<29 are this file's; 1<<26 to 1<<29 are still free.
const recDeadLetter = 1 << 25

// recDeadAll is every presence bit this file defines.
const recDeadAll = recDeadLetter

// knownKind reports whether k is a mutation kind the codec knows.
func knownKind(k byte) bool {
	return k >= byte(opAdd) && k <= byte(opMax) || policyKind(opKind(k)) || k == byte(opDeadLetter)
}

// deadLetterBits is the presence bits of m's dead-letter fields.
func deadLetterBits(m *mutation) uint64 {
	if m.opArgs != nil && m.dead != nil {
		return recDeadLetter
	}
	return 0
}

// appendDeadLetter appends m's dead-letter fields, if present says so.
func appendDeadLetter(b []byte, m *mutation, present uint64) []byte {
	if present&recDeadLetter == 0 {
		return b
	}
	b = appendString(b, m.dead.key)
	return appendID(b, m.dead.id)
}

// decodeDeadLetter decodes m's dead-letter fields, if present says so.
func decodeDeadLetter(d *decoder, m *mutation, present uint64) {
	if (present&recDeadLetter != 0) != (m.kind == opDeadLetter) {
		d.Fail("kind %d with dead-letter bit %t", m.kind, present&recDeadLetter != 0)
		return
	}
	if present&recDeadLetter == 0 {
		return
	}
	key := d.Str()
	m.args().dead = &deadLetter{key: key, id: d.id()}
}

// appendDeadFields appends the dead-letter entry of m to s: from m.fields,
// or from m.fieldList when the replay decoder left them encoded.
func appendDeadFields(s *stream.Stream, m *mutation) error {
	if m.fields != nil {
		return s.Append(m.dead.id, m.fields)
	}
	return s.AppendList(m.dead.id, m.fieldList)
}
