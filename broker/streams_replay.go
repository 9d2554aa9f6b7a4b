package broker

import (
	"fmt"
	"slices"
	"strings"

	"github.com/brookmq/brook/stream"
)

// replayer applies logged mutations to the registry, in log order, through
// [apply], the function the live calls use, from the resolved arguments in
// each mutation; nothing is logged and nobody is woken (recovery runs
// before the broker is in use). Replaying the log after a snapshot
// therefore rebuilds exactly the state the live broker had.
//
// It keeps the stream of the last mutation locked while the next ones are
// for the same key, so that a run of one stream's records (most of a log)
// takes the registry's and the stream's locks once; done releases it. A
// replayer is not safe for concurrent use.
type replayer struct {
	r  *registry
	st *streamState // locked, with a stream; or nil
}

// replay applies m.
func (p *replayer) replay(m *mutation) error {
	if m.kind == opDeadLetter { // two keys (deadletter.go)
		return p.replayDeadLetter(m)
	}
	if p.st != nil && p.st.key != m.key {
		p.done()
	}
	st := p.st
	if st == nil {
		create := m.kind == opAdd || m.kind == opAddBatch || m.kind == opCreateStream
		var err error
		if st, err = p.r.lock(m.key, create); err != nil {
			return fmt.Errorf("broker: replay %d on %q: %w", m.kind, m.key, err)
		}
		p.st = st
	}
	err := apply(st, m, &effect{})
	if err != nil || st.stream() == nil { // an empty placeholder is dropped at once, as by the live calls
		p.done()
	}
	if err != nil {
		return fmt.Errorf("broker: replay %d on %q: %w", m.kind, m.key, err)
	}
	return nil
}

// done releases the stream held, if any.
func (p *replayer) done() {
	if p.st != nil {
		p.r.unlockAndDrop(p.st)
		p.st = nil
	}
}

// snapshot returns a consistent copy of every stream and the log position it
// reflects. It locks the registry and every stream (in key order), clones
// each stream (copy-on-write, O(1)), and reads pos() while every lock is
// held: since each mutation is appended to the log under its stream's lock
// (and DEL under the registry's), the copy holds exactly the mutations up to
// that position.
//
// Rule: a stream whose log append failed holds a change the log does not
// have (see logLocked), so while any stream is in that state the broker
// takes no snapshot at all: snapshot returns an error wrapping the stream's.
// Skipping just that stream would drop its logged history from the
// snapshot; copying it would make the refused change durable. Reopening
// recovers the logged state. (A write or fsync error poisons the whole log,
// which refuses snapshots anyway.)
func (r *registry) snapshot(pos func() uint64) (streams map[string]*stream.Stream, at uint64, err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	states := slices.Collect(r.m.all())
	slices.SortFunc(states, func(a, b *streamState) int { return strings.Compare(a.key, b.key) })
	for _, st := range states {
		st.mu.Lock()
	}
	defer func() {
		for _, st := range states {
			st.mu.Unlock()
		}
	}()
	streams = make(map[string]*stream.Stream, len(states))
	for _, st := range states {
		if err := st.failure(); err != nil {
			return nil, 0, fmt.Errorf("broker: no snapshot while a stream holds a change the log refused: %w", err)
		}
		if st.stream() != nil {
			streams[st.key] = st.stream().Clone()
		}
	}
	return streams, pos(), nil
}

// load installs a stream read from a snapshot under key (recovery).
func (r *registry) load(key string, s *stream.Stream) {
	st, err := r.lock(key, true)
	if err != nil {
		return // closed: nothing to load into
	}
	st.install(s)
	st.mu.Unlock()
}
