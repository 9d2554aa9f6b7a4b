package watermill_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/brookmq/brook/broker"
	bw "github.com/brookmq/brook/watermill"
)

// failsafe bounds every wait for a message so that a bug fails the test
// instead of hanging it; it is not a performance threshold.
const failsafe = time.Minute

func newBroker(t *testing.T) *broker.Broker {
	t.Helper()
	b, err := broker.New(broker.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = b.Close() })
	return b
}

func newPub(t *testing.T, b *broker.Broker) *bw.Publisher {
	t.Helper()
	p, err := bw.NewPublisher(b, bw.PublisherConfig{})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func newSub(t *testing.T, b *broker.Broker, cfg bw.SubscriberConfig) *bw.Subscriber {
	t.Helper()
	s, err := bw.NewSubscriber(b, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

func publish(t *testing.T, p *bw.Publisher, topic string, uuids ...string) {
	t.Helper()
	msgs := make([]*message.Message, len(uuids))
	for i, u := range uuids {
		msgs[i] = message.NewMessage(u, []byte("payload of "+u))
	}
	if err := p.Publish(topic, msgs...); err != nil {
		t.Fatal(err)
	}
}

func recv(t *testing.T, ch <-chan *message.Message) *message.Message {
	t.Helper()
	select {
	case m, ok := <-ch:
		if !ok {
			t.Fatal("channel closed")
		}
		return m
	case <-time.After(failsafe):
		t.Fatal("no message")
		return nil
	}
}

func expectUUID(t *testing.T, m *message.Message, uuid string) {
	t.Helper()
	if m.UUID != uuid {
		t.Fatalf("got message %q, want %q", m.UUID, uuid)
	}
}

func TestFieldLayout(t *testing.T) {
	ctx := context.Background()
	b := newBroker(t)
	p := newPub(t, b)
	m := message.NewMessage("u1", []byte("p"))
	m.Metadata.Set("b", "2")
	m.Metadata.Set("a", "1")
	if err := p.Publish("t", m); err != nil {
		t.Fatal(err)
	}
	entries, err := b.XRange(ctx, "t", broker.MinID, broker.MaxID, 0)
	if err != nil {
		t.Fatal(err)
	}
	want := []broker.Field{{Name: "_uuid", Value: "u1"}, {Name: "_meta.a", Value: "1"}, {Name: "_meta.b", Value: "2"}, {Name: "_payload", Value: "p"}}
	if len(entries) != 1 || !slices.Equal(entries[0].Fields, want) {
		t.Fatalf("entries %v, want one with %v", entries, want)
	}

	// An entry from another producer is read leniently.
	id, err := b.XAdd(ctx, "t", []broker.Field{{Name: "x", Value: "y"}}, broker.AddOptions{})
	if err != nil {
		t.Fatal(err)
	}
	ch, err := newSub(t, b, bw.SubscriberConfig{}).Subscribe(ctx, "t")
	if err != nil {
		t.Fatal(err)
	}
	got := recv(t, ch)
	expectUUID(t, got, "u1")
	if string(got.Payload) != "p" || got.Metadata.Get("a") != "1" || got.Metadata.Get("b") != "2" || len(got.Metadata) != 2 {
		t.Fatalf("got payload %q metadata %v", got.Payload, got.Metadata)
	}
	got.Ack()
	got = recv(t, ch)
	expectUUID(t, got, id.String())
	if len(got.Payload) != 0 || len(got.Metadata) != 0 {
		t.Fatalf("foreign entry: payload %q metadata %v", got.Payload, got.Metadata)
	}
	got.Ack()
}

func TestNackRedeliversFirst(t *testing.T) {
	ctx := context.Background()
	b := newBroker(t)
	publish(t, newPub(t, b), "t", "m1", "m2")
	ch, err := newSub(t, b, bw.SubscriberConfig{Group: "g"}).Subscribe(ctx, "t")
	if err != nil {
		t.Fatal(err)
	}
	m := recv(t, ch)
	expectUUID(t, m, "m1")
	m.Nack()
	m = recv(t, ch)
	expectUUID(t, m, "m1")
	pending, err := b.XPendingRange(ctx, "t", "g", broker.PendingOptions{})
	if err != nil {
		t.Fatal(err)
	}
	// ReadCount fetched m2 too; m1 was delivered twice.
	if len(pending) != 2 || pending[0].Deliveries != 2 || pending[1].Deliveries != 1 {
		t.Fatalf("pending %+v, want m1 delivered twice and m2 once", pending)
	}
	m.Ack()
	m = recv(t, ch)
	expectUUID(t, m, "m2")
	// m1 was acknowledged before m2 was handed out.
	if sum, err := b.XPending(ctx, "t", "g"); err != nil || sum.Count != 1 {
		t.Fatalf("pending summary %+v, %v; want only m2", sum, err)
	}
	m.Ack()
}

func TestFanOut(t *testing.T) {
	ctx := context.Background()
	b := newBroker(t)
	sub := newSub(t, b, bw.SubscriberConfig{FanOut: true, Start: broker.Latest()})
	ch1, err := sub.Subscribe(ctx, "t")
	if err != nil {
		t.Fatal(err)
	}
	ch2, err := sub.Subscribe(ctx, "t")
	if err != nil {
		t.Fatal(err)
	}
	publish(t, newPub(t, b), "t", "m1", "m2", "m3")
	for _, ch := range []<-chan *message.Message{ch1, ch2} {
		for _, want := range []string{"m1", "m2", "m3"} {
			m := recv(t, ch)
			expectUUID(t, m, want)
			m.Ack()
		}
	}
	if groups, err := b.XInfoGroups(ctx, "t"); err != nil || len(groups) != 2 {
		t.Fatalf("groups %v, %v; want two", groups, err)
	}
	if err := sub.Close(); err != nil {
		t.Fatal(err)
	}
	if groups, err := b.XInfoGroups(ctx, "t"); err != nil || len(groups) != 0 {
		t.Fatalf("groups after Close %v, %v; want none", groups, err)
	}
}

func TestLoadBalancing(t *testing.T) {
	ctx := context.Background()
	b := newBroker(t)
	ch1, err := newSub(t, b, bw.SubscriberConfig{ReadCount: 1}).Subscribe(ctx, "t")
	if err != nil {
		t.Fatal(err)
	}
	ch2, err := newSub(t, b, bw.SubscriberConfig{ReadCount: 1}).Subscribe(ctx, "t")
	if err != nil {
		t.Fatal(err)
	}
	var want []string
	for i := range 20 {
		want = append(want, fmt.Sprintf("m%02d", i))
	}
	publish(t, newPub(t, b), "t", want...)
	var got []string
	for len(got) < len(want) {
		var m *message.Message
		select {
		case m = <-ch1:
		case m = <-ch2:
		case <-time.After(failsafe):
			t.Fatalf("received %v only", got)
		}
		got = append(got, m.UUID)
		m.Ack()
	}
	slices.Sort(got)
	if !slices.Equal(got, want) {
		t.Fatalf("got %v, want each of %v once", got, want)
	}
}

func TestReleaseOnClose(t *testing.T) {
	ctx := context.Background()
	b := newBroker(t)
	publish(t, newPub(t, b), "t", "m1", "m2")
	sub := newSub(t, b, bw.SubscriberConfig{Group: "g"})
	ch, err := sub.Subscribe(ctx, "t")
	if err != nil {
		t.Fatal(err)
	}
	expectUUID(t, recv(t, ch), "m1") // neither acked nor nacked
	if err := sub.Close(); err != nil {
		t.Fatal(err)
	}
	if _, ok := <-ch; ok {
		t.Fatal("channel open after Close")
	}
	pending, err := b.XPendingRange(ctx, "t", "g", broker.PendingOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(pending) != 2 || pending[0].Consumer != bw.ReleasedConsumer || pending[1].Consumer != bw.ReleasedConsumer {
		t.Fatalf("pending %+v, want m1 and m2 released", pending)
	}
	consumers, err := b.XInfoConsumers(ctx, "t", "g")
	if err != nil || len(consumers) != 1 || consumers[0].Name != bw.ReleasedConsumer {
		t.Fatalf("consumers %+v, %v; want the generated one deleted", consumers, err)
	}

	// The default ClaimMinIdle is a minute: released entries are claimed at once.
	ch, err = newSub(t, b, bw.SubscriberConfig{Group: "g"}).Subscribe(ctx, "t")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"m1", "m2"} {
		m := recv(t, ch)
		expectUUID(t, m, want)
		m.Ack()
	}
}

func TestStableConsumerReadsOwnPendingFirst(t *testing.T) {
	ctx := context.Background()
	b := newBroker(t)
	p := newPub(t, b)
	sub := newSub(t, b, bw.SubscriberConfig{Group: "g", Consumer: "c"})
	if err := sub.SubscribeInitialize("t"); err != nil {
		t.Fatal(err)
	}
	publish(t, p, "t", "m1", "m2")
	// A crash of consumer c after it read m1 and m2: they stay pending for c.
	if _, err := b.XReadGroup(ctx, "g", "c", []broker.ReadStream{{Key: "t", From: broker.Undelivered()}}, broker.GroupReadOptions{}); err != nil {
		t.Fatal(err)
	}
	publish(t, p, "t", "m3")
	ch, err := sub.Subscribe(ctx, "t")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"m1", "m2", "m3"} {
		m := recv(t, ch)
		expectUUID(t, m, want)
		m.Ack()
	}
}

func TestDurableRestart(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	b, err := broker.Open(dir, broker.Options{})
	if err != nil {
		t.Fatal(err)
	}
	p := newPub(t, b)
	m := message.NewMessage("m1", []byte("one"))
	m.Metadata.Set("k", "v")
	if err := p.Publish("t", m); err != nil {
		t.Fatal(err)
	}
	publish(t, p, "t", "m2", "m3")
	sub, err := bw.NewSubscriber(b, bw.SubscriberConfig{Consumer: "c"})
	if err != nil {
		t.Fatal(err)
	}
	ch, err := sub.Subscribe(ctx, "t")
	if err != nil {
		t.Fatal(err)
	}
	recv(t, ch).Ack()
	expectUUID(t, recv(t, ch), "m2") // not acknowledged: released by Close
	if err := sub.Close(); err != nil {
		t.Fatal(err)
	}
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	if err := p.Publish("t", m); !errors.Is(err, broker.ErrClosed) {
		t.Fatalf("Publish on a closed broker: %v", err)
	}

	b, err = broker.Open(dir, broker.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = b.Close() })
	ch, err = newSub(t, b, bw.SubscriberConfig{Consumer: "c"}).Subscribe(ctx, "t")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"m2", "m3"} {
		m := recv(t, ch)
		expectUUID(t, m, want)
		m.Ack()
	}
	entries, err := b.XRange(ctx, "t", broker.MinID, broker.MaxID, 1)
	if err != nil || len(entries) != 1 {
		t.Fatalf("XRange: %v, %v", entries, err)
	}
	if !slices.Equal(entries[0].Fields, []broker.Field{{Name: "_uuid", Value: "m1"}, {Name: "_meta.k", Value: "v"}, {Name: "_payload", Value: "one"}}) {
		t.Fatalf("m1 after restart: %v", entries[0].Fields)
	}
}

func TestClose(t *testing.T) {
	ctx := context.Background()
	b := newBroker(t)
	p := newPub(t, b)
	sub := newSub(t, b, bw.SubscriberConfig{})
	ch, err := sub.Subscribe(ctx, "t")
	if err != nil {
		t.Fatal(err)
	}
	cctx, cancel := context.WithCancel(ctx)
	chCancelled, err := sub.Subscribe(cctx, "t")
	if err != nil {
		t.Fatal(err)
	}
	cancel()
	if _, ok := <-chCancelled; ok {
		t.Fatal("a message on a subscription whose context ended")
	}
	for range 2 {
		if err := sub.Close(); err != nil {
			t.Fatal(err)
		}
		if err := p.Close(); err != nil {
			t.Fatal(err)
		}
	}
	if _, ok := <-ch; ok {
		t.Fatal("channel open after Close")
	}
	if _, err := sub.Subscribe(ctx, "t"); !errors.Is(err, bw.ErrClosed) {
		t.Fatalf("Subscribe after Close: %v", err)
	}
	if err := sub.SubscribeInitialize("t"); !errors.Is(err, bw.ErrClosed) {
		t.Fatalf("SubscribeInitialize after Close: %v", err)
	}
	if err := p.Publish("t", message.NewMessage("x", nil)); !errors.Is(err, bw.ErrClosed) {
		t.Fatalf("Publish after Close: %v", err)
	}
}

func TestConfig(t *testing.T) {
	b := newBroker(t)
	for name, cfg := range map[string]bw.SubscriberConfig{
		"negative ReadCount":    {ReadCount: -1},
		"negative BlockTime":    {BlockTime: -1},
		"negative ClaimMinIdle": {ClaimMinIdle: -1},
		"negative NackDelay":    {NackDelay: -1},
		"reserved consumer":     {Consumer: bw.ReleasedConsumer},
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := bw.NewSubscriber(b, cfg); err == nil {
				t.Fatal("no error")
			}
		})
	}
	if _, err := bw.NewSubscriber(nil, bw.SubscriberConfig{}); err == nil {
		t.Fatal("nil broker: no error")
	}
	if _, err := bw.NewPublisher(nil, bw.PublisherConfig{}); err == nil {
		t.Fatal("nil broker: no error")
	}
}

func TestSubscriptionEnds(t *testing.T) {
	ctx := context.Background()
	for name, end := range map[string]func(b *broker.Broker) error{
		"group destroyed": func(b *broker.Broker) error { _, err := b.XGroupDestroy(ctx, "t", "g"); return err },
		"stream deleted":  func(b *broker.Broker) error { _, err := b.Del(ctx, "t"); return err },
		"broker closed":   func(b *broker.Broker) error { return b.Close() },
	} {
		t.Run(name, func(t *testing.T) {
			b := newBroker(t)
			ch, err := newSub(t, b, bw.SubscriberConfig{Group: "g"}).Subscribe(ctx, "t")
			if err != nil {
				t.Fatal(err)
			}
			publish(t, newPub(t, b), "t", "m1")
			recv(t, ch).Ack()
			if err := end(b); err != nil {
				t.Fatal(err)
			}
			select {
			case m, ok := <-ch:
				if ok {
					t.Fatalf("message %q after the end", m.UUID)
				}
			case <-time.After(failsafe):
				t.Fatal("channel still open")
			}
		})
	}
}
