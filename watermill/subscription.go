package watermill

import (
	"context"
	"errors"
	"time"

	"github.com/ThreeDotsLabs/watermill"
	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/brookmq/brook/broker"
)

// releasedAt is the delivery time given to released entries: long enough
// ago that any ClaimMinIdle has passed.
var releasedAt = time.UnixMilli(1)

// subscription is one Subscribe call: a goroutine (run) that reads entries
// for its consumer and hands them out one at a time. Its fields are used by
// that goroutine only.
type subscription struct {
	b        *broker.Broker
	cfg      SubscriberConfig
	log      watermill.LoggerAdapter
	topic    string
	group    string
	consumer string
	// ephemeral: the group is this subscription's own (FanOut), destroyed
	// at the end.
	ephemeral bool
	// generated: the consumer name was made up for this subscription,
	// deleted from the group at the end.
	generated bool
	out       chan *message.Message

	queue       []broker.Entry // read, pending for consumer, not yet handed out
	historyDone bool           // the consumer's own pending entries were all read
	historyNext broker.ID      // the history read continues after this ID
	claimNext   broker.ID      // the XAUTOCLAIM scan continues from this ID
}

// run delivers until ctx ends or a broker error, then closes out and
// releases what the consumer holds.
func (s *subscription) run(ctx context.Context) {
	defer close(s.out)
	defer s.cleanup()
	for {
		if len(s.queue) == 0 {
			if err := s.fill(ctx); err != nil {
				s.logEnd(ctx, err)
				return
			}
			continue
		}
		e := s.queue[0]
		s.queue = s.queue[1:]
		if err := s.deliver(ctx, e); err != nil {
			s.logEnd(ctx, err)
			return
		}
	}
}

// fill queues the next entries: the consumer's own pending entries first
// (left by an earlier run under the same name), then entries to claim from
// other consumers (released or idle), then new entries, waiting up to
// BlockTime for them. It may return with the queue still empty.
func (s *subscription) fill(ctx context.Context) error {
	if !s.historyDone {
		res, err := s.b.XReadGroup(ctx, s.group, s.consumer,
			[]broker.ReadStream{{Key: s.topic, From: broker.After(s.historyNext)}},
			broker.GroupReadOptions{Count: s.cfg.ReadCount})
		if err != nil {
			return err
		}
		if len(res) == 0 || len(res[0].Entries) == 0 {
			s.historyDone = true
			return nil
		}
		s.queue = res[0].Entries
		s.historyNext = s.queue[len(s.queue)-1].ID
		return nil
	}
	claimed, err := s.b.XAutoClaim(ctx, s.topic, s.group, s.consumer, broker.AutoClaimOptions{
		MinIdle: s.cfg.ClaimMinIdle, Start: s.claimNext, Count: s.cfg.ReadCount,
	})
	if err != nil {
		return err
	}
	s.claimNext = claimed.Next
	if len(claimed.Claimed) > 0 {
		s.queue = claimed.Claimed
		return nil
	}
	res, err := s.b.XReadGroup(ctx, s.group, s.consumer,
		[]broker.ReadStream{{Key: s.topic, From: broker.Undelivered()}},
		broker.GroupReadOptions{Count: s.cfg.ReadCount, Block: s.cfg.BlockTime})
	if err != nil {
		return err
	}
	if len(res) > 0 {
		s.queue = res[0].Entries
	}
	return nil
}

// deliver hands out e and waits until it is acked (then XACKs it) or nacked
// (then reads it again from the consumer's pending list and hands it out
// again, before any later entry). An entry deleted from the stream is
// acknowledged and skipped.
func (s *subscription) deliver(ctx context.Context, e broker.Entry) error {
	for {
		if e.Fields == nil {
			return s.ack(ctx, e.ID)
		}
		msg := decode(e)
		msgCtx, cancel := context.WithCancel(ctx)
		msg.SetContext(msgCtx)
		select {
		case s.out <- msg:
		case <-ctx.Done():
			cancel()
			return ctx.Err()
		}
		select {
		case <-msg.Acked():
			cancel()
			return s.ack(ctx, e.ID)
		case <-msg.Nacked():
			cancel()
		case <-ctx.Done():
			cancel()
			return ctx.Err()
		}
		if err := s.sleep(ctx, s.cfg.NackDelay); err != nil {
			return err
		}
		again, ok, err := s.reread(ctx, e.ID)
		if err != nil || !ok {
			return err
		}
		e = again
	}
}

// ack acknowledges id. An Ack the caller made is carried out even if the
// subscription is ending.
func (s *subscription) ack(ctx context.Context, id broker.ID) error {
	_, err := s.b.XAck(context.WithoutCancel(ctx), s.topic, s.group, id)
	return err
}

// reread reads id again from the consumer's pending list (a history read,
// which counts a delivery). ok is false when id is no longer pending for the
// consumer: another consumer claimed it after ClaimMinIdle.
func (s *subscription) reread(ctx context.Context, id broker.ID) (broker.Entry, bool, error) {
	prev, _ := id.Prev()
	res, err := s.b.XReadGroup(ctx, s.group, s.consumer,
		[]broker.ReadStream{{Key: s.topic, From: broker.After(prev)}},
		broker.GroupReadOptions{Count: 1})
	if err != nil {
		return broker.Entry{}, false, err
	}
	if len(res) == 0 || len(res[0].Entries) == 0 || res[0].Entries[0].ID != id {
		return broker.Entry{}, false, nil
	}
	return res[0].Entries[0], true, nil
}

// sleep waits for d or until ctx ends.
func (s *subscription) sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// logEnd logs the error that ended the subscription, unless it is the
// subscription's own end or the broker's.
func (s *subscription) logEnd(ctx context.Context, err error) {
	if ctx.Err() != nil || errors.Is(err, broker.ErrClosed) {
		return
	}
	s.log.Error("subscription ended", err, nil)
}

// cleanup gives up what the consumer holds once the subscription ends:
// a FanOut group is destroyed; otherwise the consumer's pending entries are
// released (claimed by ReleasedConsumer with a delivery time long past, so
// the next XAUTOCLAIM of any consumer takes them at once) and a generated
// consumer is deleted. A closed broker leaves everything as it is.
func (s *subscription) cleanup() {
	ctx := context.Background()
	if s.ephemeral {
		if _, err := s.b.XGroupDestroy(ctx, s.topic, s.group); err != nil {
			s.logCleanup(err)
		}
		return
	}
	pending, err := s.b.XPendingRange(ctx, s.topic, s.group, broker.PendingOptions{Consumer: s.consumer})
	if err != nil {
		s.logCleanup(err)
		return
	}
	if len(pending) > 0 {
		ids := make([]broker.ID, len(pending))
		for i, p := range pending {
			ids[i] = p.ID
		}
		_, err := s.b.XClaim(ctx, s.topic, s.group, ReleasedConsumer, ids,
			broker.ClaimOptions{Time: releasedAt, JustID: true})
		if err != nil {
			s.logCleanup(err)
			return
		}
	}
	if s.generated {
		if _, err := s.b.XGroupDelConsumer(ctx, s.topic, s.group, s.consumer); err != nil {
			s.logCleanup(err)
		}
	}
}

func (s *subscription) logCleanup(err error) {
	if errors.Is(err, broker.ErrClosed) || errors.Is(err, broker.ErrNoStream) || errors.Is(err, broker.ErrNoGroup) {
		return
	}
	s.log.Error("releasing pending entries", err, nil)
}
