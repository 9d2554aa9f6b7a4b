package main

import (
	"context"
	"log"
	"strconv"
	"sync"
	"time"

	"github.com/brookmq/brook/broker"
)

// shop is one process's run: its producer and workers, and its view of
// "orders:done" and of the dead letters (every process's), read from the
// streams at start and kept up to date by reading what was added since.
type shop struct {
	b   broker.Client
	c   Config
	log *log.Logger // the story's lines, one at a time

	mu       sync.Mutex  // makes "check, then record" one step for this process's workers
	done     map[int]int // order -> entries in doneKey
	dead     map[int]int // order -> entries in deadKey
	lastDone broker.ID   // the last entry read of each
	lastDead broker.ID
	loaded   bool // whether the first refresh is over (only later dead letters are news)
}

// refresh reads the entries added to doneKey and deadKey since the last
// call, by this process or another.
func (s *shop) refresh(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.refreshLocked(ctx)
}

func (s *shop) refreshLocked(ctx context.Context) error {
	err := readAfter(ctx, s.b, doneKey, &s.lastDone, func(e broker.Entry) { s.done[orderID(e)]++ })
	if err != nil {
		return err
	}
	return readAfter(ctx, s.b, deadKey, &s.lastDead, func(e broker.Entry) {
		s.dead[orderID(e)]++
		if d, err := broker.ParseDeadLetter(e); err == nil && s.loaded {
			s.log.Printf("order %d dead-lettered after %d deliveries: %s", orderID(e), d.Deliveries, d.Error)
		}
	})
}

// readAfter calls fn on each entry of key after *last, in pages of XRANGE,
// and moves *last on.
func readAfter(ctx context.Context, b broker.Client, key string, last *broker.ID, fn func(broker.Entry)) error {
	for {
		from, ok := last.Next() // from 0-1 at first: 0-0 is no entry's ID
		if !ok {
			return nil
		}
		page, err := b.XRange(ctx, key, from, broker.MaxID, 100)
		if err != nil || len(page) == 0 {
			return err
		}
		for _, e := range page {
			fn(e)
		}
		*last = page[len(page)-1].ID
	}
}

// settled returns how many orders are done or dead.
func (s *shop) settled() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for order := 1; order <= s.c.Orders; order++ {
		if s.done[order] > 0 || s.dead[order] > 0 {
			n++
		}
	}
	return n
}

func (s *shop) isDone(order int) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.done[order] > 0
}

// record appends order to doneKey unless it is there already, having read
// what other processes added. A worker killed between recording an order
// and acknowledging it thus does not get it recorded twice when the order is
// delivered again. Two processes do not handle one order at once: the
// worker reclaims an order only once it has been idle for ReclaimIdle, far
// longer than handling takes.
func (s *shop) record(ctx context.Context, name string, order int) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.refreshLocked(ctx); err != nil || s.done[order] > 0 {
		return err
	}
	fields := []broker.Field{{Name: "order_id", Value: strconv.Itoa(order)}, {Name: "worker", Value: name}}
	if _, err := s.b.XAdd(ctx, doneKey, fields, broker.AddOptions{}); err != nil {
		return err
	}
	s.log.Printf("%s order %d processed", name, order)
	return s.refreshLocked(ctx) // reads it back
}

// wait returns once every order is done or dead and nothing is pending
// (this process's work and any other's).
func (s *shop) wait(ctx context.Context) error {
	for {
		if err := s.refresh(ctx); err != nil {
			return err
		}
		if s.settled() == s.c.Orders {
			p, err := s.b.XPending(ctx, ordersKey, group)
			if err != nil || p.Count == 0 {
				return err
			}
		}
		select {
		case <-time.After(50 * time.Millisecond):
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// orderID returns the order_id field of an entry, or -1.
func orderID(e broker.Entry) int {
	for _, f := range e.Fields {
		if f.Name == "order_id" {
			if n, err := strconv.Atoi(f.Value); err == nil {
				return n
			}
		}
	}
	return -1
}
