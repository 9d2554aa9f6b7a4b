package broker

import (
	"context"
	"time"

	"github.com/brookmq/brook/stream"
)

// Idempotency is the at-most-once option of [Broker.XAdd] (Redis 8.6's
// IDMP and IDMPAUTO). Per stream and per producer, the stream remembers
// which idempotent IDs were appended and as which entry: a second append
// with a remembered ID is a duplicate, answered with the first entry's ID.
// It remembers a producer's newest IDs only, up to the stream's IDMP max
// size, and for the stream's IDMP duration (see [StreamConfig]; defaults
// 100 of them, 100 seconds); a configuration change forgets them all.
//
// The zero value is no idempotency. Producer without ID or Auto, ID with
// Auto, ID or Auto without Producer, or an [AddOptions].ID other than
// [AutoID] is [ErrInvalidArgument].
type Idempotency struct {
	Producer string // the producer ID (pid)
	ID       string // the idempotent ID (iid), unique within the producer (IDMP)
	// Auto derives the idempotent ID from the entry's field-value pairs,
	// whatever their order (IDMPAUTO): the same pairs are the same entry.
	Auto bool
}

// resolve checks the option and returns the pid and the iid to record
// (IDMPAUTO's digest of fields), or "" and "" for no idempotency.
func (o Idempotency) resolve(spec AddID, fields []Field) (pid, iid string, err error) {
	switch {
	case o.Producer == "" && o.ID == "" && !o.Auto: // the common case, without a struct comparison
		return "", "", nil
	case o.Producer == "":
		return "", "", invalid("Idempotency needs a non-empty Producer")
	case o.ID == "" && !o.Auto:
		return "", "", invalid("Idempotency needs a non-empty ID, or Auto")
	case o.ID != "" && o.Auto:
		return "", "", invalid("Idempotency takes an ID or Auto, not both")
	case spec != AutoID():
		return "", "", invalid("Idempotency can be used only with automatic IDs")
	case o.Auto:
		return o.Producer, stream.AutoIID(fields), nil
	}
	return o.Producer, o.ID, nil
}

// retainLocked makes the append m trim the stream to its retention policy,
// if it has one, reading the clock (under the lock: the reading orders no
// ID) when the policy bounds age and m has no reading.
func (t tx) retainLocked(m *mutation) {
	r := t.st.stream().Retention()
	if r == (stream.Retention{}) {
		return
	}
	m.retain = true
	if r.MaxAgeMs > 0 && m.nowMs == 0 {
		m.nowMs = t.b.nowMs()
	}
}

// Retention is a stream's retention policy, brook's own (Redis has none):
// bounds that the broker keeps without any call, trimming the oldest
// entries. Every append trims to MaxLen, MaxAge, MaxBytes and Acked in the
// same logged change, and the broker's sweeper trims entries as they pass
// MaxAge, on the broker's clock ([Options].Clock), each trim a logged
// change. A zero field is no bound; the zero value removes the policy.
// Trimming by policy, like XTRIM, leaves consumer groups alone.
type Retention struct {
	MaxLen int64 // the most entries kept
	// MaxAge removes an entry once its ID's time is more than MaxAge before
	// the broker's clock. Whole milliseconds.
	MaxAge time.Duration
	// MaxBytes bounds the sum of the lengths of the live entries' field
	// names and values (an integer value counts its decimal digits; see
	// [StreamInfo].DataBytes).
	MaxBytes int64
	// Acked removes the entries that no consumer group references any
	// more, for a stream used as a work queue: an entry is referenced while
	// some group has not read it yet (its last-delivered-id is below the
	// entry's ID) or holds it pending, NACKed included (Redis 8.2's ACKED
	// test). Entries go from the front of the stream, oldest first,
	// stopping at the first entry some group still references: like
	// XTRIM's ACKED but without gaps, so an entry every group acknowledged
	// waits behind an older one still pending.
	//
	// The bound is kept whenever an acknowledgement or a group change can
	// free entries: XACK, XACKDEL, a dead-letter move (which acknowledges),
	// a NOACK read (which delivers and acknowledges at once), XGROUP
	// DESTROY, DELCONSUMER (its pending entries leave the group), XGROUP
	// SETID, a deletion (XDEL, XDELEX, XTRIM: a pending ID whose entry is
	// gone references nothing), at every append, and at SetRetention; each
	// in the change that caused it, which the log replays as it was. The
	// replies of those calls count only their own work (XACK's
	// acknowledgements, XTRIM's trimmed entries). Creating a group frees
	// nothing by itself: entries before a group created at "$" go at the
	// next of those changes. A stream with no group is left alone, so the
	// entries added before the first group exists are kept (until the
	// groups created then no longer reference them).
	Acked bool
}

// IdmpInfo is the IDMP part of XINFO STREAM ([StreamInfo].Idmp): the
// stream's configuration (idmp-duration, idmp-maxsize), how many producers
// and idempotent IDs it remembers, and how many appends were recorded
// (iids-added) and answered as duplicates (iids-duplicates).
type IdmpInfo = stream.IdmpInfo

// StreamRetention returns key's retention policy (the zero value if it has
// none). A missing key is [ErrNoStream].
func (b *Broker) StreamRetention(ctx context.Context, key string) (Retention, error) {
	var r Retention
	err := b.viewExisting(ctx, key, func(s *stream.Stream) error {
		er := s.Retention()
		r = Retention{MaxLen: er.MaxLen, MaxAge: time.Duration(er.MaxAgeMs) * time.Millisecond, MaxBytes: er.MaxBytes, Acked: er.Acked}
		return nil
	})
	return r, err
}

// engine returns r as the stream package keeps it, or ErrInvalidArgument.
func (r Retention) engine() (stream.Retention, error) {
	switch {
	case r.MaxLen < 0:
		return stream.Retention{}, invalid("negative Retention.MaxLen %d", r.MaxLen)
	case r.MaxBytes < 0:
		return stream.Retention{}, invalid("negative Retention.MaxBytes %d", r.MaxBytes)
	case r.MaxAge < 0 || r.MaxAge%time.Millisecond != 0:
		return stream.Retention{}, invalid("Retention.MaxAge %v is not a non-negative number of milliseconds", r.MaxAge)
	}
	return stream.Retention{MaxLen: r.MaxLen, MaxAgeMs: durationMs(r.MaxAge), MaxBytes: r.MaxBytes, Acked: r.Acked}, nil
}

// SetRetention sets key's retention policy, replacing the previous one,
// and trims the stream to it at once. A missing key is [ErrNoStream], a
// negative bound or a MaxAge that is not whole milliseconds
// [ErrInvalidArgument]. The policy lives as long as the key: DEL forgets it.
// If ctx ends while it waits for the disk, the change is already applied:
// see "Cancellation" in the package documentation.
func (b *Broker) SetRetention(ctx context.Context, key string, r Retention) error {
	er, err := r.engine()
	if err != nil {
		return err
	}
	return b.update(ctx, key, func(t tx) error {
		return t.setRetentionLocked(er)
	})
}

// setRetentionLocked applies an opRetention and reschedules the sweeper.
func (t tx) setRetentionLocked(r stream.Retention) error {
	m := mutation{kind: opRetention, key: t.st.key, nowMs: t.b.nowMs(), idmpArgs: &idmpArgs{retention: r}}
	if _, err := t.apply(&m); err != nil {
		return err
	}
	t.b.sweeper.rescheduleLocked(t.st)
	return nil
}

// StreamConfig is what [Broker.XCfgSet] changes. A zero field (a nil
// pointer) leaves its setting as it is; at least one must be given.
type StreamConfig struct {
	// IdmpDuration is how long the stream remembers an idempotent ID
	// (IDMP-DURATION): whole seconds, from 1 s to 24 h. Default 100 s.
	IdmpDuration time.Duration
	// IdmpMaxSize is how many idempotent IDs it remembers per producer,
	// the oldest forgotten first (IDMP-MAXSIZE): 1 to 10,000. Default 100.
	IdmpMaxSize int

	// The bounds of the [Retention] policy, each changed alone (brook's
	// RETENTION-MAXLEN, RETENTION-MAXAGE, RETENTION-MAXBYTES,
	// RETENTION-ACKED); a pointer to 0 (false) removes a bound.
	RetentionMaxLen   *int64
	RetentionMaxAge   *time.Duration
	RetentionMaxBytes *int64
	RetentionAcked    *bool
}

// XCfgSet changes key's stream configuration (Redis 8.6's XCFGSET, and
// brook's retention bounds). Changing the IDMP duration or max size to a
// different value forgets every remembered idempotent ID (the iids-added
// and iids-duplicates counters stay); setting the value it has changes
// nothing. A retention bound is applied at once, as by
// [Broker.SetRetention].
//
// Errors, each found before anything changes: [ErrInvalidArgument] for no
// setting at all or a value out of range; [ErrNoStream] for a missing key.
// If ctx ends while it waits for the disk, the change is already applied:
// see "Cancellation" in the package documentation.
func (b *Broker) XCfgSet(ctx context.Context, key string, c StreamConfig) error {
	if err := c.check(); err != nil {
		return err
	}
	return b.update(ctx, key, func(t tx) error {
		s := t.st.stream()
		if c.IdmpDuration != 0 || c.IdmpMaxSize != 0 {
			cfg := s.IdmpConfig()
			if c.IdmpDuration != 0 {
				cfg.Duration = int64(c.IdmpDuration / time.Second)
			}
			if c.IdmpMaxSize != 0 {
				cfg.MaxSize = int64(c.IdmpMaxSize)
			}
			if _, err := t.apply(&mutation{kind: opIdmpConfig, key: key, idmpArgs: &idmpArgs{idmpCfg: cfg}}); err != nil {
				return err
			}
		}
		if !c.retention() {
			t.b.sweeper.rescheduleLocked(t.st)
			return nil
		}
		r := s.Retention()
		if c.RetentionMaxLen != nil {
			r.MaxLen = *c.RetentionMaxLen
		}
		if c.RetentionMaxAge != nil {
			r.MaxAgeMs = durationMs(*c.RetentionMaxAge)
		}
		if c.RetentionMaxBytes != nil {
			r.MaxBytes = *c.RetentionMaxBytes
		}
		if c.RetentionAcked != nil {
			r.Acked = *c.RetentionAcked
		}
		return t.setRetentionLocked(r)
	})
}

// retention reports whether c changes a retention bound.
func (c StreamConfig) retention() bool {
	return c.RetentionMaxLen != nil || c.RetentionMaxAge != nil || c.RetentionMaxBytes != nil || c.RetentionAcked != nil
}

// check validates c as XCfgSet takes it.
func (c StreamConfig) check() error {
	if c.IdmpDuration == 0 && c.IdmpMaxSize == 0 && !c.retention() {
		return invalid("XCfgSet needs at least one setting")
	}
	if d := c.IdmpDuration; d != 0 && (d < time.Second || d > stream.MaxIdmpDuration*time.Second || d%time.Second != 0) {
		return invalid("IdmpDuration %v is not a whole number of seconds from 1 s to 24 h", d)
	}
	if n := c.IdmpMaxSize; n < 0 || n > stream.MaxIdmpMaxSize {
		return invalid("IdmpMaxSize %d is not from 1 to %d", n, stream.MaxIdmpMaxSize)
	}
	var r Retention
	if c.RetentionMaxLen != nil {
		r.MaxLen = *c.RetentionMaxLen
	}
	if c.RetentionMaxAge != nil {
		r.MaxAge = *c.RetentionMaxAge
	}
	if c.RetentionMaxBytes != nil {
		r.MaxBytes = *c.RetentionMaxBytes
	}
	_, err := r.engine()
	return err
}
