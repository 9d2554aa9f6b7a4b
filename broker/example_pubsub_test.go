package broker_test

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	"github.com/brookmq/brook/broker"
)

// A subscription receives what is published on its channels.
func ExampleBroker_Subscribe() {
	ctx := context.Background()
	b, err := broker.New(broker.Options{})
	if err != nil {
		panic(err)
	}
	defer b.Close()

	sub, err := b.Subscribe("news")
	if err != nil {
		panic(err)
	}
	defer sub.Close()

	n, _ := b.Publish(ctx, "news", []byte("hello"))
	fmt.Println("deliveries:", n)
	m, _ := sub.Next(ctx)
	fmt.Printf("%s: %s\n", m.Channel, m.Payload)
	// Output:
	// deliveries: 1
	// news: hello
}

// A subscription may hold channels and glob patterns at once; a message
// that matches several of them is delivered once per match, as in Redis.
func ExampleSubscription_PSubscribe() {
	ctx := context.Background()
	b, err := broker.New(broker.Options{})
	if err != nil {
		panic(err)
	}
	defer b.Close()

	sub, err := b.NewSubscription(broker.SubscriptionOptions{})
	if err != nil {
		panic(err)
	}
	defer sub.Close()
	confs, _ := sub.Subscribe("news.tech")
	fmt.Println(confs)
	confs, _ = sub.PSubscribe("news.*")
	fmt.Println(confs)

	n, _ := b.Publish(ctx, "news.tech", []byte("gophers"))
	fmt.Println("deliveries:", n)
	n, _ = b.Publish(ctx, "news.art", []byte("paint"))
	fmt.Println("deliveries:", n)

	got := 0
	for m, err := range sub.Messages(ctx) {
		if err != nil {
			break
		}
		fmt.Printf("channel=%s pattern=%q payload=%s\n", m.Channel, m.Pattern, m.Payload)
		if got++; got == 3 {
			break
		}
	}
	// Output:
	// [{subscribe news.tech 1}]
	// [{psubscribe news.* 2}]
	// deliveries: 2
	// deliveries: 1
	// channel=news.tech pattern="" payload=gophers
	// channel=news.tech pattern="news.*" payload=gophers
	// channel=news.art pattern="news.*" payload=paint
}

// By default a subscription whose queue goes over its hard limit is closed
// and its reader gets ErrSlowConsumer, as Redis disconnects a slow
// subscriber; the publisher never waits.
func ExampleSlowPolicy_disconnect() {
	ctx := context.Background()
	b, err := broker.New(broker.Options{PubSub: broker.PubSubOptions{HardLimit: 1 << 10}})
	if err != nil {
		panic(err)
	}
	defer b.Close()

	sub, _ := b.Subscribe("ticks")
	defer sub.Close()
	for range 100 { // nobody reads
		b.Publish(ctx, "ticks", make([]byte, 100))
	}
	_, err = sub.Next(ctx)
	fmt.Println(errors.Is(err, broker.ErrSlowConsumer))
	fmt.Println(b.NumSub("ticks"))
	// Output:
	// true
	// [0]
}

// With PolicyDropOldest a slow subscription keeps the newest messages that
// fit in its limit.
func ExampleSlowPolicy_dropOldest() {
	ctx := context.Background()
	b, err := broker.New(broker.Options{})
	if err != nil {
		panic(err)
	}
	defer b.Close()

	perMessage := broker.MessageOverhead + int64(len("ticks")) + 1
	sub, err := b.NewSubscription(broker.SubscriptionOptions{Limits: broker.PubSubOptions{
		HardLimit: 3 * perMessage,
		Policy:    broker.PolicyDropOldest,
	}})
	if err != nil {
		panic(err)
	}
	defer sub.Close()
	sub.Subscribe("ticks")
	for i := range 5 {
		b.Publish(ctx, "ticks", []byte(strconv.Itoa(i)))
	}
	for range 3 {
		m, _ := sub.Next(ctx)
		fmt.Println(string(m.Payload))
	}
	// Output:
	// 2
	// 3
	// 4
}
