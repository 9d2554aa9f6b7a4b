package stream

import (
	"encoding/binary"
	"fmt"
	"sort"

	"github.com/brookmq/brook/internal/wire"
)

// Snapshot encoding of the IDMP state and the retention policy (format
// version 3, after the groups; integers uvarints unless said otherwise):
//
//	idmp-duration  seconds, 0 = the default
//	idmp-maxsize   0 = the default
//	iids-added
//	iids-duplicates
//	producers      count, then per producer in pid order:
//	  pid            length, bytes
//	  iids           count (>= 1), then oldest first: length, bytes, ms, seq
//	retention      max-len varint, max-age-ms, max-bytes varint, acked
//	               byte (0 or 1)

// appendPolicies appends the IDMP state and the retention policy.
func (s *Stream) appendPolicies(b []byte) []byte {
	x := &s.rare().idmp
	b = binary.AppendUvarint(b, uint64(x.cfg.Duration))
	b = binary.AppendUvarint(b, uint64(x.cfg.MaxSize))
	b = binary.AppendUvarint(b, x.added)
	b = binary.AppendUvarint(b, x.dup)
	pids := make([]string, 0, len(x.pids))
	for pid := range x.pids {
		pids = append(pids, pid)
	}
	sort.Strings(pids)
	b = binary.AppendUvarint(b, uint64(len(pids)))
	for _, pid := range pids {
		p := x.pids[pid]
		b = appendString(b, pid)
		b = binary.AppendUvarint(b, uint64(p.len()))
		for _, e := range p.order[p.head:] {
			b = appendString(b, e.iid)
			b = appendID(b, e.id)
		}
	}
	ret := s.rare().ret
	b = binary.AppendVarint(b, ret.MaxLen)
	b = binary.AppendUvarint(b, ret.MaxAgeMs)
	b = binary.AppendVarint(b, ret.MaxBytes)
	acked := byte(0)
	if ret.Acked {
		acked = 1
	}
	return append(b, acked)
}

// decodePolicies reads what appendPolicies wrote and checks it: the
// configuration within its bounds, at most max-size iids per producer, no
// iid twice, IDs increasing and not after the last generated ID, the
// retention bounds not negative, the acked flag 0 or 1. Errors wrap
// ErrCorrupt.
func (s *Stream) decodePolicies(data []byte) ([]byte, error) {
	r := snapReader{wire.NewReader(data, ErrCorrupt)}
	x := &s.rareForWrite().idmp
	x.cfg = IdmpConfig{Duration: int64(r.Uvarint()), MaxSize: int64(r.Uvarint())}
	x.added, x.dup = r.Uvarint(), r.Uvarint()
	c := x.cfg
	if r.Err() == nil && c != (IdmpConfig{}) &&
		(c.Duration < 1 || c.Duration > MaxIdmpDuration || c.MaxSize < 1 || c.MaxSize > MaxIdmpMaxSize) {
		r.Fail("IDMP configuration %d s, %d iids", c.Duration, c.MaxSize)
	}
	n := r.Count(2)
	prevPid := ""
	for i := 0; i < n && r.Err() == nil; i++ {
		pid := r.Str()
		if i > 0 && pid <= prevPid {
			r.Fail("producer %q out of order", pid)
		}
		prevPid = pid
		r.producer(s, pid)
	}
	ret := Retention{MaxLen: r.Varint(), MaxAgeMs: r.Uvarint(), MaxBytes: r.Varint(), Acked: r.Bool()}
	s.more.ret = ret
	if r.Err() == nil && (ret.MaxLen < 0 || ret.MaxBytes < 0) {
		r.Fail("negative retention bound")
	}
	if err := r.Err(); err != nil {
		return data, fmt.Errorf("idmp or retention: %w", err)
	}
	return r.Rest(), nil
}

// producer reads one producer's iids into s.
func (r *snapReader) producer(s *Stream, pid string) {
	x := &s.rareForWrite().idmp
	m := r.Count(3)
	if r.Err() == nil && (m == 0 || int64(m) > x.config().MaxSize) {
		r.Fail("producer %q with %d iids", pid, m)
		return
	}
	p := &producer{ids: make(map[string]ID, m), order: make([]iidEntry, 0, m)}
	var prev ID
	for j := 0; j < m && r.Err() == nil; j++ {
		iid, id := r.Str(), r.id()
		if _, dup := p.ids[iid]; dup || (j > 0 && !prev.Less(id)) || s.lastID.Less(id) {
			r.Fail("producer %q: iid %d (%s) repeated or out of order", pid, j, id)
			return
		}
		prev = id
		p.push(iid, id)
	}
	if r.Err() != nil {
		return
	}
	if x.pids == nil {
		x.pids = make(map[string]*producer)
	}
	x.pids[pid] = p
	x.tracked += int64(m)
}
