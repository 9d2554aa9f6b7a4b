// Command orders is a producer and a consumer group of three workers on a
// durable stream, written on the worker runtime (broker.Consume): the
// workers read, retry and dead-letter, the program only says what handling
// an order is. Some orders fail on their first delivery and are retried
// after a backoff. One kind of order fails every time (a poisoned order):
// after MaxDeliveries deliveries the worker moves it to the dead-letter
// stream "{orders}:dead".
//
// Each processed order is recorded in the stream "orders:done", once: a
// worker records an order only if it is not there yet. The program can be
// killed at any point and run again: the broker is durable (broker.Open),
// the producer resumes after the last order it added, the workers reclaim
// what the killed run left pending, and an order recorded before the kill
// is only acknowledged. In the end every order is processed exactly once or
// dead-lettered; the closing report checks it.
//
// Run it with: go run ./orders (again with the same --dir to resume; --fresh
// starts over). With --redis ADDR (a Cluster: addresses comma-separated) the
// streams live on Redis, through github.com/brookmq/brook/redis: the same
// program, written against broker.Client. There several processes can share
// the work: one with --produce-only, then any number with --workers-only and
// a --name each. Kill one and the others reclaim its orders.
package main

import (
	"context"
	"errors"
	"flag"
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
	ordersKey = "orders"        // the orders, as the producer adds them
	doneKey   = "orders:done"   // one entry per order processed
	deadKey   = "{orders}:dead" // the worker's dead letters; "{orders}" puts it in the orders' Redis Cluster slot
	group     = "workers"
)

// Config is what a run does.
type Config struct {
	Orders           int           // orders the producer adds in total
	Workers          int           // workers (consumers of the group) in this process
	Name             string        // the workers are Name1, Name2...
	Produce, Consume bool          // whether this process produces, and runs workers
	MaxDeliveries    int           // deliveries after which a failing order is dead-lettered
	Backoff          time.Duration // delay before the first retry, doubling with each
	ReclaimIdle      time.Duration // how long a killed worker's orders wait before others take them
	Work             time.Duration // time to process one order
}

func main() {
	dir := flag.String("dir", "orders-data", "data directory of the durable broker")
	fresh := flag.Bool("fresh", false, "remove the data directory (with --redis: the keys) first")
	redisAddr := flag.String("redis", "", "use Redis at `ADDR` instead of the embedded broker (a Cluster: addresses comma-separated)")
	produceOnly := flag.Bool("produce-only", false, "add the orders and exit")
	workersOnly := flag.Bool("workers-only", false, "do not produce: only work, until every order is done or dead")
	var c Config
	flag.IntVar(&c.Orders, "orders", 60, "orders to produce")
	flag.IntVar(&c.Workers, "workers", 3, "workers in this process")
	flag.StringVar(&c.Name, "name", "w", "`prefix` of the workers' names, one per process sharing a group")
	flag.IntVar(&c.MaxDeliveries, "max-deliveries", 5, "deliveries before a failing order goes to "+deadKey)
	flag.DurationVar(&c.Backoff, "backoff", 50*time.Millisecond, "delay before the first retry of a failed order")
	flag.DurationVar(&c.ReclaimIdle, "reclaim-idle", time.Second, "idle time after which the orders of a killed worker are reclaimed")
	flag.DurationVar(&c.Work, "work", 5*time.Millisecond, "time to process one order")
	flag.Parse()
	c.Produce, c.Consume = !*workersOnly, !*produceOnly
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

// run produces, and runs the workers until every order is done or dead and
// nothing is pending, then prints the report. It returns whether the report
// found every order processed exactly once or dead-lettered.
func run(ctx context.Context, b broker.Client, c Config, out io.Writer) (bool, error) {
	err := b.XGroupCreate(ctx, ordersKey, group, broker.GroupCreateOptions{MkStream: true})
	if err != nil && !errors.Is(err, broker.ErrGroupExists) {
		return false, err
	}
	s := &shop{b: b, c: c, log: log.New(out, "", 0), done: make(map[int]int), dead: make(map[int]int)}
	if err := s.refresh(ctx); err != nil {
		return false, err
	}
	if n := s.settled(); n > 0 {
		s.log.Printf("resuming: %d orders already done or dead", n)
	}
	s.loaded = true
	wctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	errs := make(chan error, c.Workers+2)
	goRun := func(f func() error) {
		wg.Go(func() {
			if err := f(); err != nil && !errors.Is(err, context.Canceled) {
				errs <- err
				cancel()
			}
		})
	}
	if c.Produce {
		goRun(func() error { return s.produce(wctx) })
	}
	if c.Consume {
		o := broker.WorkerOptions{MaxDeliveries: c.MaxDeliveries, DeadLetterKey: deadKey,
			MinBackoff: c.Backoff, MaxBackoff: 16 * c.Backoff, ReclaimIdle: c.ReclaimIdle}
		for i := 1; i <= c.Workers; i++ {
			name := c.Name + strconv.Itoa(i)
			goRun(func() error { return broker.Consume(wctx, b, ordersKey, group, name, s.handler(name), o) })
		}
		goRun(func() error { defer cancel(); return s.wait(wctx) }) // then the workers stop
	}
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil || ctx.Err() != nil { // a failure, or ^C
		return false, errors.Join(err, ctx.Err())
	}
	if !c.Consume {
		return true, nil
	}
	return s.report(ctx)
}

// produce adds orders after the last one in the stream, up to c.Orders.
func (s *shop) produce(ctx context.Context) error {
	last, err := s.b.XRevRange(ctx, ordersKey, broker.MaxID, broker.MinID, 1)
	if err != nil {
		return err
	}
	next := 1
	if len(last) == 1 {
		next = orderID(last[0]) + 1
	}
	for order := next; order <= s.c.Orders; order++ {
		fields := []broker.Field{
			{Name: "order_id", Value: strconv.Itoa(order)},
			{Name: "item", Value: items[order%len(items)]},
		}
		if _, err := s.b.XAdd(ctx, ordersKey, fields, broker.AddOptions{}); err != nil {
			return err
		}
		s.log.Printf("producer added order %d", order)
	}
	return nil
}

var items = []string{"book", "lamp", "pen", "mug", "chair"}

// handler is what worker name does with an order. An error leaves the
// order to the worker: retried after a backoff, dead-lettered after
// MaxDeliveries. nil acknowledges it.
func (s *shop) handler(name string) broker.Handler {
	return func(ctx context.Context, e broker.Entry) error {
		order := orderID(e)
		if s.isDone(order) {
			return nil // recorded by a run killed before it acknowledged
		}
		select {
		case <-time.After(s.c.Work): // the work itself
		case <-ctx.Done():
			return ctx.Err()
		}
		if poisoned(order) {
			s.log.Printf("%s order %d failed: poisoned", name, order)
			return errors.New("poisoned order")
		}
		if flaky(order) {
			p, err := s.b.XPendingRange(ctx, ordersKey, group, broker.PendingOptions{Start: e.ID, End: e.ID, Count: 1})
			if err != nil {
				return err
			}
			if len(p) == 1 && p[0].Deliveries == 1 {
				s.log.Printf("%s order %d failed (first delivery), to be retried", name, order)
				return errors.New("flaky order")
			}
		}
		return s.record(ctx, name, order)
	}
}

// poisoned orders fail every time; flaky ones fail on their first delivery.
func poisoned(order int) bool { return order%25 == 13 }
func flaky(order int) bool    { return order%7 == 0 }
