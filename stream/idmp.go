package stream

import (
	"crypto/sha256"
	"encoding/binary"
	"maps"
	"math/bits"
	"slices"
	"time"
)

// Idempotent appends (Redis 8.6's XADD IDMP / IDMPAUTO and XCFGSET): per
// stream, per producer ID (pid), a FIFO map from idempotent ID (iid) to the
// entry ID the first append with that iid got. The broker looks an iid up
// before it appends ([Stream.IdmpLookup]); a hit is a duplicate, answered
// with the original ID, even if that entry is gone. A miss appends and
// records the iid ([Stream.IdmpRecord]), evicting the producer's oldest iids
// beyond the maximum size. [Stream.IdmpExpire] drops iids older than the
// duration; the broker calls it from its sweeper, as Redis from its cron.

// Defaults and bounds of the IDMP configuration, as Redis's
// stream-idmp-duration / stream-idmp-maxsize and XCFGSET.
const (
	DefaultIdmpDuration = 100   // seconds
	DefaultIdmpMaxSize  = 100   // iids per producer
	MaxIdmpDuration     = 86400 // seconds
	MaxIdmpMaxSize      = 10000 // iids per producer
)

// IdmpConfig is a stream's IDMP configuration: how long (seconds) and how
// many (per producer) iids are kept.
type IdmpConfig struct {
	Duration int64 // IDMP-DURATION, seconds, 1..MaxIdmpDuration
	MaxSize  int64 // IDMP-MAXSIZE, 1..MaxIdmpMaxSize
}

// idmp is a stream's IDMP state. The zero value is a stream that never
// changed its configuration: the defaults, nothing tracked.
type idmp struct {
	cfg        IdmpConfig // zero: the defaults
	pids       map[string]*producer
	tracked    int64  // iids tracked, over every producer
	added, dup uint64 // iids-added, iids-duplicates
}

// producer is one pid's iids, oldest first in order[head:].
type producer struct {
	ids   map[string]ID
	order []iidEntry
	head  int
}

type iidEntry struct {
	iid string
	id  ID
}

func (p *producer) len() int { return len(p.order) - p.head }

// pop drops the producer's oldest iid.
func (p *producer) pop() {
	delete(p.ids, p.order[p.head].iid)
	p.order[p.head] = iidEntry{}
	p.head++
	if p.head > 32 && p.head*2 > len(p.order) {
		p.order = slices.Delete(p.order, 0, p.head)
		p.head = 0
	}
}

func (p *producer) push(iid string, id ID) {
	p.ids[iid] = id
	p.order = append(p.order, iidEntry{iid, id})
}

func (x *idmp) config() IdmpConfig {
	if x.cfg == (IdmpConfig{}) {
		return IdmpConfig{Duration: DefaultIdmpDuration, MaxSize: DefaultIdmpMaxSize}
	}
	return x.cfg
}

// isZero reports whether x is the zero idmp: the defaults, nothing
// tracked or counted.
func (x *idmp) isZero() bool {
	return x.cfg == IdmpConfig{} && len(x.pids) == 0 && x.tracked == 0 && x.added == 0 && x.dup == 0
}

func (x *idmp) clone() idmp {
	c := *x
	if x.pids == nil {
		return c
	}
	c.pids = make(map[string]*producer, len(x.pids))
	for pid, p := range x.pids {
		order := slices.Clone(p.order[p.head:])
		c.pids[pid] = &producer{ids: maps.Clone(p.ids), order: order}
	}
	return c
}

// IdmpLookup returns the entry ID recorded for pid's iid; false if none
// (never seen, evicted, expired or cleared by a configuration change).
func (s *Stream) IdmpLookup(pid, iid string) (ID, bool) {
	p := s.rare().idmp.pids[pid]
	if p == nil {
		return ID{}, false
	}
	id, ok := p.ids[iid]
	return id, ok
}

// IdmpRecord records that pid's iid was appended as id, counts it in
// iids-added and evicts pid's oldest iids beyond the maximum size. The iid
// must not be tracked already (look it up first).
func (s *Stream) IdmpRecord(pid, iid string, id ID) {
	x := &s.rareForWrite().idmp
	if x.pids == nil {
		x.pids = make(map[string]*producer)
	}
	p := x.pids[pid]
	if p == nil {
		p = &producer{ids: make(map[string]ID)}
		x.pids[pid] = p
	}
	p.push(iid, id)
	x.tracked++
	x.added++
	for int64(p.len()) > x.config().MaxSize {
		p.pop()
		x.tracked--
	}
}

// IdmpDuplicate counts one duplicate append in iids-duplicates.
func (s *Stream) IdmpDuplicate() { s.rareForWrite().idmp.dup++ }

// IdmpConfig returns the IDMP configuration.
func (s *Stream) IdmpConfig() IdmpConfig { return s.rare().idmp.config() }

// SetIdmpConfig sets the IDMP configuration (values outside the bounds are
// the caller's to refuse) and reports whether it changed. A change forgets
// every tracked iid and producer, keeping the counters, as Redis's
// XCFGSET; the same configuration changes nothing.
func (s *Stream) SetIdmpConfig(c IdmpConfig) bool {
	if c == s.rare().idmp.config() {
		return false
	}
	x := &s.rareForWrite().idmp
	x.cfg = c
	x.pids, x.tracked = nil, 0
	return true
}

// IdmpExpire drops the iids whose entry ID's ms is at or before
// nowMs - duration, and the producers left without any, and returns how
// many it dropped. The same state and nowMs drop the same iids.
func (s *Stream) IdmpExpire(nowMs uint64) int64 {
	if len(s.rare().idmp.pids) == 0 {
		return 0
	}
	x := &s.more.idmp
	durMs := uint64(x.config().Duration) * 1000
	if nowMs < durMs {
		return 0
	}
	cutoff := nowMs - durMs
	var n int64
	for pid, p := range x.pids {
		for p.len() > 0 && p.order[p.head].id.Ms <= cutoff {
			p.pop()
			n++
		}
		if p.len() == 0 {
			delete(x.pids, pid)
		}
	}
	x.tracked -= n
	return n
}

// IdmpDeadline is the instant (Unix ms) at which [Stream.IdmpExpire] will
// drop the oldest tracked iid; false when none is tracked.
func (s *Stream) IdmpDeadline() (uint64, bool) {
	x := s.rare().idmp
	var oldest uint64
	found := false
	for _, p := range x.pids {
		if ms := p.order[p.head].id.Ms; !found || ms < oldest {
			oldest, found = ms, true
		}
	}
	if !found {
		return 0, false
	}
	return satAdd(oldest, uint64(x.config().Duration)*1000), true
}

// AutoIID is IDMPAUTO's idempotent ID for an entry's fields: a 128-bit
// digest of the field-value pairs that does not depend on their order. Each
// pair is hashed with SHA-256 over its length-prefixed name and value
// (truncated to 128 bits) and the pair digests are added modulo 2^128, so
// the same pairs in any order give the same iid, a repeated pair counts
// twice, and the result is the same in every process and on every machine.
func AutoIID(fields []Field) string {
	var hi, lo uint64
	var buf []byte
	for _, f := range fields {
		buf = binary.AppendUvarint(buf[:0], uint64(len(f.Name)))
		buf = append(buf, f.Name...)
		buf = binary.AppendUvarint(buf, uint64(len(f.Value)))
		buf = append(buf, f.Value...)
		sum := sha256.Sum256(buf)
		var carry uint64
		lo, carry = bits.Add64(lo, binary.BigEndian.Uint64(sum[8:16]), 0)
		hi, _ = bits.Add64(hi, binary.BigEndian.Uint64(sum[0:8]), carry)
	}
	var out [16]byte
	binary.BigEndian.PutUint64(out[:8], hi)
	binary.BigEndian.PutUint64(out[8:], lo)
	return string(out[:])
}

// IdmpInfo is the IDMP part of XINFO STREAM.
type IdmpInfo struct {
	Duration       time.Duration // idmp-duration (whole seconds)
	MaxSize        int64         // idmp-maxsize
	PidsTracked    int64         // pids-tracked
	IidsTracked    int64         // iids-tracked
	IidsAdded      uint64
	IidsDuplicates uint64
}

func (s *Stream) idmpInfo() IdmpInfo {
	x := s.rare().idmp
	c := x.config()
	return IdmpInfo{Duration: time.Duration(c.Duration) * time.Second, MaxSize: c.MaxSize, PidsTracked: int64(len(x.pids)),
		IidsTracked: x.tracked, IidsAdded: x.added, IidsDuplicates: x.dup}
}
