package broker

import (
	"context"
	"errors"
	"sort"
	"sync"
	"sync/atomic"

	"github.com/brookmq/brook/stream"
)

// ErrNoStream is returned when a key does not exist where the operation needs
// it: [Broker.XAdd] with NoMkStream, [Broker.XGroupCreate] without MkStream,
// the other XGROUP subcommands and XINFO on a missing key.
var ErrNoStream = errors.New("broker: no such stream")

// ErrStreamDeleted is returned by a blocked [Broker.XReadGroup] whose stream
// key was deleted while it waited (Redis: "UNBLOCKED the stream key no longer
// exists").
var ErrStreamDeleted = errors.New("broker: the stream key no longer exists")

// ErrGroupDeleted is returned by a blocked [Broker.XReadGroup] whose consumer
// group was destroyed while it waited.
var ErrGroupDeleted = errors.New("broker: the consumer group this client was blocked on no longer exists")

// registry holds the named streams. Its lock only guards the key map: it is
// taken to find, create or drop a key; everything else happens under the
// per-stream lock. Lock order: registry before stream before waiter, and
// never two streams at once except in snapshot (key order).
type registry struct {
	b *Broker

	mu     sync.RWMutex
	m      keyTable // the states, by key
	closed bool

	// delPos is the log position of the latest DEL: a read that finds a key
	// missing observes it, so it waits for it like for any mutation.
	delPos atomic.Uint64
}

// streamState is one key. It has no stream (stream() is nil) while the key
// does not exist but blocked XREAD callers wait for it to be created (a
// placeholder). A state is dropped from the registry only when it has no stream
// and nobody waits; dead then tells those who still hold the pointer to look
// the key up again.
//
// A process may hold millions of keys, so the state is kept small (48
// bytes and the stream): what few keys need (blocked readers, a refused
// mutation) is in cold, allocated on first use.
type streamState struct {
	key string
	mu  sync.Mutex

	pos     uint64     // log position of the last mutation
	cold    *stateCold // nil until a reader blocks or the log refuses a mutation
	exists  bool       // mem is the key's stream (else the key does not exist)
	dead    bool       // removed from the registry
	applied bool       // the current access applied a mutation (access.go)
	mem     stream.Stream
}

// stream returns the key's stream, nil while the key does not exist. The
// stream is inline in st (a key is one object, not two), so the pointer is
// good for as long as st is. st.mu is held.
func (st *streamState) stream() *stream.Stream {
	if !st.exists {
		return nil
	}
	return &st.mem
}

// create gives st an empty stream. st.mu is held.
func (st *streamState) create() {
	st.mem = stream.Stream{}
	st.exists = true
}

// install moves s into st as its stream; s must not be used afterwards.
// st.mu is held.
func (st *streamState) install(s *stream.Stream) {
	st.mem = *s
	st.exists = true
}

// drop removes st's stream, freeing its entries. st.mu is held.
func (st *streamState) drop() {
	st.exists = false
	st.mem = stream.Stream{}
}

// stateCold is the part of a streamState that most keys never use.
type stateCold struct {
	waiters []waitRef // blocked readers, in arrival order (block.go)
	err     error     // the log refused a mutation applied here: no more writes
	sweepAt uint64    // the sweeper's deadline for this stream, 0: none (sweeper.go)
}

// sweepDeadline is the sweeper's deadline for st, 0: none. st.mu is held.
func (st *streamState) sweepDeadline() uint64 {
	if st.cold == nil {
		return 0
	}
	return st.cold.sweepAt
}

// setSweepDeadline records the sweeper's deadline for st. st.mu is held.
func (st *streamState) setSweepDeadline(at uint64) {
	if st.cold == nil {
		if at == 0 {
			return
		}
		st.cold = new(stateCold)
	}
	st.cold.sweepAt = at
}

// waitList returns the blocked readers. st.mu is held.
func (st *streamState) waitList() []waitRef {
	if st.cold == nil {
		return nil
	}
	return st.cold.waiters
}

// setWaiters replaces the blocked readers. st.mu is held.
func (st *streamState) setWaiters(w []waitRef) {
	if st.cold == nil {
		if len(w) == 0 {
			return
		}
		st.cold = new(stateCold)
	}
	st.cold.waiters = w
}

// failure returns the error of the mutation the log refused, if any. st.mu
// is held.
func (st *streamState) failure() error {
	if st.cold == nil {
		return nil
	}
	return st.cold.err
}

// setFailure records that the log refused a mutation and returns err.
// st.mu is held.
func (st *streamState) setFailure(err error) error {
	if st.cold == nil {
		st.cold = new(stateCold)
	}
	st.cold.err = err
	return err
}

func newRegistry(b *Broker) *registry {
	return &registry{b: b, m: newKeyTable()}
}

// lock returns key's state, locked. With create, a missing key gets a
// placeholder state (no stream) that the caller fills or drops with
// [registry.dropIfEmpty]; without it, a missing key or a placeholder is
// ErrNoStream (and nothing is locked).
func (r *registry) lock(key string, create bool) (*streamState, error) {
	for {
		r.mu.RLock()
		st, closed := r.m.get(key), r.closed
		r.mu.RUnlock()
		if closed {
			return nil, ErrClosed
		}
		if st == nil {
			if !create {
				return nil, ErrNoStream
			}
			var err error
			if st, err = r.insert(key); err != nil {
				return nil, err
			}
		}
		st.mu.Lock()
		if st.dead {
			st.mu.Unlock()
			continue
		}
		if st.stream() == nil && !create {
			st.mu.Unlock()
			return nil, ErrNoStream
		}
		if err := st.failure(); err != nil {
			st.mu.Unlock()
			return nil, err
		}
		return st, nil
	}
}

// insert returns key's state, adding a placeholder if missing.
func (r *registry) insert(key string) (*streamState, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return nil, ErrClosed
	}
	st := r.m.get(key)
	if st == nil {
		st = &streamState{key: key, pos: r.delPos.Load()}
		r.m.put(st)
	}
	return st, nil
}

// unlockAndDrop unlocks st and drops it from the registry if it is an unused
// placeholder.
func (r *registry) unlockAndDrop(st *streamState) {
	empty := st.stream() == nil && len(st.waitList()) == 0
	st.mu.Unlock()
	if empty {
		r.dropIfEmpty(st)
	}
}

// dropIfEmpty removes st from the map if it is a placeholder nobody waits on.
func (r *registry) dropIfEmpty(st *streamState) {
	r.mu.Lock()
	st.mu.Lock()
	if !st.dead && st.stream() == nil && len(st.waitList()) == 0 && r.m.remove(st) {
		st.dead = true
	}
	st.mu.Unlock()
	r.mu.Unlock()
}

// close ends every blocked reader with ErrClosed and refuses later calls.
func (r *registry) close() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.closed = true
	for st := range r.m.all() {
		st.mu.Lock()
		st.dead = true
		st.failWaitersLocked(func(*waiter) error { return ErrClosed })
		st.mu.Unlock()
	}
}

// Del deletes keys and returns how many existed (DEL). Blocked XReadGroup
// callers on a deleted stream return [ErrStreamDeleted]; blocked XRead
// callers keep waiting for the key to be created again, as in Redis.
// If ctx ends while it waits for the disk, the change is already applied:
// see "Cancellation" in the package documentation.
func (b *Broker) Del(ctx context.Context, keys ...string) (int64, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	var n int64
	var pos uint64
	for _, key := range keys {
		deleted, p, err := b.reg.del(key)
		if err != nil {
			return n, err
		}
		if deleted {
			n++
			pos = max(pos, p)
		}
	}
	return n, b.jr.wait(ctx, max(pos, b.reg.delPos.Load()))
}

// del deletes one key. The registry lock is held across the log append so a
// later re-creation of the key cannot reach the log before the deletion.
func (r *registry) del(key string) (bool, uint64, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return false, 0, ErrClosed
	}
	st := r.m.get(key)
	if st == nil {
		return false, 0, nil
	}
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.stream() == nil {
		return false, 0, nil
	}
	if err := st.failure(); err != nil {
		return false, 0, err
	}
	if err := r.b.jr.writable(); err != nil {
		return false, 0, err
	}
	t := tx{b: r.b, st: st}
	if _, err := t.apply(&mutation{kind: opDeleteKey, key: key}); err != nil {
		return false, 0, err
	}
	r.delPos.Store(max(r.delPos.Load(), st.pos))
	st.failWaitersLocked(func(w *waiter) error {
		if w.group != "" {
			return ErrStreamDeleted
		}
		return nil
	})
	if len(st.waitList()) == 0 {
		r.m.remove(st)
		st.dead = true
	}
	return true, st.pos, nil
}

// Exists returns how many of keys exist; a key named twice counts twice.
func (b *Broker) Exists(ctx context.Context, keys ...string) (int64, error) {
	var n int64
	for _, key := range keys {
		err := b.view(ctx, key, func(s *stream.Stream) error {
			if s != nil {
				n++
			}
			return nil
		})
		if err != nil {
			return 0, err
		}
	}
	return n, nil
}

// Type returns "stream" if key exists, "none" otherwise (TYPE).
func (b *Broker) Type(ctx context.Context, key string) (string, error) {
	n, err := b.Exists(ctx, key)
	if err != nil {
		return "", err
	}
	if n == 0 {
		return "none", nil
	}
	return "stream", nil
}

// Keys returns the names of the existing streams, sorted.
func (b *Broker) Keys(ctx context.Context) ([]string, error) {
	b.reg.mu.RLock()
	if b.reg.closed {
		b.reg.mu.RUnlock()
		return nil, ErrClosed
	}
	states := make([]*streamState, 0, b.reg.m.Len())
	for st := range b.reg.m.all() {
		states = append(states, st)
	}
	b.reg.mu.RUnlock()
	var keys []string
	var pos uint64
	for _, st := range states {
		st.mu.Lock()
		if st.stream() != nil && !st.dead {
			keys = append(keys, st.key)
			pos = max(pos, st.pos)
		}
		st.mu.Unlock()
	}
	sort.Strings(keys)
	return keys, b.jr.wait(ctx, max(pos, b.reg.delPos.Load()))
}
