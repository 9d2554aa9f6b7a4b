package broker_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"reflect"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/brookmq/brook/broker"
	"github.com/brookmq/brook/stream"
)

// msClock is a clock the tests move by hand, safe for concurrent use.
type msClock struct{ ms atomic.Int64 }

func newMsClock(ms int64) *msClock {
	c := &msClock{}
	c.ms.Store(ms)
	return c
}

func (c *msClock) Now() time.Time          { return time.UnixMilli(c.ms.Load()) }
func (c *msClock) advance(d time.Duration) { c.ms.Add(d.Milliseconds()) }

// workload runs random stream and group operations on a few keys, groups
// and consumers, so that every kind of mutation is logged, including ones
// that fail.
type workload struct {
	rng   *rand.Rand
	clock *msClock
	n     int
}

func newWorkload(seed uint64, clock *msClock) *workload {
	return &workload{rng: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)), clock: clock}
}

func (w *workload) key() string      { return "s" + strconv.Itoa(w.rng.IntN(3)) }
func (w *workload) group() string    { return "g" + strconv.Itoa(w.rng.IntN(2)) }
func (w *workload) consumer() string { return "c" + strconv.Itoa(w.rng.IntN(3)) }

// pendingIDs returns up to 3 IDs pending in key's group, plus maybe a made-up one.
func (w *workload) pendingIDs(ctx context.Context, b *broker.Broker, key, group string) []stream.ID {
	ps, _ := b.XPendingRange(ctx, key, group, broker.PendingOptions{Start: stream.MinID, End: stream.MaxID, Count: 20})
	var ids []stream.ID
	for _, p := range ps {
		if w.rng.IntN(3) == 0 && len(ids) < 3 {
			ids = append(ids, p.ID)
		}
	}
	if w.rng.IntN(4) == 0 {
		ids = append(ids, stream.ID{Ms: w.rng.Uint64N(1 << 42), Seq: 0})
	}
	return ids
}

// step runs one random operation on every broker in bs (the same call on
// each: a durable broker and its in-memory twin), choosing its arguments
// from bs[0]. Operation errors (no such group, ID too small...) are part of
// the workload; only bs[0]'s durability error is returned.
func (w *workload) step(ctx context.Context, bs ...*broker.Broker) error {
	w.n++
	w.clock.advance(time.Duration(w.rng.IntN(40)) * time.Millisecond)
	op := w.pick(ctx, bs[0])
	var first error
	for i, b := range bs {
		if err := op(b); i == 0 {
			first = durabilityError(err)
		}
	}
	return first
}

// pick chooses a random operation and its arguments.
func (w *workload) pick(ctx context.Context, b0 *broker.Broker) func(b *broker.Broker) error {
	key, group, consumer := w.key(), w.group(), w.consumer()
	minIdle := time.Duration(w.rng.IntN(50)) * time.Millisecond
	if w.rng.IntN(100) < 15 {
		return w.pickRedis8(ctx, b0, key, group, consumer, minIdle)
	}
	switch r := w.rng.IntN(100); {
	case r >= 27 && r < 35:
		return w.pickPolicy(ctx, key, r)
	case r < 35:
		o := broker.AddOptions{}
		if w.rng.IntN(10) == 0 {
			o.Trim = stream.Trim{Strategy: stream.TrimMaxLen, MaxLen: int64(w.rng.IntN(20))}
		}
		f := []stream.Field{{Name: "n", Value: strconv.Itoa(w.n)}, {Name: "k", Value: key}}
		return func(b *broker.Broker) error { _, err := b.XAdd(ctx, key, f, o); return err }
	case r < 50:
		s := []broker.ReadStream{{Key: key, From: broker.Undelivered()}}
		o := broker.GroupReadOptions{Count: 1 + w.rng.IntN(4), NoAck: w.rng.IntN(10) == 0}
		return func(b *broker.Broker) error { _, err := b.XReadGroup(ctx, group, consumer, s, o); return err }
	case r < 55:
		s := []broker.ReadStream{{Key: key}}
		return func(b *broker.Broker) error {
			_, err := b.XReadGroup(ctx, group, consumer, s, broker.GroupReadOptions{Count: 3})
			return err
		}
	case r < 65:
		ids := w.pendingIDs(ctx, b0, key, group)
		return func(b *broker.Broker) error { _, err := b.XAck(ctx, key, group, ids...); return err }
	case r < 70:
		ids := w.pendingIDs(ctx, b0, key, group)
		o := broker.ClaimOptions{MinIdle: minIdle, RetryCount: new(w.rng.Uint64N(5)), Force: w.rng.IntN(2) == 0}
		return func(b *broker.Broker) error {
			_, err := b.XClaim(ctx, key, group, consumer, ids, o)
			return err
		}
	case r < 75:
		o := broker.AutoClaimOptions{MinIdle: minIdle, Start: stream.MinID, Count: 1 + w.rng.IntN(5), JustID: w.rng.IntN(2) == 0}
		return func(b *broker.Broker) error {
			_, err := b.XAutoClaim(ctx, key, group, consumer, o)
			return err
		}
	case r < 80:
		ids := w.pendingIDs(ctx, b0, key, group)
		return func(b *broker.Broker) error { _, err := b.XDel(ctx, key, ids...); return err }
	case r < 82:
		t := stream.Trim{Strategy: stream.TrimMaxLen, MaxLen: int64(w.rng.IntN(30))}
		return func(b *broker.Broker) error { _, err := b.XTrim(ctx, key, t); return err }
	case r < 90:
		o := broker.GroupCreateOptions{MkStream: true}
		if w.rng.IntN(2) == 0 {
			o.Start = broker.Latest()
		}
		return func(b *broker.Broker) error { return b.XGroupCreate(ctx, key, group, o) }
	case r < 92:
		o := broker.GroupSetIDOptions{Start: broker.After(stream.MinID)}
		if w.rng.IntN(2) == 0 {
			o.Start = broker.Latest()
		}
		return func(b *broker.Broker) error { return b.XGroupSetID(ctx, key, group, o) }
	case r < 94:
		return func(b *broker.Broker) error { _, err := b.XGroupDestroy(ctx, key, group); return err }
	case r < 97:
		return func(b *broker.Broker) error { _, err := b.XGroupCreateConsumer(ctx, key, group, consumer); return err }
	case r < 99:
		return func(b *broker.Broker) error { _, err := b.XGroupDelConsumer(ctx, key, group, consumer); return err }
	default:
		return func(b *broker.Broker) error { _, err := b.Del(ctx, key); return err }
	}
}

// pickPolicy chooses an idempotent append (most of the time), an IDMP
// max size or a retention policy without MaxAge, acked a third of the
// time. The workload leaves time alone (IDMP duration and MaxAge): the
// streams' deadlines stay about 100 s of the fake clock ahead, which no run
// reaches, so no sweep runs at a moment that would differ between two
// brokers or across a reopen.
func (w *workload) pickPolicy(ctx context.Context, key string, r int) func(b *broker.Broker) error {
	switch {
	case r < 33:
		f := []stream.Field{{Name: "n", Value: strconv.Itoa(w.rng.IntN(4))}, {Name: "k", Value: key}}
		o := broker.AddOptions{Idempotency: broker.Idempotency{Producer: "p" + strconv.Itoa(w.rng.IntN(2))}}
		if w.rng.IntN(3) == 0 {
			o.Idempotency.Auto = true
			w.rng.Shuffle(len(f), func(i, j int) { f[i], f[j] = f[j], f[i] })
		} else {
			o.Idempotency.ID = "i" + strconv.Itoa(w.rng.IntN(6))
		}
		if w.rng.IntN(5) == 0 {
			o.Trim = stream.Trim{Strategy: stream.TrimMaxLen, MaxLen: int64(w.rng.IntN(5))}
		}
		return func(b *broker.Broker) error { _, err := b.XAdd(ctx, key, f, o); return err }
	case r < 34:
		c := broker.StreamConfig{IdmpMaxSize: 1 + w.rng.IntN(4)}
		return func(b *broker.Broker) error { return b.XCfgSet(ctx, key, c) }
	default:
		ret := broker.Retention{MaxLen: int64(w.rng.IntN(30)), MaxBytes: int64(w.rng.IntN(3)) * 100, Acked: w.rng.IntN(3) == 0}
		return func(b *broker.Broker) error { return b.SetRetention(ctx, key, ret) }
	}
}

// durabilityError keeps the errors a healthy durable broker never returns:
// everything but the documented refusals of bad requests.
func durabilityError(err error) error {
	switch {
	case err == nil,
		errors.Is(err, broker.ErrNoStream),
		errors.Is(err, broker.ErrNoGroup),
		errors.Is(err, broker.ErrGroupExists),
		errors.Is(err, broker.ErrIDTooSmall):
		return nil
	}
	return err
}

// state is everything a client can observe of a broker's streams.
type state map[string]broker.StreamFullInfo

// observe returns b's observable state.
func observe(t testing.TB, b *broker.Broker) state {
	t.Helper()
	ctx := context.Background()
	keys, err := b.Keys(ctx)
	if err != nil {
		t.Fatalf("Keys: %v", err)
	}
	st := make(state, len(keys))
	for _, k := range keys {
		in, err := b.XInfoStreamFull(ctx, k, 0)
		if err != nil {
			t.Fatalf("XInfoStreamFull %q: %v", k, err)
		}
		// A consumer's seen-time also moves on reads and claims that find
		// nothing; like Redis, the broker does not log those, so it is not
		// part of the state a restart keeps. Idle times are measured when
		// the call runs, from the delivery times that are kept.
		for gi := range in.Groups {
			g := &in.Groups[gi]
			clearIdle(g.Pending)
			for ci := range g.Consumers {
				g.Consumers[ci].Seen = time.Time{}
				clearIdle(g.Consumers[ci].Pending)
			}
		}
		st[k] = in
	}
	return st
}

// clearIdle zeroes the idle times of ps.
func clearIdle(ps []broker.Pending) {
	for i := range ps {
		ps[i].Idle = 0
	}
}

// diffState describes the first difference between two states, or "".
func diffState(got, want state) string {
	for k, w := range want {
		g, ok := got[k]
		if !ok {
			return fmt.Sprintf("stream %q missing", k)
		}
		if !reflect.DeepEqual(g, w) {
			return fmt.Sprintf("stream %q:\n got %+v\nwant %+v", k, g, w)
		}
	}
	for k := range got {
		if _, ok := want[k]; !ok {
			return fmt.Sprintf("unexpected stream %q", k)
		}
	}
	return ""
}
