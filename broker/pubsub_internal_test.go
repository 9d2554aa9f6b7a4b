package broker

import (
	"context"
	"strconv"
	"testing"
)

// TestPublishServesPatternsFromMemo checks that a publish on a channel with
// subscribers asks the pattern index only once per set of patterns: later
// publishes take the matches from the channel's memo, allocate nothing, and
// a change of the set of patterns is seen by the next publish.
func TestPublishServesPatternsFromMemo(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name     string
		patterns int // non-matching patterns subscribed before publishing
		matching bool
	}{
		{"no patterns", 0, false},
		{"one non-matching", 1, false},
		{"1000 non-matching", 1000, false},
		{"1000 non-matching and one matching", 1000, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := mustNew(t, Options{})
			ps, err := b.NewSubscription(SubscriptionOptions{})
			if err != nil {
				t.Fatal(err)
			}
			for i := range tt.patterns {
				if _, err := ps.PSubscribe("sensor." + strconv.Itoa(i) + ".*"); err != nil {
					t.Fatal(err)
				}
			}
			want := 1
			if tt.matching {
				if _, err := ps.PSubscribe("news.*"); err != nil {
					t.Fatal(err)
				}
				want = 2
			}
			cs, err := b.NewSubscription(SubscriptionOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := cs.Subscribe("news.tech"); err != nil {
				t.Fatal(err)
			}
			payload := []byte("x")
			publish := func() { // and receive, so that queue segments are recycled
				if n, err := b.Publish(ctx, "news.tech", payload); n != want || err != nil {
					t.Fatalf("Publish = %d, %v; want %d deliveries", n, err, want)
				}
				for i := range want {
					s := cs
					if i > 0 {
						s = ps
					}
					if m, err := s.Next(ctx); err != nil || m.Channel != "news.tech" {
						t.Fatalf("Next = %+v, %v", m, err)
					}
				}
			}
			publish()
			before := b.hub.index.Stats()
			if allocs := testing.AllocsPerRun(100, publish); allocs != 0 {
				t.Errorf("Publish allocates %v times once the memo is made", allocs)
			}
			if after := b.hub.index.Stats(); after.Hits != before.Hits || after.Misses != before.Misses {
				t.Errorf("index consulted by memoized publishes: stats %+v, then %+v", before, after)
			}
			// A new matching pattern changes the set: the next publish sees it.
			if _, err := ps.PSubscribe("news.t*"); err != nil {
				t.Fatal(err)
			}
			want++
			publish()
		})
	}
}

// TestPatternChangesUpdateMemo checks that a change of the set of patterns
// costs a memoized channel only a test of the changed pattern: the next
// publish neither consults the pattern index nor, when the change does not
// concern the channel, allocates; a pattern that matches is delivered and
// one removed is not; after more changes than the hub logs, the memo is
// rebuilt from the index, and stays right.
func TestPatternChangesUpdateMemo(t *testing.T) {
	ctx := context.Background()
	b := mustNew(t, Options{})
	defer b.Close()
	ps, _ := b.NewSubscription(SubscriptionOptions{Limits: PubSubOptions{HardLimit: -1}})
	cs, _ := b.NewSubscription(SubscriptionOptions{})
	if _, err := cs.Subscribe("news.tech"); err != nil {
		t.Fatal(err)
	}
	if _, err := ps.PSubscribe("news.*", "other.*"); err != nil {
		t.Fatal(err)
	}
	payload := []byte("x")
	publish := func(want int) {
		t.Helper()
		if n, err := b.Publish(ctx, "news.tech", payload); n != want || err != nil {
			t.Fatalf("Publish = %d, %v; want %d deliveries", n, err, want)
		}
		if _, err := cs.Next(ctx); err != nil { // ps's queue is unbounded
			t.Fatal(err)
		}
	}
	publish(2)
	consulted := func() uint64 { st := b.hub.index.Stats(); return st.Hits + st.Misses }
	before := consulted()
	step := func(name string, change func() error, want int) {
		t.Helper()
		if err := change(); err != nil {
			t.Fatal(err)
		}
		publish(want)
		if after := consulted(); after != before {
			t.Errorf("%s: the index was consulted %d times", name, after-before)
		}
	}
	i := 0
	nonMatching := func() error {
		i++
		_, err := ps.PSubscribe("sensor." + strconv.Itoa(i) + ".*")
		return err
	}
	memo := func() *matchMemo { return b.hub.channels["news.tech"].matched.Load() }
	kept := memo()
	step("non-matching pattern", nonMatching, 2)
	step("another non-matching pattern", nonMatching, 2)
	if memo() != kept {
		t.Errorf("non-matching patterns replaced the memo rather than raising its generation")
	}
	if allocs := testing.AllocsPerRun(100, func() { publish(2) }); allocs != 0 {
		t.Errorf("Publish allocates %v times once the memo is brought up to date", allocs)
	}
	before = consulted()
	step("matching pattern", func() error { _, err := ps.PSubscribe("*.tech"); return err }, 3)
	step("matching pattern removed", func() error { _, err := ps.PUnsubscribe("news.*"); return err }, 2)
	step("removed and added again", func() error {
		if _, err := ps.PUnsubscribe("*.tech"); err != nil {
			return err
		}
		_, err := ps.PSubscribe("*.tech", "n*")
		return err
	}, 3)
	step("as many changes as the log holds", func() error {
		for range patLogSize {
			if err := nonMatching(); err != nil {
				return err
			}
		}
		return nil
	}, 3)
	for range patLogSize {
		if _, err := ps.PUnsubscribe("sensor." + strconv.Itoa(i) + ".*"); err != nil {
			t.Fatal(err)
		}
		if err := nonMatching(); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := ps.PSubscribe("news.t*"); err != nil {
		t.Fatal(err)
	}
	publish(4)
	if consulted() == before {
		t.Errorf("a memo older than the log was not rebuilt from the index")
	}
}

// TestPublishForgetsRemovedChannel checks the hub's remembered topic: a
// channel whose last subscriber left is not published to through it, and a
// new subscription of the same channel gets the next message.
func TestPublishForgetsRemovedChannel(t *testing.T) {
	ctx := context.Background()
	b := mustNew(t, Options{})
	s1, err := b.Subscribe("c")
	if err != nil {
		t.Fatal(err)
	}
	if n, err := b.Publish(ctx, "c", []byte("1")); n != 1 || err != nil {
		t.Fatalf("Publish = %d, %v; want 1", n, err)
	}
	if _, err := s1.Unsubscribe("c"); err != nil {
		t.Fatal(err)
	}
	if b.hub.last.Load() != nil {
		t.Error("removed channel topic still remembered")
	}
	if n, err := b.Publish(ctx, "c", []byte("2")); n != 0 || err != nil {
		t.Fatalf("Publish after unsubscribe = %d, %v; want 0", n, err)
	}
	s2, err := b.Subscribe("c")
	if err != nil {
		t.Fatal(err)
	}
	if n, err := b.Publish(ctx, "c", []byte("3")); n != 1 || err != nil {
		t.Fatalf("Publish to the new subscription = %d, %v; want 1", n, err)
	}
	if m, err := s2.Next(ctx); err != nil || string(m.Payload) != "3" {
		t.Fatalf("Next = %+v, %v; want payload 3", m, err)
	}
	if n, err := b.Publish(ctx, "d", []byte("4")); n != 0 || err != nil {
		t.Fatalf("Publish on another channel = %d, %v; want 0", n, err)
	}
}
