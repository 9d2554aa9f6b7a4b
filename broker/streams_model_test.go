package broker_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"reflect"
	"testing"
	"time"

	"github.com/brookmq/brook/broker"
	"github.com/brookmq/brook/stream"
	"github.com/brookmq/brook/wal/faultfs"
)

// model is the reference for TestBrokerModel: one stream.Stream per key,
// with the key lifecycle rules written out plainly (a key exists from its
// first successful XADD or XGROUP CREATE MKSTREAM until DEL; failed or
// NOMKSTREAM calls create nothing).
type model map[string]*stream.Stream

// modelOp is one random operation, applied to the broker and to the model.
type modelOp struct {
	name   string
	broker func(b *broker.Broker) error
	model  func(m model) error
}

func randomOp(rng *rand.Rand, clk *fakeClock) modelOp {
	ctx := context.Background()
	key := fmt.Sprint("k", rng.IntN(3))
	group := fmt.Sprint("g", rng.IntN(2))
	consumer := fmt.Sprint("c", rng.IntN(2))
	id := stream.ID{Ms: uint64(rng.IntN(8)), Seq: uint64(rng.IntN(3))}
	switch r := rng.IntN(100); {
	case r < 40:
		o := broker.AddOptions{NoMkStream: rng.IntN(8) == 0}
		switch rng.IntN(3) {
		case 0:
			o.ID = stream.ExplicitID(id)
		case 1:
			o.ID = stream.PartialID(id.Ms)
		}
		if rng.IntN(4) == 0 {
			o.Trim = stream.Trim{Strategy: stream.TrimMaxLen, MaxLen: int64(rng.IntN(4))}
		}
		now := uint64(clk.Now().UnixMilli())
		return modelOp{fmt.Sprintf("XADD %s %v %+v", key, o.ID, o),
			func(b *broker.Broker) error { _, err := b.XAdd(ctx, key, fields("f", "v"), o); return err },
			func(m model) error {
				s := m[key]
				if s == nil {
					if o.NoMkStream {
						return broker.ErrNoStream
					}
					s = stream.New()
				}
				nid, err := s.NextID(o.ID, now)
				if err == nil {
					err = s.Append(nid, fields("f", "v"))
				}
				if err != nil {
					return err
				}
				s.Trim(o.Trim)
				m[key] = s
				return nil
			}}
	case r < 48:
		return modelOp{"XDEL " + key, func(b *broker.Broker) error { _, err := b.XDel(ctx, key, id); return err },
			func(m model) error {
				if s := m[key]; s != nil {
					s.Delete(id)
				}
				return nil
			}}
	case r < 53:
		return modelOp{"DEL " + key, func(b *broker.Broker) error { _, err := b.Del(ctx, key); return err },
			func(m model) error { delete(m, key); return nil }}
	case r < 63:
		mk := rng.IntN(2) == 0
		return modelOp{fmt.Sprintf("XGROUP CREATE %s %s %v mk=%v", key, group, id, mk),
			func(b *broker.Broker) error {
				return b.XGroupCreate(ctx, key, group, broker.GroupCreateOptions{Start: broker.After(id), MkStream: mk})
			},
			func(m model) error {
				s := m[key]
				if s == nil {
					if !mk {
						return broker.ErrNoStream
					}
					s = stream.New()
					m[key] = s
				}
				return s.CreateGroup(group, id, stream.EntriesReadUnknown)
			}}
	case r < 85:
		now, count, isNew := uint64(clk.Now().UnixMilli()), rng.IntN(3), rng.IntN(3) > 0
		return modelOp{fmt.Sprintf("XREADGROUP %s %s %s new=%v", key, group, consumer, isNew),
			func(b *broker.Broker) error {
				from := broker.After(stream.MinID)
				if isNew {
					from = broker.Undelivered()
				}
				_, err := b.XReadGroup(ctx, group, consumer, []broker.ReadStream{{Key: key, From: from}}, broker.GroupReadOptions{Count: count})
				return err
			},
			func(m model) error {
				s := m[key]
				if s == nil {
					return broker.ErrNoStream
				}
				if _, err := s.CreateConsumer(group, consumer, now); err != nil {
					return err
				}
				var err error
				if isNew {
					_, err = s.ReadGroupNew(group, consumer, now, count, false)
				} else {
					_, err = s.ReadGroupHistory(group, consumer, now, stream.MinID, count)
				}
				return err
			}}
	default:
		return modelOp{fmt.Sprintf("XACK %s %s %v", key, group, id),
			func(b *broker.Broker) error { _, err := b.XAck(ctx, key, group, id); return err },
			func(m model) error {
				if s := m[key]; s != nil {
					s.Ack(group, id)
				}
				return nil
			}}
	}
}

// TestBrokerModel applies random operations to a broker and to the model
// and compares errors and every key's full state after each one; the
// durable broker is then reopened and compared again.
func TestBrokerModel(t *testing.T) {
	eachKind(t, func(t *testing.T, k kind) {
		for seed := range uint64(3) {
			rng := rand.New(rand.NewPCG(seed, 99))
			b, clk, fsys := k.openFS(t, 1)
			m := model{}
			for step := range 200 {
				op := randomOp(rng, clk)
				errB, errM := op.broker(b), op.model(m)
				if !sameError(errB, errM) {
					t.Fatalf("seed %d step %d %s: broker error %v, model error %v", seed, step, op.name, errB, errM)
				}
				if d := diffModel(b, m, clk, false); d != "" {
					t.Fatalf("seed %d step %d %s: %s", seed, step, op.name, d)
				}
				clk.Advance(time.Duration(rng.IntN(3)) * time.Millisecond)
			}
			if fsys == nil {
				continue
			}
			// A killed process leaves only the log (replay); a closed broker
			// leaves a snapshot too. A consumer's seen-time moved by a read
			// that found nothing is not logged (as in Redis): replay may differ.
			killed := fsys.Kill()
			b.Close()
			for name, fs := range map[string]*faultfs.FS{"killed": killed, "closed": fsys} {
				r, err := broker.Open("/data", broker.Options{Clock: clk.Now, Durability: broker.DurabilityOptions{FS: fs, Logf: t.Logf}})
				if err != nil {
					t.Fatal(err)
				}
				if d := diffModel(r, m, clk, name == "killed"); d != "" {
					t.Errorf("seed %d, reopened %s: %s", seed, name, d)
				}
				r.Close()
			}
		}
	})
}

// sameError reports whether the broker's and the model's errors agree: both
// nil, or the same sentinel.
func sameError(got, want error) bool {
	if got == nil || want == nil {
		return got == want
	}
	for _, e := range []error{broker.ErrNoStream, stream.ErrNoGroup, stream.ErrGroupExists,
		stream.ErrIDZero, stream.ErrIDTooSmall, stream.ErrTooLarge, stream.ErrExhausted} {
		if errors.Is(want, e) {
			return errors.Is(got, e)
		}
	}
	return false
}

// diffModel compares every key of b with m, consumers' seen-times too
// unless ignoreSeen.
func diffModel(b *broker.Broker, m model, clk *fakeClock, ignoreSeen bool) string {
	ctx := context.Background()
	for _, key := range []string{"k0", "k1", "k2"} {
		s := m[key]
		in, err := b.XInfoStreamFull(ctx, key, 0)
		if s == nil {
			if !errors.Is(err, broker.ErrNoStream) {
				return fmt.Sprintf("%s exists in the broker only (%v)", key, err)
			}
			continue
		}
		if err != nil {
			return fmt.Sprintf("%s: %v", key, err)
		}
		want := fullOf(s, uint64(clk.Now().UnixMilli()))
		if ignoreSeen {
			clearSeen(in.Groups)
			clearSeen(want.Groups)
		}
		if !reflect.DeepEqual(in, want) {
			return fmt.Sprintf("%s:\n got %+v\nwant %+v", key, in, want)
		}
	}
	return ""
}

func clearSeen(groups []broker.GroupFull) {
	for gi := range groups {
		for ci := range groups[gi].Consumers {
			groups[gi].Consumers[ci].Seen = time.Time{}
		}
	}
}

// fullOf is XINFO STREAM FULL of the model's stream s, with no COUNT, on
// the broker clock reading nowMs (idle times are measured from it).
func fullOf(s *stream.Stream, nowMs uint64) broker.StreamFullInfo {
	in := broker.StreamFullInfo{Info: s.Info(), Entries: s.Range(stream.MinID, stream.MaxID, 0)}
	for _, g := range s.GroupsFull(0) {
		gf := broker.GroupFull{Name: g.Name, LastDeliveredID: g.LastDeliveredID, EntriesRead: g.EntriesRead,
			Lag: g.Lag, LagUnknown: g.LagUnknown, PELCount: g.PELCount, Pending: pendingAt(g.Pending, nowMs)}
		for _, c := range g.Consumers {
			cf := broker.ConsumerFull{Name: c.Name, Seen: time.UnixMilli(int64(c.SeenMs)), PELCount: c.PELCount,
				Pending: pendingAt(c.Pending, nowMs)}
			if c.ActiveMs >= 0 {
				cf.Active = time.UnixMilli(c.ActiveMs)
			}
			gf.Consumers = append(gf.Consumers, cf)
		}
		in.Groups = append(in.Groups, gf)
	}
	return in
}

// pendingAt converts the model's pending entries, idle times as of nowMs.
func pendingAt(ps []stream.Pending, nowMs uint64) []broker.Pending {
	if ps == nil {
		return nil
	}
	out := make([]broker.Pending, len(ps))
	for i, p := range ps {
		var idle time.Duration
		if nowMs > p.DeliveryMs {
			idle = time.Duration(nowMs-p.DeliveryMs) * time.Millisecond
		}
		out[i] = broker.Pending{ID: p.ID, Consumer: p.Consumer, Delivered: time.UnixMilli(int64(p.DeliveryMs)),
			Idle: idle, Deliveries: p.DeliveryCount}
	}
	return out
}
