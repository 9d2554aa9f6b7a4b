package broker_test

import (
	"context"
	"testing"

	"github.com/brookmq/brook/broker"
)

// drain reads every queued message, then lets the reader settle its count
// (it does when it finds nothing more), and returns how many it read.
func drain(t *testing.T, s *broker.Subscription) int {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	n := 0
	for {
		if _, err := s.Next(ctx); err != nil {
			return n
		}
		n++
	}
}

func TestSubscriptionStats(t *testing.T) {
	ctx := context.Background()
	payload := make([]byte, 100)
	size := int64(len("ch")+len(payload)) + broker.MessageOverhead
	tests := []struct {
		name    string
		limits  broker.PubSubOptions
		publish int
		want    broker.SubscriptionStats // before reading
		read    int                      // messages drain reads
	}{
		{"queued", broker.PubSubOptions{}, 100,
			broker.SubscriptionStats{Queued: 100, QueuedBytes: 100 * size}, 100},
		{"drop oldest", broker.PubSubOptions{Policy: broker.PolicyDropOldest, HardLimit: 10 * size}, 100,
			broker.SubscriptionStats{Queued: 10, QueuedBytes: 10 * size, Dropped: 90, DroppedBytes: 90 * size}, 10},
		{"disconnect", broker.PubSubOptions{HardLimit: 10 * size}, 100,
			broker.SubscriptionStats{Disconnected: true}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := newBroker(t, broker.Options{})
			s := newSub(t, b, broker.SubscriptionOptions{Limits: tt.limits})
			if _, err := s.Subscribe("ch"); err != nil {
				t.Fatal(err)
			}
			for range tt.publish {
				if _, err := b.Publish(ctx, "ch", payload); err != nil {
					t.Fatal(err)
				}
			}
			if got := s.Stats(); got != tt.want {
				t.Fatalf("Stats = %+v, want %+v", got, tt.want)
			}
			if n := drain(t, s); n != tt.read {
				t.Fatalf("read %d messages, want %d", n, tt.read)
			}
			want := tt.want
			want.Queued, want.QueuedBytes = 0, 0
			if got := s.Stats(); got != want {
				t.Fatalf("Stats after reading = %+v, want %+v", got, want)
			}
		})
	}
}

// TestSubscriptionStatsInterleaved: drops while the reader is part way
// through a claimed batch still add up.
func TestSubscriptionStatsInterleaved(t *testing.T) {
	ctx := context.Background()
	b := newBroker(t, broker.Options{})
	payload := make([]byte, 100)
	size := int64(len("ch")+len(payload)) + broker.MessageOverhead
	s := newSub(t, b, broker.SubscriptionOptions{Limits: broker.PubSubOptions{Policy: broker.PolicyDropOldest, HardLimit: 50 * size}})
	if _, err := s.Subscribe("ch"); err != nil {
		t.Fatal(err)
	}
	read := 0
	for round := range 20 {
		for range 40 + round {
			if _, err := b.Publish(ctx, "ch", payload); err != nil {
				t.Fatal(err)
			}
		}
		for range 7 {
			if _, err := s.Next(ctx); err != nil {
				t.Fatal(err)
			}
			read++
		}
	}
	read += drain(t, s)
	st := s.Stats()
	published := int64(0)
	for round := range 20 {
		published += int64(40 + round)
	}
	if st.Queued != 0 || st.QueuedBytes != 0 || int64(read)+st.Dropped != published || st.Dropped == 0 {
		t.Fatalf("read %d, Stats %+v, published %d", read, st, published)
	}
}
