package watermill_test

import (
	"context"
	"fmt"

	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/brookmq/brook/broker"
	brookwm "github.com/brookmq/brook/watermill"
)

func Example() {
	b, err := broker.New(broker.Options{}) // or broker.Open(dir, ...) to keep the messages
	if err != nil {
		panic(err)
	}
	defer b.Close()

	pub, err := brookwm.NewPublisher(b, brookwm.PublisherConfig{})
	if err != nil {
		panic(err)
	}
	defer pub.Close()
	sub, err := brookwm.NewSubscriber(b, brookwm.SubscriberConfig{Group: "billing"})
	if err != nil {
		panic(err)
	}
	defer sub.Close()

	msg := message.NewMessage("0b7e5d9e-order-1", []byte(`{"total": 42}`))
	msg.Metadata.Set("tenant", "acme")
	if err := pub.Publish("orders", msg); err != nil {
		panic(err)
	}

	msgs, err := sub.Subscribe(context.Background(), "orders")
	if err != nil {
		panic(err)
	}
	got := <-msgs
	fmt.Println(got.UUID, got.Metadata.Get("tenant"), string(got.Payload))
	got.Ack()
	// Output: 0b7e5d9e-order-1 acme {"total": 42}
}
