package broker_test

import (
	"context"
	"fmt"
	"time"

	"github.com/brookmq/brook/broker"
)

// A producer that retries after a timeout does not append twice: the
// retry with the same producer and idempotent ID returns the first ID.
func ExampleIdempotency() {
	b, _ := broker.New(broker.Options{})
	defer b.Close()
	ctx := context.Background()
	o := broker.AddOptions{Idempotency: broker.Idempotency{Producer: "billing", ID: "order-7"}}
	first, _ := b.XAdd(ctx, "payments", []broker.Field{{Name: "amount", Value: "100"}}, o)
	retry, _ := b.XAdd(ctx, "payments", []broker.Field{{Name: "amount", Value: "100"}}, o)
	n, _ := b.XLen(ctx, "payments")
	in, _ := b.XInfoStream(ctx, "payments")
	fmt.Println(first == retry, n, in.Idmp.IidsDuplicates)
	// Output: true 1 1
}

// A retention policy keeps a stream bounded without any further call:
// appends trim to it, and the broker trims entries as they pass MaxAge.
func ExampleBroker_SetRetention() {
	now := time.UnixMilli(1_700_000_000_000)
	b, _ := broker.New(broker.Options{Clock: func() time.Time { return now }})
	defer b.Close()
	ctx := context.Background()
	for i := range 5 {
		b.XAdd(ctx, "events", []broker.Field{{Name: "n", Value: fmt.Sprint(i)}}, broker.AddOptions{})
	}
	b.SetRetention(ctx, "events", broker.Retention{MaxLen: 3, MaxAge: time.Hour})
	b.XAdd(ctx, "events", []broker.Field{{Name: "n", Value: "5"}}, broker.AddOptions{})
	n, _ := b.XLen(ctx, "events")
	r, _ := b.StreamRetention(ctx, "events")
	fmt.Println(n, r.MaxLen, r.MaxAge)
	// Output: 3 3 1h0m0s
}
