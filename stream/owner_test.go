package stream_test

import (
	"fmt"
	"strings"
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

// TestAckOrders acknowledges pending entries of two consumers in various
// orders (XACK removes the oldest pending entry from the edge of the trees,
// any other by key) and checks the count, the group's PEL and each
// consumer's own.
func TestAckOrders(t *testing.T) {
	tests := []struct {
		name string
		acks [][]uint64 // one XACK per element, by ms
		want []int64    // its result
		left string     // pendingOwners afterwards
	}{
		{"delivery order", [][]uint64{{1, 2, 3, 4, 5, 6}}, []int64{6}, "[]"},
		{"reverse order", [][]uint64{{6, 5, 4, 3, 2, 1}}, []int64{6}, "[]"},
		{"oldest of the group, not of its consumer's later ones", [][]uint64{{1}, {4}, {2}}, []int64{1, 1, 1}, "3:a 5:b 6:b [{a 1} {b 2}]"},
		{"b's oldest first", [][]uint64{{4, 5}}, []int64{2}, "1:a 2:a 3:a 6:b [{a 3} {b 1}]"},
		{"twice and unknown", [][]uint64{{1, 1, 9}, {1}}, []int64{1, 0}, "2:a 3:a 4:b 5:b 6:b [{a 2} {b 3}]"},
		{"interleaved", [][]uint64{{4, 1, 5, 2}, {6, 3}}, []int64{4, 2}, "[]"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := newStream(t, 1, 2, 3, 4, 5, 6)
			mustCreateGroup(t, s, "g", id(0, 0))
			mustReadNew(t, s, "g", "a", 10, 3)
			mustReadNew(t, s, "g", "b", 10, 3)
			for i, ms := range tc.acks {
				var ids []stream.ID
				for _, m := range ms {
					ids = append(ids, id(m, 0))
				}
				if got := s.Ack("g", ids...); got != tc.want[i] {
					t.Fatalf("Ack %v = %d, want %d", ms, got, tc.want[i])
				}
			}
			if got := pendingOwners(t, s); got != tc.left {
				t.Fatalf("pending %q, want %q", got, tc.left)
			}
			for _, c := range []string{"a", "b"} {
				hist, err := s.ReadGroupHistory("g", c, 20, id(0, 0), 0)
				if err != nil {
					t.Fatal(err)
				}
				for _, e := range hist {
					if !strings.Contains(tc.left, fmt.Sprintf("%d:%s", e.ID.Ms, c)) {
						t.Fatalf("%s's history has %v, not pending for it", c, e.ID)
					}
				}
			}
		})
	}
}
