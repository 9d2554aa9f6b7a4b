// Command orders is a producer and a consumer group of three workers on a
// durable stream. Some orders fail once and are retried: a worker claims
// (XCLAIM) what another left pending for longer than an idle time. One kind
// of order fails every time (a poisoned order): after a few deliveries
// (XPENDING's delivery count) it is moved to the dead-letter stream
// "orders:dead" and acknowledged.
//
// Each processed order is recorded in the stream "orders:done". The program
// can be killed at any point and run again: the broker is durable
// (broker.Open), the producer resumes after the last order it added, pending
// orders are claimed again, and recording is idempotent (an order already in
// "orders:done" is only acknowledged), so in the end every order is processed
// exactly once or dead-lettered. The closing report checks it.
//
// Run it with: go run ./orders (again with the same --dir to resume; add
// --fresh to start over). With --redis ADDR (a Cluster's addresses
// comma-separated) the streams live on Redis instead, through
// github.com/brookmq/brook/redis: the program is the same, written against
// broker.Client, and resumes after a kill the same way. Run one process per
// Redis: the ledger's "check, then record" is one step within a process.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/brookmq/brook/broker"
	brookredis "github.com/brookmq/brook/redis"
	"github.com/redis/go-redis/v9"
)

// Keys and names of the story.
const (
	ordersKey = "orders"      // the orders, as the producer adds them
	doneKey   = "orders:done" // one entry per order processed
	deadKey   = "orders:dead" // one entry per order given up on
	group     = "workers"
)

// Config is what a run does.
type Config struct {
	Orders        int           // orders the producer adds in total
	Workers       int           // consumers in the group
	MaxDeliveries uint64        // deliveries after which a failing order is dead-lettered
	Idle          time.Duration // how long an order stays pending before another worker claims it
	Work          time.Duration // time to process one order
}

func main() {
	dir := flag.String("dir", "orders-data", "data directory of the durable broker")
	fresh := flag.Bool("fresh", false, "remove the data directory (with --redis: the keys) first")
	redisAddr := flag.String("redis", "", "use Redis at `ADDR` instead of the embedded broker (a Cluster: addresses comma-separated)")
	var c Config
	flag.IntVar(&c.Orders, "orders", 60, "orders to produce")
	flag.IntVar(&c.Workers, "workers", 3, "workers in the consumer group")
	flag.Uint64Var(&c.MaxDeliveries, "max-deliveries", 3, "deliveries before a failing order goes to "+deadKey)
	flag.DurationVar(&c.Idle, "idle", 200*time.Millisecond, "idle time before a pending order is claimed by another worker")
	flag.DurationVar(&c.Work, "work", 5*time.Millisecond, "time to process one order")
	flag.Parse()
	if *fresh && *redisAddr == "" {
		if err := os.RemoveAll(*dir); err != nil {
			log.Fatal(err)
		}
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	b, err := open(ctx, *dir, *redisAddr, *fresh)
	if err != nil {
		log.Fatal(err)
	}
	ok, err := run(ctx, b, c, os.Stdout)
	b.Close()
	if err != nil {
		log.Fatal(err)
	}
	if !ok {
		os.Exit(1)
	}
}

// open returns the durable broker in dir, or with redisAddr a client of
// Redis (fresh: the story's keys deleted first). This is the one place that
// knows which.
func open(ctx context.Context, dir, redisAddr string, fresh bool) (broker.Client, error) {
	if redisAddr == "" {
		return broker.Open(dir, broker.Options{})
	}
	c := brookredis.New(redis.NewUniversalClient(&redis.UniversalOptions{
		Addrs: strings.Split(redisAddr, ","),
	}), brookredis.Options{})
	if fresh {
		if _, err := c.Del(ctx, ordersKey, doneKey, deadKey); err != nil {
			c.Close()
			return nil, err
		}
	}
	return c, nil
}

// run produces and processes until every order is done or dead, and prints
// the report. It returns whether the report found every order processed
// exactly once or dead-lettered.
func run(ctx context.Context, b broker.Client, c Config, out io.Writer) (bool, error) {
	err := b.XGroupCreate(ctx, ordersKey, group, broker.GroupCreateOptions{MkStream: true})
	if err != nil && !errors.Is(err, broker.ErrGroupExists) {
		return false, err
	}
	l, err := loadLedger(ctx, b)
	if err != nil {
		return false, err
	}
	if n := l.count(); n > 0 {
		fmt.Fprintf(out, "resuming: %d orders already done or dead\n", n)
	}
	p := &pool{b: b, c: c, l: l, out: out}
	if err := p.run(ctx); err != nil {
		return false, err
	}
	return report(ctx, b, c, out)
}

// ledger knows which orders are recorded as done or dead: loaded from the
// streams at start, then kept up to date. Its mutex makes "check, then
// record" one step for the three workers of this process (the data
// directory's lock keeps other processes out; on Redis, run one process).
type ledger struct {
	mu   sync.Mutex
	done map[int]bool
	dead map[int]bool
}

func loadLedger(ctx context.Context, b broker.Client) (*ledger, error) {
	l := &ledger{done: make(map[int]bool), dead: make(map[int]bool)}
	for key, set := range map[string]map[int]bool{doneKey: l.done, deadKey: l.dead} {
		if err := scan(ctx, b, key, func(e broker.Entry) { set[orderID(e)] = true }); err != nil {
			return nil, err
		}
	}
	return l, nil
}

// scan calls fn on every entry of key, in pages of XRANGE (Range is the
// broker's, not the contract's).
func scan(ctx context.Context, b broker.Client, key string, fn func(broker.Entry)) error {
	from := broker.MinID
	for {
		page, err := b.XRange(ctx, key, from, broker.MaxID, 100)
		if err != nil || len(page) == 0 {
			return err
		}
		for _, e := range page {
			fn(e)
		}
		next, ok := page[len(page)-1].ID.Next()
		if !ok {
			return nil
		}
		from = next
	}
}

func (l *ledger) count() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.done) + len(l.dead)
}

// record appends order to key unless set already has it, and reports
// whether it did. Done this way, a worker killed between recording an order
// and acknowledging it does not record it twice when the order is delivered
// again.
func (l *ledger) record(ctx context.Context, b broker.Client, key string, set map[int]bool, order int, fields ...broker.Field) (bool, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if set[order] {
		return false, nil
	}
	fields = append([]broker.Field{{Name: "order_id", Value: strconv.Itoa(order)}}, fields...)
	if _, err := b.XAdd(ctx, key, fields, broker.AddOptions{}); err != nil {
		return false, err
	}
	set[order] = true
	return true, nil
}

// orderID returns the order_id field of an entry, or -1.
func orderID(e broker.Entry) int {
	for _, f := range e.Fields {
		if f.Name == "order_id" {
			if n, err := strconv.Atoi(f.Value); err == nil {
				return n
			}
		}
	}
	return -1
}

// poisoned orders fail every time; flaky ones fail on their first delivery.
func poisoned(order int) bool { return order%25 == 13 }
func flaky(order int) bool    { return order%7 == 0 }
