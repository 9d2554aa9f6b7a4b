package broker_test

import (
	"context"
	"fmt"
	"time"

	"github.com/brookmq/brook/broker"
)

// A worker that cannot process a job gives it back with XNack (Redis 8.8);
// another worker's XReadGroup with ClaimMinIdle (Redis 8.4) takes given-back
// jobs first, then new ones, and sees each one's delivery history. XAckDel
// (Redis 8.2) acknowledges a job and deletes it in one call.
func ExampleBroker_XNack() {
	ctx := context.Background()
	now := time.UnixMilli(1700000000000)
	b, err := broker.New(broker.Options{Clock: func() time.Time { return now }})
	if err != nil {
		panic(err)
	}
	defer b.Close()
	jobs := []broker.ReadStream{{Key: "jobs", From: broker.Undelivered()}}
	for _, j := range []string{"resize", "upload"} {
		if _, err := b.XAdd(ctx, "jobs", []broker.Field{{Name: "job", Value: j}}, broker.AddOptions{}); err != nil {
			panic(err)
		}
	}
	if err := b.XGroupCreate(ctx, "jobs", "workers", broker.GroupCreateOptions{}); err != nil {
		panic(err)
	}
	res, _ := b.XReadGroup(ctx, "workers", "alice", jobs, broker.GroupReadOptions{Count: 1})
	job := res[0].Entries[0]
	fmt.Println("alice got", job.Fields[0].Value)

	n, _ := b.XNack(ctx, "jobs", "workers", []broker.ID{job.ID}, broker.NackOptions{Mode: broker.NackFail})
	fmt.Println("alice gave back", n)

	now = now.Add(time.Second)
	claim := 30 * time.Second
	res, _ = b.XReadGroup(ctx, "workers", "bob", jobs, broker.GroupReadOptions{ClaimMinIdle: &claim})
	for i, e := range res[0].Entries {
		fmt.Printf("bob got %s (delivered %d times before)\n", e.Fields[0].Value, res[0].Delivery[i].Deliveries)
	}
	codes, _ := b.XAckDel(ctx, "jobs", "workers", []broker.ID{res[0].Entries[0].ID}, broker.RefOptions{})
	left, _ := b.XLen(ctx, "jobs")
	fmt.Println("ack and delete:", codes, "jobs left:", left)
	// Output:
	// alice got resize
	// alice gave back 1
	// bob got resize (delivered 1 times before)
	// bob got upload (delivered 0 times before)
	// ack and delete: [1] jobs left: 1
}
