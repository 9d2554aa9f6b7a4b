package watermill_test

import (
	"testing"

	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/ThreeDotsLabs/watermill/pubsub/tests"
	"github.com/brookmq/brook/broker"
	bw "github.com/brookmq/brook/watermill"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m,
		// The suite's own fan-in of several subscribers (internal/subscriber's
		// multiplier) blocks for good on its unbuffered output once a test
		// stops reading, which happens with FanOut, where each of its
		// subscribers receives every message. Our goroutines are still checked.
		goleak.IgnoreAnyFunction("github.com/ThreeDotsLabs/watermill/internal/subscriber.(*multiplier).Subscribe.func2"),
		goleak.IgnoreAnyFunction("github.com/ThreeDotsLabs/watermill/internal/subscriber.(*multiplier).Subscribe.func3"),
	)
}

// features are what the backend has, the same for both brokers: consumer
// groups; at-least-once delivery; order within a topic for a single
// subscriber of a group (several subscribers of one group interleave);
// messages kept by the broker across Publisher and Subscriber instances
// (Watermill's "Persistent"). There is no service to restart (the broker is
// in-process), and a subscriber in a shared group does not receive what the
// group already consumed.
var features = tests.Features{
	ConsumerGroups:                      true,
	ExactlyOnceDelivery:                 false,
	GuaranteedOrder:                     true,
	GuaranteedOrderWithSingleSubscriber: true,
	Persistent:                          true,
	RequireSingleInstance:               false,
	NewSubscriberReceivesOldMessages:    false,
}

// suite runs Watermill's behavioural suite on b, with subscribers made by cfg;
// the consumer-group constructor makes subscribers sharing the given group.
func suite(t *testing.T, b *broker.Broker, f tests.Features, cfg bw.SubscriberConfig) {
	pubSub := func(t *testing.T, group string) (message.Publisher, message.Subscriber) {
		pub, err := bw.NewPublisher(b, bw.PublisherConfig{})
		if err != nil {
			t.Fatal(err)
		}
		c := cfg
		if group != "" {
			c.Group, c.FanOut = group, false
		}
		sub, err := bw.NewSubscriber(b, c)
		if err != nil {
			t.Fatal(err)
		}
		// Some tests of the suite leave a subscriber open.
		t.Cleanup(func() { _ = sub.Close() })
		return pub, sub
	}
	tests.TestPubSub(t, f,
		func(t *testing.T) (message.Publisher, message.Subscriber) { return pubSub(t, "") },
		pubSub)
}

func TestPubSubMemory(t *testing.T) {
	b, err := broker.New(broker.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = b.Close() })
	suite(t, b, features, bw.SubscriberConfig{})
}

func TestPubSubDurable(t *testing.T) {
	b, err := broker.Open(t.TempDir(), broker.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = b.Close() })
	suite(t, b, features, bw.SubscriberConfig{})
}

// TestPubSubFanOut runs the suite with FanOut subscribers, each with a group
// of its own that starts at the beginning of the stream, so a new subscriber
// also receives the messages published before it.
func TestPubSubFanOut(t *testing.T) {
	b, err := broker.New(broker.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = b.Close() })
	f := features
	f.NewSubscriberReceivesOldMessages = true
	suite(t, b, f, bw.SubscriberConfig{FanOut: true})
}
