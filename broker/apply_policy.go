package broker

import "github.com/brookmq/brook/stream"

// afterAppend completes an opAdd or opAddBatch whose entries apply
// appended: it records an IDMP append's iid, then trims as m.trim says and,
// for a live call (m.retain), to the stream's retention policy at m.nowMs,
// and rewrites m.trim as the exact effect of both, which is what the log
// keeps: replay applies that effect and never evaluates the policy, so it
// removes the same entries whatever the clock.
//
// Except after a DELREF or ACKED trim, which the log keeps as its rule
// (see exactEffect; ACKED may leave gaps): the policy's trimming cannot be
// folded into it, so replay applies the policy after the rule, at the
// logged m.nowMs the live call used, on the same state, which removes the
// same entries. (When the live call removed nothing, m.trim is no trim
// and replay removes nothing either.)
func afterAppend(s *stream.Stream, m *mutation) {
	if m.idmpArgs != nil && m.pid != "" {
		s.IdmpRecord(m.pid, m.iid, m.id)
	}
	if !m.retain {
		ref := m.trim.Ref // trimExact rewrites a rule that removes nothing as no trim
		trimExact(s, &m.trim)
		if ref != stream.KeepRef {
			s.Retain(m.nowMs)
		}
		return
	}
	var n int64
	if m.trim.Strategy != stream.TrimNone {
		n = s.Trim(m.trim)
	}
	n += s.Retain(m.nowMs)
	exactEffect(s, &m.trim, n)
}

// applyPolicy applies the IDMP and retention mutations (see record_idmp.go).
// Each is deterministic given the stream and m: opRetention and
// opIdmpExpire read the clock only through the logged m.nowMs.
func applyPolicy(s *stream.Stream, m *mutation, e *effect) {
	switch m.kind {
	case opIdmpConfig:
		e.changed = s.SetIdmpConfig(m.idmpCfg)
	case opRetention:
		changed := s.SetRetention(m.retention)
		e.n = s.Retain(m.nowMs)
		e.changed = changed || e.n > 0
	case opIdmpExpire:
		e.n = s.IdmpExpire(m.nowMs)
		e.changed = e.n > 0
	case opIdmpDuplicate:
		s.IdmpDuplicate()
		e.changed = true
	}
}
