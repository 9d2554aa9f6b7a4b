package broker_test

import (
	"context"
	"fmt"
	"runtime"
	"strconv"
	"sync"
	"testing"

	"github.com/brookmq/brook/broker"
)

// TestQueueStress runs a publisher against a concurrent reader under each
// policy, with limits small enough that segments roll over constantly and
// (for the bounded policies) the limit is hit all the time, and checks what
// the reader sees: everything in order, or (dropping) an increasing
// sequence that ends with the last message.
func TestQueueStress(t *testing.T) {
	const total = 20000
	window := 10 * (psMsgSize + 4) // about ten messages
	tests := []struct {
		name   string
		limits broker.PubSubOptions
		all    bool // every message must arrive
	}{
		{"disconnect unlimited", broker.PubSubOptions{HardLimit: -1, SoftLimit: -1}, true},
		{"block", broker.PubSubOptions{HardLimit: window, Policy: broker.PolicyBlock}, true},
		{"drop oldest", broker.PubSubOptions{HardLimit: window, Policy: broker.PolicyDropOldest}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := psNewBroker(t, broker.Options{})
			s := newSub(t, b, broker.SubscriptionOptions{Limits: tt.limits})
			defer s.Close()
			if _, err := s.Subscribe("a"); err != nil {
				t.Fatal(err)
			}
			done := make(chan error, 1)
			go func() { done <- readSequence(s, total, tt.all) }()
			var wg sync.WaitGroup
			wg.Go(func() {
				for i := range total {
					if _, err := b.Publish(context.Background(), "a", []byte(strconv.Itoa(i))); err != nil {
						t.Error(err)
						return
					}
				}
			})
			wg.Wait()
			if err := <-done; err != nil {
				t.Error(err)
			}
		})
	}
}

// readSequence reads until message total-1, checking that the sequence
// increases (by one if all).
func readSequence(s *broker.Subscription, total int, all bool) error {
	last, got := -1, 0
	for m, err := range s.Messages(context.Background()) {
		if err != nil {
			return err
		}
		v, err := strconv.Atoi(string(m.Payload))
		if err != nil || v <= last || (all && v != last+1) {
			return fmt.Errorf("got %q after %d", m.Payload, last)
		}
		last = v
		if got++; got%97 == 0 {
			runtime.Gosched() // let the publisher run ahead now and then
		}
		if v == total-1 {
			if all && got != total {
				return fmt.Errorf("got %d messages, want %d", got, total)
			}
			return nil
		}
	}
	return nil
}
