package main

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"

	"github.com/brookmq/brook/broker"
)

// StreamKey is the stream that keeps every event, in the order emitted.
const StreamKey = "events:all"

// channelPrefix starts the Pub/Sub channel of every event: "events:<type>".
const channelPrefix = "events:"

// Event is one event on the bus. ID is its entry ID in [StreamKey]; it
// travels inside the Pub/Sub message too, so that a follower can tell
// which live messages it has already read from the stream.
type Event struct {
	ID   broker.ID `json:"-"`
	Type string    `json:"type"` // "order.placed", "stock.reserved", ...
	Data string    `json:"data"`
	Live bool      `json:"-"` // given to Follow's fn from Pub/Sub, not from the stream's history
}

// wire is an Event as published: with its ID as text.
type wire struct {
	ID   string `json:"id"`
	Type string `json:"type"`
	Data string `json:"data"`
}

// Bus emits events: it appends each one to [StreamKey], then publishes it on
// "events:<type>". It is safe for concurrent use.
type Bus struct {
	b broker.Client

	// mu makes each append-then-publish one step, so that events are
	// published in the order of their stream IDs. Without it, two services
	// emitting at once could append A then B but publish B then A, and a
	// follower switching from the stream to Pub/Sub could skip A.
	mu sync.Mutex
}

// NewBus returns a bus over b: the embedded broker or Redis.
func NewBus(b broker.Client) *Bus { return &Bus{b: b} }

// Emit appends the event to the stream and publishes it, and returns its ID.
func (bus *Bus) Emit(ctx context.Context, typ, data string) (broker.ID, error) {
	bus.mu.Lock()
	defer bus.mu.Unlock()
	id, err := bus.b.XAdd(ctx, StreamKey, []broker.Field{
		{Name: "type", Value: typ}, {Name: "data", Value: data},
	}, broker.AddOptions{})
	if err != nil {
		return broker.ID{}, err
	}
	payload, err := json.Marshal(wire{ID: id.String(), Type: typ, Data: data})
	if err != nil {
		return broker.ID{}, err
	}
	if _, err := bus.b.Publish(ctx, channelPrefix+typ, payload); err != nil {
		return broker.ID{}, err
	}
	return id, nil
}

// Follow calls fn with every event ever emitted, oldest first, then with
// each new one as it is emitted, until fn returns an error (returned) or ctx
// ends. Every event reaches fn exactly once and in order, however late
// Follow starts:
//
//  1. subscribe to "events:*" first: from now on every event emitted is
//     queued in the subscription (the queue is the buffer);
//  2. read the stream's history: every event appended so far, up to its
//     last ID (some of them may also be in the queue);
//  3. follow the queue, skipping the events whose ID is not after the
//     last one already given to fn.
//
// No gap: an event is either appended before step 2 reads the stream (and is
// in the history) or after the subscription of step 1 (and is in the queue).
// No duplicate: an event in both is recognised by its ID.
func (bus *Bus) Follow(ctx context.Context, fn func(Event) error) error {
	sub, err := bus.b.Listen(ctx, nil, []string{channelPrefix + "*"})
	if err != nil {
		return err
	}
	defer sub.Close()

	// The history: every event up to the last one now, in pages.
	var last broker.ID // the last event given to fn
	top, err := bus.b.XRevRange(ctx, StreamKey, broker.MaxID, broker.MinID, 1)
	if err != nil {
		return err
	}
	for len(top) > 0 && last.Compare(top[0].ID) < 0 {
		from := broker.MinID
		if last != (broker.ID{}) {
			from, _ = last.Next() // last < top
		}
		page, err := bus.b.XRange(ctx, StreamKey, from, top[0].ID, historyPage)
		if err != nil {
			return err
		}
		if len(page) == 0 {
			break // trimmed meanwhile
		}
		for _, e := range page {
			if err := fn(event(e)); err != nil {
				return err
			}
			last = e.ID
		}
	}

	for {
		m, err := sub.Next(ctx)
		if err != nil {
			return err
		}
		var w wire
		if err := json.Unmarshal(m.Payload, &w); err != nil {
			return fmt.Errorf("event on %s: %w", m.Channel, err)
		}
		id, err := broker.ParseID(w.ID)
		if err != nil {
			return fmt.Errorf("event on %s: %w", m.Channel, err)
		}
		if id.Compare(last) <= 0 {
			continue // already read from the stream
		}
		if err := fn(Event{ID: id, Type: w.Type, Data: w.Data, Live: true}); err != nil {
			return err
		}
		last = id
	}
}

// historyPage is how many events Follow reads from the stream at once.
const historyPage = 100

// event returns the Event of a stream entry.
func event(e broker.Entry) Event {
	ev := Event{ID: e.ID}
	for _, f := range e.Fields {
		switch f.Name {
		case "type":
			ev.Type = f.Value
		case "data":
			ev.Data = f.Value
		}
	}
	return ev
}
