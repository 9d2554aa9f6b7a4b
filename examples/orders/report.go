package main

import (
	"context"
	"slices"
)

// report checks that every order was processed exactly once or
// dead-lettered, and that nothing is left pending. It prints what it found
// and returns whether all is well.
func (s *shop) report(ctx context.Context) (bool, error) {
	orders, err := s.b.XLen(ctx, ordersKey)
	if err != nil {
		return false, err
	}
	pending, err := s.b.XPending(ctx, ordersKey, group)
	if err != nil {
		return false, err
	}
	if err := s.refresh(ctx); err != nil {
		return false, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var once, duplicated, deadOnes, missing, both []int
	for order := 1; order <= s.c.Orders; order++ {
		done, dead := s.done[order], s.dead[order]
		switch {
		case done > 0 && dead > 0:
			both = append(both, order)
		case done == 1:
			once = append(once, order)
		case done > 1:
			duplicated = append(duplicated, order)
		case dead > 0:
			deadOnes = append(deadOnes, order)
		default:
			missing = append(missing, order)
		}
		if dead > 1 { // an order dead-lettered twice is a duplicate too
			duplicated = append(duplicated, order)
		}
	}
	duplicated = slices.Compact(slices.Sorted(slices.Values(duplicated)))
	s.log.Printf("report: %d orders in %q, %d processed exactly once, %d dead-lettered %v, "+
		"%d duplicated %v, %d both done and dead %v, %d missing %v, %d still pending",
		orders, ordersKey, len(once), len(deadOnes), deadOnes, len(duplicated), duplicated,
		len(both), both, len(missing), missing, pending.Count)
	ok := orders == int64(s.c.Orders) && len(once)+len(deadOnes) == s.c.Orders && len(duplicated) == 0 && pending.Count == 0
	if ok {
		s.log.Printf("OK: every order was processed exactly once or dead-lettered")
	} else {
		s.log.Printf("FAILED: see the report")
	}
	return ok, nil
}
