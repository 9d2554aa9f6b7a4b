package broker

import (
	"context"
	"testing"
	"time"
)

// TestReaderClearsSlots checks that the reader, which no longer clears each
// slot as it reads it, still leaves nothing pinned: a segment read to the end
// goes back to the publishers all zero, and before the reader waits it has
// cleared every slot it read but the last two.
func TestReaderClearsSlots(t *testing.T) {
	policies := []SlowPolicy{PolicyDisconnect, PolicyDropOldest, PolicyBlock}
	for _, p := range policies {
		t.Run(p.String(), func(t *testing.T) {
			ctx := context.Background()
			b := mustNew(t, Options{})
			s, err := b.NewSubscription(SubscriptionOptions{Limits: PubSubOptions{Policy: p}})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := s.Subscribe("c"); err != nil {
				t.Fatal(err)
			}
			publish := func(n int) {
				for range n {
					if _, err := b.Publish(ctx, "c", []byte("x")); err != nil {
						t.Fatal(err)
					}
				}
			}
			read := func(n int) {
				for range n {
					if _, err := s.Next(ctx); err != nil {
						t.Fatal(err)
					}
				}
			}
			publish(segSize + 5)
			read(segSize)
			if sp := s.spare.Load(); sp == nil {
				t.Fatal("no segment passed back after reading one to the end")
			} else {
				for i, sl := range sp.msgs {
					if !isZero(sl) {
						t.Errorf("slot %d of the segment passed back is not zero", i)
					}
				}
			}
			read(5)
			// Make the reader wait: it tidies first.
			wctx, cancel := context.WithTimeout(ctx, time.Millisecond)
			defer cancel()
			if _, err := s.Next(wctx); err == nil {
				t.Fatal("Next returned a message from an empty queue")
			}
			seg, pos := s.r.seg, int(s.r.pos)
			if pos != 5 {
				t.Fatalf("reader at slot %d, want 5", pos)
			}
			for i := range seg.msgs[:pos-2] {
				if !isZero(seg.msgs[i]) {
					t.Errorf("slot %d read and not cleared before waiting", i)
				}
			}
			for i := pos - 2; i < pos; i++ {
				if isZero(seg.msgs[i]) {
					t.Errorf("slot %d cleared: it may share a line with the next write", i)
				}
			}
		})
	}
}

func isZero(sl slot) bool { return sl.payload == nil && sl.names == nil }
