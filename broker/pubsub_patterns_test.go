package broker_test

import (
	"context"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/brookmq/brook/broker"
	"github.com/brookmq/brook/pattern"
)

// TestPatternDeliveryModel publishes on channels with and without channel
// subscribers while patterns and channels are subscribed and unsubscribed,
// and checks every delivery against a model: the pattern matches a channel
// topic remembers must never outlive a change of the pattern set.
func TestPatternDeliveryModel(t *testing.T) {
	b := psNewBroker(t, broker.Options{})
	r := rand.New(rand.NewPCG(11, 12))
	pats := []string{"*", "news.*", "*.tech", "n?ws.tech", "x*", "[an]*"}
	chans := []string{"news.tech", "news.art", "a", "x.tech", "zz"}
	subs := make([]*broker.Subscription, 3)
	model := make([]map[string]bool, 3) // subscription -> channels and patterns ("p:" prefix)
	for i := range subs {
		subs[i], model[i] = newSub(t, b, broker.SubscriptionOptions{}), map[string]bool{}
		t.Cleanup(func() { subs[i].Close() })
	}
	for step := range 1500 {
		i := r.IntN(len(subs))
		s := subs[i]
		var err error
		switch op := r.IntN(6); op {
		case 0, 1:
			p := pats[r.IntN(len(pats))]
			if op == 0 {
				_, err = s.PSubscribe(p)
			} else {
				_, err = s.PUnsubscribe(p)
			}
			model[i]["p:"+p] = op == 0
		case 2, 3:
			ch := chans[r.IntN(len(chans))]
			if op == 2 {
				_, err = s.Subscribe(ch)
			} else {
				_, err = s.Unsubscribe(ch)
			}
			model[i][ch] = op == 2
		default:
			ch := chans[r.IntN(len(chans))]
			n := psPublish(t, b, ch, "m")
			checkDeliveries(t, step, subs, model, ch, n)
		}
		if err != nil {
			t.Fatalf("step %d: %v", step, err)
		}
	}
}

// checkDeliveries drains every subscription and compares what each got
// from a publish on ch, and the count Publish returned, with the model.
func checkDeliveries(t *testing.T, step int, subs []*broker.Subscription, model []map[string]bool, ch string, n int) {
	t.Helper()
	total := 0
	for i, s := range subs {
		var want []string
		for k, on := range model[i] {
			p, isPat := strings.CutPrefix(k, "p:")
			switch {
			case !on:
			case !isPat && k == ch:
				want = append(want, "")
			case isPat && pattern.Compile(p).Match(ch):
				want = append(want, p)
			}
		}
		msgs, err := psQueued(s)
		if err != nil {
			t.Fatalf("step %d: subscription %d: %v", step, i, err)
		}
		var got []string
		for _, m := range msgs {
			if m.Channel != ch {
				t.Fatalf("step %d: subscription %d got channel %q, want %q", step, i, m.Channel, ch)
			}
			got = append(got, m.Pattern)
		}
		slices.Sort(got)
		slices.Sort(want)
		if !slices.Equal(got, want) {
			t.Fatalf("step %d: publish on %q: subscription %d got patterns %q, want %q", step, ch, i, got, want)
		}
		total += len(want)
	}
	if n != total {
		t.Fatalf("step %d: Publish(%q) = %d, want %d", step, ch, n, total)
	}
}

// TestPatternChangesDuringPublish publishes from two goroutines on a channel
// with a subscriber while a third subscribes and unsubscribes patterns that
// match it (run with -race): every publish reaches the channel subscriber
// and at most the patterns ever subscribed.
func TestPatternChangesDuringPublish(t *testing.T) {
	b := psNewBroker(t, broker.Options{})
	plain, err := b.Subscribe("news.tech")
	if err != nil {
		t.Fatal(err)
	}
	defer plain.Close()
	ps := newSub(t, b, broker.SubscriptionOptions{Limits: broker.PubSubOptions{HardLimit: -1}})
	defer ps.Close()
	pats := []string{"news.*", "*.tech", "n*"}
	var wg sync.WaitGroup
	for range 2 {
		wg.Go(func() {
			for range 300 {
				n, err := b.Publish(context.Background(), "news.tech", []byte("m"))
				if err != nil || n < 1 || n > 1+len(pats) {
					t.Errorf("Publish = %d, %v; want 1 to %d deliveries", n, err, 1+len(pats))
					return
				}
			}
		})
	}
	wg.Go(func() {
		for i := range 300 {
			p := pats[i%len(pats)]
			if _, err := ps.PSubscribe(p); err != nil {
				t.Error(err)
				return
			}
			if i%2 == 0 {
				if _, err := ps.PUnsubscribe(p); err != nil {
					t.Error(err)
					return
				}
			}
		}
	})
	wg.Wait()
	if _, err := ps.PSubscribe(pats...); err != nil {
		t.Fatal(err)
	}
	if got := psPublish(t, b, "news.tech", "last"); got != 1+len(pats) {
		t.Fatalf("after the changes: %d deliveries, want %d", got, 1+len(pats))
	}
}
