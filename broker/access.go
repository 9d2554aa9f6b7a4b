package broker

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/brookmq/brook/stream"
)

// Access to a stream goes through three functions, after bbolt's View and
// Update: [Broker.view] for reads, [Broker.update] for changes to an
// existing key and [Broker.upsert] for changes that may create the key.
// Each takes the stream's lock, runs the caller's function, releases the
// lock and then waits until everything the function observed or changed is
// durable (the visibility rule, see [journal.wait]).

// tx is one locked access to a stream that may change it. Every change goes
// through tx.apply, which applies a mutation and journals it. A tx is a
// small value passed by value, so that handing it to the caller's function
// costs no allocation; what it must remember lives in the locked state
// (st.applied).
type tx struct {
	b  *Broker
	st *streamState
}

// apply applies m to the stream and journals it if it changed anything.
func (t tx) apply(m *mutation) (effect, error) {
	var e effect
	err := t.applyTo(m, &e)
	return e, err
}

// applyTo is apply writing the effect into *e, for hot paths that should
// not copy it around.
func (t tx) applyTo(m *mutation, e *effect) error {
	if err := apply(t.st, m, e); err != nil || !e.changed {
		return err
	}
	t.st.applied = true
	return t.b.jr.record(t.st, m)
}

// view runs f on key's stream under its lock (s is nil when the key is
// missing) and waits until what f observed is durable.
func (b *Broker) view(ctx context.Context, key string, f func(s *stream.Stream) error) error {
	st, err := b.reg.lock(key, false)
	var pos uint64
	switch {
	case errors.Is(err, ErrNoStream):
		if err := f(nil); err != nil {
			return err
		}
		pos = b.reg.delPos.Load() // a missing key observes the latest DEL
	case err != nil:
		return err
	default:
		err = f(st.stream())
		pos = st.pos
		st.mu.Unlock()
		if err != nil {
			return err
		}
	}
	return b.jr.wait(ctx, pos)
}

// update runs f in a transaction on key's existing stream. A ctx that has
// already ended, a log that refuses writes or a missing key ([ErrNoStream])
// changes nothing and f does not run.
func (b *Broker) update(ctx context.Context, key string, f func(t tx) error) error {
	return b.access(ctx, key, false, f)
}

// upsert is update on a key that f may create: for a missing key f runs
// with t.st.stream() == nil. A stream f creates without applying a mutation (to
// resolve an ID against it, say) is dropped again.
func (b *Broker) upsert(ctx context.Context, key string, f func(t tx) error) error {
	return b.access(ctx, key, true, f)
}

func (b *Broker) access(ctx context.Context, key string, create bool, f func(t tx) error) error {
	if err := ctx.Err(); err != nil { // an ended ctx changes nothing
		return err
	}
	st, err := b.reg.lock(key, create)
	if err != nil {
		return err
	}
	if err := b.jr.writable(); err != nil {
		b.reg.unlockAndDrop(st)
		return err
	}
	missing := st.stream() == nil
	st.applied = false
	err = f(tx{b: b, st: st})
	if missing && !st.applied {
		st.drop()
	}
	pos := st.pos
	b.reg.unlockAndDrop(st)
	if err != nil {
		return err
	}
	return b.jr.wait(ctx, pos)
}

// lockAll locks the states of keys, which must exist, in key order (the
// lock order of snapshots), and returns them in the order of keys, a key
// named twice sharing one state. The states are looked up before any is
// locked: lockAll never holds a stream lock while it waits for the
// registry's.
func (r *registry) lockAll(keys []string) ([]*streamState, func(), error) {
	sorted := slices.Clone(keys)
	slices.Sort(sorted)
	sorted = slices.Compact(sorted)
	for {
		r.mu.RLock()
		closed := r.closed
		byKey := make(map[string]*streamState, len(sorted))
		for _, k := range sorted {
			byKey[k] = r.m.get(k)
		}
		r.mu.RUnlock()
		if closed {
			return nil, nil, ErrClosed
		}
		locked, err := lockStates(sorted, byKey)
		if errors.Is(err, errRetry) {
			continue
		}
		if err != nil {
			return nil, nil, err
		}
		out := make([]*streamState, len(keys))
		for i, k := range keys {
			out[i] = byKey[k]
		}
		unlock := func() {
			for _, st := range locked {
				r.unlockAndDrop(st)
			}
		}
		return out, unlock, nil
	}
}

var errRetry = errors.New("retry")

// lockStates locks the states of sorted keys in order. A missing key is
// ErrNoStream; a state dropped from the registry meanwhile is errRetry. On
// error nothing is left locked.
func lockStates(sorted []string, byKey map[string]*streamState) ([]*streamState, error) {
	locked := make([]*streamState, 0, len(sorted))
	fail := func(err error) ([]*streamState, error) {
		for _, st := range locked {
			st.mu.Unlock()
		}
		return nil, err
	}
	for _, k := range sorted {
		st := byKey[k]
		if st == nil {
			return fail(ErrNoStream)
		}
		st.mu.Lock()
		locked = append(locked, st)
		switch {
		case st.dead:
			return fail(errRetry)
		case st.stream() == nil:
			return fail(ErrNoStream)
		case st.failure() != nil:
			return fail(st.failure())
		}
	}
	return locked, nil
}

// logFailure marks st as holding changes the log does not have (see
// [journal.record]) after an operation failed midway.
func (st *streamState) logFailure(format string, args ...any) error {
	return st.setFailure(fmt.Errorf("broker: stream %q: "+format, append([]any{st.key}, args...)...))
}
