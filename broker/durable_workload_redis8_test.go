package broker_test

import (
	"context"
	"strconv"
	"time"

	"github.com/brookmq/brook/broker"
	"github.com/brookmq/brook/stream"
)

// pickRedis8 chooses one of the Redis 8 operations (XNACK, XREADGROUP
// CLAIM, XACKDEL, XDELEX, reference-mode trims) and its arguments.
func (w *workload) pickRedis8(ctx context.Context, b0 *broker.Broker, key, group, consumer string, minIdle time.Duration) func(b *broker.Broker) error {
	ref := broker.RefMode(w.rng.IntN(3))
	switch w.rng.IntN(7) {
	case 0, 1:
		ids := w.pendingIDs(ctx, b0, key, group)
		o := broker.NackOptions{Mode: broker.NackMode(w.rng.IntN(3)), Force: w.rng.IntN(3) == 0}
		if w.rng.IntN(4) == 0 {
			o.RetryCount = new(w.rng.Uint64N(5))
		}
		return func(b *broker.Broker) error { _, err := b.XNack(ctx, key, group, ids, o); return err }
	case 2, 3:
		s := []broker.ReadStream{{Key: key, From: broker.Undelivered()}}
		o := broker.GroupReadOptions{Count: w.rng.IntN(4), NoAck: w.rng.IntN(10) == 0, ClaimMinIdle: &minIdle}
		return func(b *broker.Broker) error { _, err := b.XReadGroup(ctx, group, consumer, s, o); return err }
	case 4:
		ids := w.pendingIDs(ctx, b0, key, group)
		return func(b *broker.Broker) error {
			_, err := b.XAckDel(ctx, key, group, ids, broker.RefOptions{Ref: ref})
			return err
		}
	case 5:
		ids := w.pendingIDs(ctx, b0, key, group)
		return func(b *broker.Broker) error {
			_, err := b.XDelEx(ctx, key, ids, broker.RefOptions{Ref: ref})
			return err
		}
	default:
		t := stream.Trim{Strategy: stream.TrimMaxLen, MaxLen: int64(w.rng.IntN(20)), Approx: w.rng.IntN(2) == 0, Ref: ref}
		if w.rng.IntN(2) == 0 {
			f := []stream.Field{{Name: "n", Value: strconv.Itoa(w.n)}}
			return func(b *broker.Broker) error { _, err := b.XAdd(ctx, key, f, broker.AddOptions{Trim: t}); return err }
		}
		return func(b *broker.Broker) error { _, err := b.XTrim(ctx, key, t); return err }
	}
}
