package main

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/brookmq/brook/broker"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// TestSlowClientDisconnected: the slow client is disconnected by the
// slow-consumer policy and told so (ErrSlowConsumer); every other client
// receives every notification addressed to it; the report says both.
func TestSlowClientDisconnected(t *testing.T) {
	b, err := broker.New(broker.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var out bytes.Buffer
	results, err := Run(ctx, b, &out, 50)
	if err != nil {
		t.Fatal(err)
	}
	if len(results) != len(Clients) {
		t.Fatalf("%d results for %d clients", len(results), len(Clients))
	}
	for i, r := range results {
		c := Clients[i]
		if c.Slow {
			if !r.Disconnected || !errors.Is(r.Err, broker.ErrSlowConsumer) {
				t.Errorf("%s: disconnected %v, err %v; want ErrSlowConsumer", r.User, r.Disconnected, r.Err)
			}
			if n := b.NumSub("user:" + c.User)[0]; n != 0 {
				t.Errorf("%s still has %d subscriptions to its channel", r.User, n)
			}
			if !strings.Contains(out.String(), r.User+"  disconnected as a slow consumer") {
				t.Errorf("the report does not say %s was disconnected:\n%s", r.User, out.String())
			}
			continue
		}
		if r.Disconnected || r.Err != nil {
			t.Errorf("%s: disconnected %v, err %v; want neither", r.User, r.Disconnected, r.Err)
		}
		if r.Expected == 0 || r.Received != r.Expected {
			t.Errorf("%s received %d of %d", r.User, r.Received, r.Expected)
		}
	}
	if !strings.Contains(out.String(), "ben  received 201 of 201 notifications") {
		t.Errorf("report:\n%s", out.String())
	}
}
