package broker_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/brookmq/brook/broker"
)

func TestSetPubSubLimits(t *testing.T) {
	b, err := broker.New(broker.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	def := broker.PubSubOptions{HardLimit: broker.DefaultHardLimit, SoftLimit: broker.DefaultSoftLimit, SoftPeriod: broker.DefaultSoftPeriod}
	if got := b.PubSubLimits(); got != def {
		t.Fatalf("PubSubLimits() = %+v, want the defaults %+v", got, def)
	}

	before, _ := b.Subscribe("c")
	defer before.Close()
	if err := b.SetPubSubLimits(broker.PubSubOptions{HardLimit: 1000}); err != nil {
		t.Fatal(err)
	}
	want := def
	want.HardLimit = 1000 // zero fields: the package defaults
	if got := b.PubSubLimits(); got != want {
		t.Fatalf("PubSubLimits() = %+v, want %+v", got, want)
	}
	if err := b.SetPubSubLimits(broker.PubSubOptions{Policy: 9}); !errors.Is(err, broker.ErrInvalidArgument) {
		t.Fatalf("unknown policy: %v, want ErrInvalidArgument", err)
	}
	if got := b.PubSubLimits(); got != want {
		t.Fatalf("a refused SetPubSubLimits changed the limits to %+v", got)
	}

	after, _ := b.Subscribe("c")
	defer after.Close()
	custom, _ := b.NewSubscription(broker.SubscriptionOptions{Limits: broker.PubSubOptions{HardLimit: -1}})
	defer custom.Close()
	if _, err := custom.Subscribe("c"); err != nil {
		t.Fatal(err)
	}
	payload := []byte(strings.Repeat("x", 200))
	for range 10 {
		if _, err := b.Publish(context.Background(), "c", payload); err != nil {
			t.Fatal(err)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if _, err := after.Next(ctx); !errors.Is(err, broker.ErrSlowConsumer) {
		t.Errorf("made after: %v, want ErrSlowConsumer", err)
	}
	for name, s := range map[string]*broker.Subscription{"made before": before, "own limits": custom} {
		for i := range 10 {
			if _, err := s.Next(ctx); err != nil {
				t.Fatalf("%s, message %d: %v", name, i, err)
			}
		}
	}

	b.Close()
	if err := b.SetPubSubLimits(broker.PubSubOptions{}); !errors.Is(err, broker.ErrClosed) {
		t.Errorf("after Close: %v, want ErrClosed", err)
	}
}
