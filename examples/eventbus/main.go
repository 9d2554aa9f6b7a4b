// Command eventbus runs three services in one process that talk only through
// events on a brook broker: an order service places orders, an inventory
// service reserves stock for each, and a notification service, subscribed to
// the pattern "events:*", tells the customer about everything. Every event
// is also appended to the stream "events:all", so an auditor that starts
// late catches up from the stream and then follows live, seeing every event
// exactly once and in order (see [Bus.Follow]).
//
// With --redis ADDR (a Cluster's addresses comma-separated) the bus is
// Redis, through github.com/brookmq/brook/redis: the services and the
// auditor are written against broker.Client and run unchanged.
//
// Run it with: go run ./eventbus
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"os"
	"strings"
	"sync"

	"github.com/brookmq/brook/broker"
	brookredis "github.com/brookmq/brook/redis"
	"github.com/redis/go-redis/v9"
)

func main() {
	orders := flag.Int("orders", 10, "how many orders to place")
	late := flag.Int("late", 4, "the auditor starts after this many orders")
	redisAddr := flag.String("redis", "", "use Redis at `ADDR` instead of the embedded broker (a Cluster: addresses comma-separated)")
	flag.Parse()

	var b broker.Client
	if *redisAddr != "" {
		b = brookredis.New(redis.NewUniversalClient(&redis.UniversalOptions{
			Addrs: strings.Split(*redisAddr, ","),
		}), brookredis.Options{})
	} else {
		mem, err := broker.New(broker.Options{})
		if err != nil {
			log.Fatal(err)
		}
		b = mem
	}
	defer b.Close()
	if _, err := Run(context.Background(), b, os.Stdout, *orders, *late); err != nil {
		log.Fatal(err)
	}
}

// errStop ends a Follow loop once the shop closes.
var errStop = errors.New("shop closed")

// Run places n orders through the three services, starts the auditor after
// the first late ones, and returns the IDs the auditor saw, in order.
func Run(ctx context.Context, b broker.Client, out io.Writer, n, late int) ([]broker.ID, error) {
	bus := NewBus(b)
	var wg sync.WaitGroup
	errs := make(chan error, 3)
	var outMu sync.Mutex
	say := func(format string, args ...any) {
		outMu.Lock()
		defer outMu.Unlock()
		fmt.Fprintf(out, format+"\n", args...)
	}

	// The services subscribe before the first order, as a deployment would.
	placed, err := b.Listen(ctx, []string{"events:order.placed"}, nil)
	if err != nil {
		return nil, err
	}
	defer placed.Close()
	handled := make(chan struct{}, n) // one per order the customer was told about
	notifications, err := b.Listen(ctx, nil, []string{"events:*"})
	if err != nil {
		return nil, err
	}
	defer notifications.Close()

	wg.Add(2)
	go func() { // inventory: reserve stock for every order placed
		defer wg.Done()
		errs <- inventory(ctx, bus, placed)
	}()
	go func() { // notifications: one line per event, whatever its type
		defer wg.Done()
		for {
			m, err := notifications.Next(ctx)
			if err != nil {
				errs <- err
				return
			}
			var w wire
			if err := json.Unmarshal(m.Payload, &w); err != nil {
				errs <- err
				return
			}
			say("notify  %-15s %s", w.Type, w.Data)
			if strings.HasPrefix(w.Type, "stock.") {
				handled <- struct{}{}
			}
			if m.Channel == "events:shop.closed" {
				errs <- nil
				return
			}
		}
	}()

	var audit []broker.ID
	caughtUp := make(chan struct{}) // closed once the auditor has read the history
	if late == 0 {
		close(caughtUp)
	}
	startAudit := func() {
		wg.Add(1)
		go func() { // the auditor starts late: history first, then live
			defer wg.Done()
			err := bus.Follow(ctx, func(e Event) error {
				audit = append(audit, e.ID)
				from := "history"
				if e.Live {
					from = "live"
				}
				say("audit   #%-2d %-7s %-15s %s", len(audit), from, e.Type, e.Data)
				if len(audit) == 2*late { // each order so far: placed, then reserved or short
					close(caughtUp)
				}
				if e.Type == "shop.closed" {
					return errStop
				}
				return nil
			})
			if errors.Is(err, errStop) {
				err = nil
			}
			errs <- err
		}()
	}

	for i := 1; i <= n; i++ { // the order service
		if i == late+1 {
			say("-- the auditor starts now, after %d orders", late)
			startAudit()
			select { // only so that the story reads well: the design needs no wait
			case <-caughtUp:
			case <-ctx.Done():
				return nil, ctx.Err()
			}
		}
		if _, err := bus.Emit(ctx, "order.placed", fmt.Sprintf("order %d: %d x %s", i, i%3+1, items[i%len(items)])); err != nil {
			return nil, err
		}
		select { // one order at a time, so that the story reads in order
		case <-handled:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	if late >= n {
		startAudit()
	}
	if _, err := bus.Emit(ctx, "shop.closed", fmt.Sprintf("%d orders today", n)); err != nil {
		return nil, err
	}
	placed.Close() // ends the inventory service
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil && !errors.Is(err, broker.ErrClosed) {
			return nil, err
		}
	}
	total, err := b.XLen(ctx, StreamKey)
	if err != nil {
		return nil, err
	}
	say("-- %d events on %s; the auditor saw %d", total, StreamKey, len(audit))
	return audit, nil
}

var items = []string{"book", "lamp", "pen", "mug"}

// inventory reserves stock for each order placed, and reports a shortage for
// every fifth order.
func inventory(ctx context.Context, bus *Bus, placed broker.Receiver) error {
	for {
		m, err := placed.Next(ctx)
		if errors.Is(err, broker.ErrClosed) {
			return nil // closed by Run: the shop is closed
		}
		if err != nil {
			return err
		}
		var w wire
		if err := json.Unmarshal(m.Payload, &w); err != nil {
			return err
		}
		order, _, _ := strings.Cut(w.Data, ":")
		var num int
		if _, err := fmt.Sscanf(order, "order %d", &num); err != nil {
			return fmt.Errorf("inventory: %q: %w", w.Data, err)
		}
		typ := "stock.reserved"
		if num%5 == 0 {
			typ = "stock.short"
		}
		if _, err := bus.Emit(ctx, typ, order); err != nil {
			return err
		}
	}
}
