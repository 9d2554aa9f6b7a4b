package stream_test

import (
	"fmt"
	"testing"

	"github.com/brookmq/brook/stream"
)

// pendingOwners lists "id:consumer" for every pending entry of group g.
func pendingOwners(t *testing.T, s *stream.Stream) string {
	t.Helper()
	ps, err := s.PendingRange("g", 0, stream.PendingQuery{Start: stream.MinID, End: stream.MaxID, Count: 100})
	if err != nil {
		t.Fatal(err)
	}
	out := ""
	for _, p := range ps {
		out += fmt.Sprintf("%d:%s ", p.ID.Ms, p.Consumer)
	}
	sum := summary(t, s, "g")
	return out + fmt.Sprint(sum.Consumers)
}

// TestDeletedConsumerSlotReused deletes consumers that own pending entries
// and creates others in their place: every pending entry keeps its owner's
// name, through claims, snapshots and clones.
func TestDeletedConsumerSlotReused(t *testing.T) {
	s := newStream(t, 1, 2, 3, 4, 5, 6, 7, 8)
	mustCreateGroup(t, s, "g", id(0, 0))
	mustReadNew(t, s, "g", "a", 10, 2) // 1 2
	mustReadNew(t, s, "g", "b", 10, 2) // 3 4
	mustReadNew(t, s, "g", "c", 10, 2) // 5 6
	steps := []struct {
		name string
		do   func() error
		want string
	}{
		{"delete b", func() error { _, err := s.DeleteConsumer("g", "b"); return err },
			"1:a 2:a 5:c 6:c [{a 2} {c 2}]"},
		{"d takes b's place, claims 5", func() error {
			_, err := s.Claim("g", "d", 20, 0, []stream.ID{id(5, 0)}, stream.ClaimOptions{})
			return err
		}, "1:a 2:a 5:d 6:c [{a 2} {c 1} {d 1}]"},
		{"delete a and c", func() error {
			if _, err := s.DeleteConsumer("g", "a"); err != nil {
				return err
			}
			_, err := s.DeleteConsumer("g", "c")
			return err
		}, "5:d [{d 1}]"},
		{"e and f read the rest", func() error {
			mustReadNew(t, s, "g", "e", 30, 1) // 7
			mustReadNew(t, s, "g", "f", 30, 1) // 8
			return nil
		}, "5:d 7:e 8:f [{d 1} {e 1} {f 1}]"},
		{"f takes 5 and 7 over", func() error {
			_, err := s.Claim("g", "f", 40, 0, []stream.ID{id(5, 0), id(7, 0)}, stream.ClaimOptions{})
			return err
		}, "5:f 7:f 8:f [{f 3}]"},
	}
	for _, st := range steps {
		if err := st.do(); err != nil {
			t.Fatalf("%s: %v", st.name, err)
		}
		for name, view := range map[string]*stream.Stream{"stream": s, "clone": s.Clone(), "decoded": roundTrip(t, s)} {
			if got := pendingOwners(t, view); got != st.want {
				t.Fatalf("%s: %s pending %q, want %q", st.name, name, got, st.want)
			}
		}
	}
}
