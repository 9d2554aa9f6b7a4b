package broker_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/brookmq/brook/broker"
)

// A worker handles a stream's entries as one consumer of a group: nil
// acknowledges an entry, an error retries it after a backoff, and after
// MaxDeliveries failed deliveries it goes to the dead-letter stream
// ("orders:dead" by default) with the reason.
func ExampleWorker() {
	b, err := broker.New(broker.Options{})
	if err != nil {
		panic(err)
	}
	defer b.Close()
	ctx := context.Background()
	for _, item := range []string{"book", "lamp", "desk"} {
		if _, err := b.XAdd(ctx, "orders", []broker.Field{{Name: "item", Value: item}}, broker.AddOptions{}); err != nil {
			panic(err)
		}
	}
	if err := b.XGroupCreate(ctx, "orders", "shipping", broker.GroupCreateOptions{}); err != nil {
		panic(err)
	}

	w, err := b.NewWorker("orders", "shipping", "worker-1", func(ctx context.Context, e broker.Entry) error {
		if e.Fields[0].Value == "lamp" {
			return errors.New("out of stock")
		}
		fmt.Println("shipped", e.Fields[0].Value)
		return nil
	}, broker.WorkerOptions{MaxDeliveries: 2, MinBackoff: time.Millisecond})
	if err != nil {
		panic(err)
	}
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan error)
	go func() { done <- w.Run(runCtx) }()
	for st := w.Stats(); st.Processed+st.DeadLettered < 3; st = w.Stats() {
		time.Sleep(time.Millisecond)
	}
	stop()
	if err := <-done; err != nil {
		panic(err)
	}

	st := w.Stats()
	fmt.Println("processed", st.Processed, "failed", st.Failed, "dead", st.DeadLettered, "pending", st.Pending)
	dead, _ := b.XRange(ctx, "orders:dead", broker.MinID, broker.MaxID, 0)
	d, _ := broker.ParseDeadLetter(dead[0])
	fmt.Printf("dead letter: %s after %d deliveries: %s\n", d.Fields[0].Value, d.Deliveries, d.Error)
	// Output:
	// shipped book
	// shipped desk
	// processed 2 failed 2 dead 1 pending 0
	// dead letter: lamp after 2 deliveries: out of stock
}

// Consume is a worker in one call: it runs until ctx ends.
func ExampleBroker_Consume() {
	b, err := broker.New(broker.Options{})
	if err != nil {
		panic(err)
	}
	defer b.Close()
	ctx, cancel := context.WithCancel(context.Background())
	if err := b.XGroupCreate(ctx, "events", "audit", broker.GroupCreateOptions{MkStream: true}); err != nil {
		panic(err)
	}
	if _, err := b.XAdd(ctx, "events", []broker.Field{{Name: "user", Value: "ada"}}, broker.AddOptions{}); err != nil {
		panic(err)
	}
	err = b.Consume(ctx, "events", "audit", "auditor", func(_ context.Context, e broker.Entry) error {
		fmt.Println("audit", e.Fields[0].Value)
		cancel() // one is enough for this example
		return nil
	}, broker.WorkerOptions{})
	fmt.Println("stopped:", err)
	n, _ := b.XPending(context.Background(), "events", "audit")
	fmt.Println("pending:", n.Count)
	// Output:
	// audit ada
	// stopped: <nil>
	// pending: 0
}
