package broker

import (
	"context"
	"fmt"
)

// journal is the seam between the stream operations and durability. Every
// change passes through it: in memory it records nothing and never waits;
// in a broker made by [Open] it is the write-ahead log. It is the only place
// that knows which of the two the broker is.
type journal struct {
	d *durable // nil: in memory
}

// writable returns the log's sticky error, if any: a mutation is applied
// only while the log accepts records, so applying and logging agree.
func (j journal) writable() error {
	if j.d == nil {
		return nil
	}
	return j.d.err()
}

// record appends m to the log and records its position as st's last
// mutation. st.mu is held, so the log order of one stream's mutations is the
// order in which they were applied. Callers validate their input first
// (limits, IDs), so the log refuses a record only when it is poisoned by a
// write or fsync error. The change is then already applied in memory: the
// stream refuses every later call with that error (it must not show data
// that is not in the log) and the broker takes no more snapshots
// ([registry.snapshot]), so the change never becomes durable; reopening
// recovers the logged state.
func (j journal) record(st *streamState, m *mutation) error {
	if j.d == nil {
		return nil
	}
	pos, err := j.d.append(m)
	if err != nil {
		return st.setFailure(fmt.Errorf("broker: stream %q: log append: %w", st.key, err))
	}
	st.pos = pos
	return nil
}

// wait returns once the log position pos is durable under the fsync policy.
// Every reply that shows state (data, IDs, counts) passes here with the
// position of the last mutation it could observe: that is the visibility
// rule of a durable broker.
func (j journal) wait(ctx context.Context, pos uint64) error {
	if j.d == nil || pos == 0 {
		return nil
	}
	return j.d.wait(ctx, pos)
}

// sync makes every record appended so far durable.
func (j journal) sync() error {
	if j.d == nil {
		return nil
	}
	return j.d.sync()
}

// close writes the final snapshot and closes the log.
func (j journal) close() error {
	if j.d == nil {
		return nil
	}
	return j.d.close()
}
