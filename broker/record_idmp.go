package broker

import (
	"encoding/binary"

	"github.com/brookmq/brook/stream"
)

// Mutation kinds of idempotent appends and retention. The values are part
// of the log format: never renumber. (Kinds 17 to 22 and 27 to 29 belong to
// other features.)
const (
	opIdmpConfig    opKind = 23 // XCFGSET IDMP-DURATION / IDMP-MAXSIZE (a change clears the iids)
	opRetention     opKind = 24 // SetRetention, XCFGSET RETENTION-*: set the policy, trim to it at nowMs
	opIdmpExpire    opKind = 25 // the sweeper: drop the iids expired at nowMs
	opIdmpDuplicate opKind = 26 // XADD IDMP of a tracked iid: count the duplicate, append nothing
)

// policyKind reports whether k is one of the kinds above.
func policyKind(k opKind) bool { return k >= opIdmpConfig && k <= opIdmpDuplicate }

// Presence bits of the IDMP and retention record fields, encoded after
// those of record.go in bit order (bits 14 to 19 and 25 to 29 belong to
// other features: on a merge, each field is written and read in the order
// of its bit):
//
//	recIdmp       pid, iid              strings (opAdd with IDMP: the resolved
//	                                    iid, IDMPAUTO's digest included;
//	                                    opIdmpDuplicate)
//	recIdmpCfg    duration s, max size  uvarints (opIdmpConfig)
//	recRetention  max-len varint, max-age-ms uvarint, max-bytes varint,
//	                                    acked byte (0 or 1) (opRetention;
//	                                    always present there, a zero
//	                                    policy being a change too)
//
// opIdmpExpire carries only recNow; an opAdd's retention trimming is in its
// recTrim (the exact effect of its MAXLEN/MINID and of the policy). Bits
// 1<<23 and 1<<24 are reserved for this feature.
const (
	recIdmp      = 1 << 20
	recIdmpCfg   = 1 << 21
	recRetention = 1 << 22
	recPolicyAll = recIdmp | recIdmpCfg | recRetention
)

// policyBits is the set of m's IDMP and retention fields.
func policyBits(m *mutation) uint64 {
	var p uint64
	if m.idmpArgs != nil && m.pid != "" {
		p |= recIdmp
	}
	if m.kind == opIdmpConfig {
		p |= recIdmpCfg
	}
	if m.kind == opRetention {
		p |= recRetention
	}
	return p
}

// appendPolicyFields appends m's IDMP and retention fields named by present.
func appendPolicyFields(b []byte, m *mutation, present uint64) []byte {
	if present&recPolicyAll == 0 {
		return b
	}
	m.idmp() // opIdmpConfig and opRetention records carry their values even when zero
	if present&recIdmp != 0 {
		b = appendString(appendString(b, m.pid), m.iid)
	}
	if present&recIdmpCfg != 0 {
		b = binary.AppendUvarint(b, uint64(m.idmpCfg.Duration))
		b = binary.AppendUvarint(b, uint64(m.idmpCfg.MaxSize))
	}
	if present&recRetention != 0 {
		r := m.retention
		b = binary.AppendVarint(b, r.MaxLen)
		b = binary.AppendUvarint(b, r.MaxAgeMs)
		b = binary.AppendVarint(b, r.MaxBytes)
		acked := byte(0)
		if r.Acked {
			acked = 1
		}
		b = append(b, acked)
	}
	return b
}

// decodePolicyFields decodes the fields appendPolicyFields wrote, checking
// the values against their bounds.
func (rd *recordDecoder) decodePolicyFields(d *decoder, m *mutation, present uint64) {
	if (present&recIdmpCfg != 0) != (m.kind == opIdmpConfig) || (present&recRetention != 0) != (m.kind == opRetention) {
		d.Fail("kind %d with policy field bits %#x", m.kind, present&recPolicyAll)
		return
	}
	if present&recPolicyAll != 0 {
		m.idmp()
	}
	if present&recIdmp != 0 {
		m.pid, m.iid = d.Str(), d.Str()
		if d.Err() == nil && (m.pid == "" || m.iid == "") {
			d.Fail("empty IDMP producer or idempotent ID")
		}
	}
	if present&recIdmpCfg != 0 {
		c := stream.IdmpConfig{Duration: int64(d.Uvarint()), MaxSize: int64(d.Uvarint())}
		if d.Err() == nil && (c.Duration < 1 || c.Duration > stream.MaxIdmpDuration || c.MaxSize < 1 || c.MaxSize > stream.MaxIdmpMaxSize) {
			d.Fail("IDMP configuration %d s, %d iids", c.Duration, c.MaxSize)
		}
		m.idmpCfg = c
	}
	if present&recRetention != 0 {
		m.retention = stream.Retention{MaxLen: d.Varint(), MaxAgeMs: d.Uvarint(), MaxBytes: d.Varint(), Acked: d.Bool()}
		if d.Err() == nil && (m.retention.MaxLen < 0 || m.retention.MaxBytes < 0) {
			d.Fail("negative retention bound")
		}
	}
}
