package main

import (
	"context"
	"fmt"
	"io"
	"slices"

	"github.com/brookmq/brook/broker"
)

// report reads the three streams and checks that every order was processed
// exactly once or dead-lettered, and that nothing is left pending. It prints
// what it found and returns whether all is well.
func report(ctx context.Context, b broker.Client, c Config, out io.Writer) (bool, error) {
	count := func(key string) (map[int]int, error) {
		n := make(map[int]int)
		err := scan(ctx, b, key, func(e broker.Entry) { n[orderID(e)]++ })
		return n, err
	}
	orders, err := count(ordersKey)
	if err != nil {
		return false, err
	}
	done, err := count(doneKey)
	if err != nil {
		return false, err
	}
	dead, err := count(deadKey)
	if err != nil {
		return false, err
	}
	pending, err := b.XPending(ctx, ordersKey, group)
	if err != nil {
		return false, err
	}

	var once, duplicated, deadOnes, missing, both []int
	for order := 1; order <= c.Orders; order++ {
		switch {
		case done[order] > 0 && dead[order] > 0:
			both = append(both, order)
		case done[order] == 1:
			once = append(once, order)
		case done[order] > 1:
			duplicated = append(duplicated, order)
		case dead[order] > 0:
			deadOnes = append(deadOnes, order)
		default:
			missing = append(missing, order)
		}
	}
	for order, n := range dead { // an order dead-lettered twice is a duplicate too
		if n > 1 {
			duplicated = append(duplicated, order)
		}
	}
	slices.Sort(duplicated)
	fmt.Fprintf(out, "report: %d orders in %q, %d processed exactly once, %d dead-lettered %v, "+
		"%d duplicated %v, %d both done and dead %v, %d missing %v, %d still pending\n",
		len(orders), ordersKey, len(once), len(deadOnes), deadOnes, len(duplicated), duplicated,
		len(both), both, len(missing), missing, pending.Count)
	ok := len(orders) == c.Orders && len(once)+len(deadOnes) == c.Orders && len(duplicated) == 0 && pending.Count == 0
	if ok {
		fmt.Fprintln(out, "OK: every order was processed exactly once or dead-lettered")
	} else {
		fmt.Fprintln(out, "FAILED: see the report")
	}
	return ok, nil
}
