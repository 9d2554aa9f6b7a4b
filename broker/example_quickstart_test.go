package broker_test

import (
	"context"
	"fmt"

	"github.com/brookmq/brook/broker"
)

// Example_quickStart is the README's quick start: publish and subscribe by
// channel and by pattern. TestReadmeQuickStart keeps the two the same.
func Example_quickStart() {
	ctx := context.Background()
	b, err := broker.New(broker.Options{}) // or broker.Open(dir, opts) for durable streams
	if err != nil {
		panic(err)
	}
	defer b.Close()

	news, _ := b.Subscribe("news.tech") // by channel
	all, _ := b.PSubscribe("news.*")    // by glob pattern, Redis rules
	n, _ := b.Publish(ctx, "news.tech", []byte("brook 1.0 is out"))
	m1, _ := news.Next(ctx) // or: for m, err := range news.Messages(ctx)
	m2, _ := all.Next(ctx)
	fmt.Println(n, m1.Channel, string(m1.Payload), m2.Pattern)
	// Output: 2 news.tech brook 1.0 is out news.*
}
