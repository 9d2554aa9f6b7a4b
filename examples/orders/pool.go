package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"sync"
	"time"

	"github.com/brookmq/brook/broker"
)

// pool is the producer and the workers of one run.
type pool struct {
	b   broker.Client
	c   Config
	l   *ledger
	out io.Writer

	outMu sync.Mutex // serialises the lines written to out
}

func (p *pool) say(format string, args ...any) {
	p.outMu.Lock()
	defer p.outMu.Unlock()
	fmt.Fprintf(p.out, format+"\n", args...)
}

// run produces the missing orders and runs the workers until every order is
// recorded as done or dead, or ctx ends.
func (p *pool) run(ctx context.Context) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	errs := make(chan error, p.c.Workers+1)
	wg.Add(1)
	go func() {
		defer wg.Done()
		errs <- p.produce(ctx)
	}()
	for i := 1; i <= p.c.Workers; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs <- p.work(ctx, cancel, "w"+strconv.Itoa(i))
		}()
	}
	wg.Wait()
	close(errs)
	var first error
	for err := range errs {
		if err != nil && !errors.Is(err, context.Canceled) && first == nil {
			first = err
		}
	}
	if first == nil {
		first = context.Cause(ctx)
		if p.l.count() >= p.c.Orders {
			first = nil // the workers cancelled ctx: everything is done
		}
	}
	return first
}

// produce adds orders after the last one in the stream, up to c.Orders.
func (p *pool) produce(ctx context.Context) error {
	last, err := p.b.XRevRange(ctx, ordersKey, broker.MaxID, broker.MinID, 1)
	if err != nil {
		return err
	}
	next := 1
	if len(last) == 1 {
		next = orderID(last[0]) + 1
	}
	for order := next; order <= p.c.Orders; order++ {
		fields := []broker.Field{
			{Name: "order_id", Value: strconv.Itoa(order)},
			{Name: "item", Value: items[order%len(items)]},
		}
		if _, err := p.b.XAdd(ctx, ordersKey, fields, broker.AddOptions{}); err != nil {
			return err
		}
		p.say("producer added order %d", order)
	}
	return nil
}

var items = []string{"book", "lamp", "pen", "mug", "chair"}

// work is one worker: it claims orders left pending too long by anyone
// (dead-lettering those delivered too often), then reads new ones, until
// every order is done or dead; then it cancels the run.
func (p *pool) work(ctx context.Context, finish context.CancelFunc, name string) error {
	for ctx.Err() == nil {
		if p.l.count() >= p.c.Orders {
			finish()
			return nil
		}
		if err := p.retry(ctx, name); err != nil {
			return err
		}
		got, err := p.b.XReadGroup(ctx, group, name,
			[]broker.ReadStream{{Key: ordersKey, From: broker.Undelivered()}},
			broker.GroupReadOptions{Count: 5, Block: p.c.Idle / 2})
		if err != nil {
			return err
		}
		for _, s := range got {
			for _, e := range s.Entries {
				if err := p.handle(ctx, name, e, 1); err != nil {
					return err
				}
			}
		}
	}
	return ctx.Err()
}

// retry claims the orders pending for at least c.Idle. XCLAIM with a
// minimum idle time is what keeps two workers from taking the same order: the
// first claim makes it idle no more.
func (p *pool) retry(ctx context.Context, name string) error {
	pending, err := p.b.XPendingRange(ctx, ordersKey, group, broker.PendingOptions{MinIdle: p.c.Idle, Count: 10})
	if err != nil {
		return err
	}
	for _, pe := range pending {
		claimed, err := p.b.XClaim(ctx, ordersKey, group, name, []broker.ID{pe.ID}, broker.ClaimOptions{MinIdle: p.c.Idle})
		if err != nil {
			return err
		}
		for _, e := range claimed {
			if pe.Deliveries >= p.c.MaxDeliveries {
				if err := p.deadLetter(ctx, name, e, pe.Deliveries); err != nil {
					return err
				}
				continue
			}
			if err := p.handle(ctx, name, e, pe.Deliveries+1); err != nil {
				return err
			}
		}
	}
	return nil
}

// handle processes one delivery of an order. A failure leaves the order
// pending, to be claimed again after the idle time.
func (p *pool) handle(ctx context.Context, name string, e broker.Entry, delivery uint64) error {
	order := orderID(e)
	if !p.done(order) {
		select {
		case <-time.After(p.c.Work): // the work itself
		case <-ctx.Done():
			return ctx.Err()
		}
		if poisoned(order) || flaky(order) && delivery == 1 {
			p.say("%s order %d failed (delivery %d)", name, order, delivery)
			return nil
		}
		recorded, err := p.l.record(ctx, p.b, doneKey, p.l.done, order, broker.Field{Name: "worker", Value: name})
		if err != nil {
			return err
		}
		if recorded {
			p.say("%s order %d processed (delivery %d)", name, order, delivery)
		}
	}
	_, err := p.b.XAck(ctx, ordersKey, group, e.ID)
	return err
}

func (p *pool) done(order int) bool {
	p.l.mu.Lock()
	defer p.l.mu.Unlock()
	return p.l.done[order]
}

// deadLetter moves an order that failed too often to the dead-letter stream
// and acknowledges it.
func (p *pool) deadLetter(ctx context.Context, name string, e broker.Entry, deliveries uint64) error {
	order := orderID(e)
	recorded, err := p.l.record(ctx, p.b, deadKey, p.l.dead, order,
		broker.Field{Name: "deliveries", Value: strconv.FormatUint(deliveries, 10)},
		broker.Field{Name: "entry", Value: e.ID.String()})
	if err != nil {
		return err
	}
	if recorded {
		p.say("%s order %d dead-lettered after %d deliveries", name, order, deliveries)
	}
	_, err = p.b.XAck(ctx, ordersKey, group, e.ID)
	return err
}
