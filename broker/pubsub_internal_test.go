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
