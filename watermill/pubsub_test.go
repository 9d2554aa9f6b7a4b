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
	goleak.VerifyTestMain(m)
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

// suite runs Watermill's behavioural suite on b, with subscribers made by cfg
// (Group is set by the consumer-group constructor).
func suite(t *testing.T, b *broker.Broker, f tests.Features, cfg bw.SubscriberConfig) {
	pubSub := func(t *testing.T, group string) (message.Publisher, message.Subscriber) {
		pub, err := bw.NewPublisher(b, bw.PublisherConfig{})
		if err != nil {
			t.Fatal(err)
		}
		c := cfg
		if group != "" {
			c.Group = group
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
