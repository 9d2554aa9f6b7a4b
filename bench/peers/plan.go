package main

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/brookmq/brook/broker"
	"github.com/nats-io/nats.go"
	"github.com/redis/go-redis/v9"
)

// The "plan" workload: the memory figures a user can plan by. Each figure
// is the growth of memory (brook and NATS: the Go heap after a collection,
// in-process; Redis: used_memory) over planCount objects, divided by the
// count:
//
//   - entry: a stream entry of 3 small fields (the memory workload's data)
//   - stream: a stream holding one entry (3 fields, 64 B payload)
//   - idle subscription: a subscription to its own channel (brook: one
//     Subscription per channel; Redis: SUBSCRIBE on one connection; NATS:
//     one subscription per subject on one connection)
//   - pattern: a pattern subscription (PSUBSCRIBE "user.<i>.*"; NATS
//     "user.<i>.*")
//   - consumer group: an empty group on one stream
//   - pending entry: an entry delivered by XREADGROUP and not acknowledged
//     (the growth from the read, over the entries read)

// redisMaxPatterns caps the patterns of the Redis measurement: Redis 7.0
// checks every new pattern against the client's list of patterns, so
// subscribing 100,000 takes minutes; bytes per pattern do not depend on it.
const redisMaxPatterns = 10_000

// planRows are the figures, in report order.
var planRows = []string{"entry", "stream (one entry)", "idle subscription", "pattern", "consumer group", "pending entry"}

// runPlan: the memory figures of brook, Redis and NATS.
func runPlan(e *env) error {
	t := e.res.table("plan", fmt.Sprintf("Memory to plan by: bytes per object (%d objects per figure)", e.size.planCount), "object", bytesPE)
	systems := []string{"brook", "NATS"}
	if e.wants("Redis") && e.redis(false) != nil {
		systems = append(systems, "Redis")
	}
	systems = keepNames(e, systems)
	n := e.size.planCount
	for _, row := range planRows {
		systems := systems
		if row == "consumer group" || row == "pending entry" {
			systems = slices.DeleteFunc(slices.Clone(systems), func(s string) bool { return s == "NATS" })
		}
		err := e.record("plan "+row, systems, func(i int) (string, error) {
			var v float64
			var err error
			switch systems[i] {
			case "brook":
				v, err = brookPlan(e.ctx, row, n)
			case "NATS":
				v, err = e.natsPlan(row, n)
			default:
				rn := n
				if row == "pattern" {
					rn = min(n, redisMaxPatterns)
				}
				v, err = redisPlan(e.ctx, e.redis(false), row, rn)
			}
			if err != nil {
				return "", err
			}
			t.add(row, systems[i], v)
			return fmt.Sprintf("%.1f B", v), nil
		}, func(i int, err error) { t.fail(row, systems[i], err) })
		if err != nil {
			return err
		}
	}
	return nil
}

// brookPlan measures one figure on a fresh in-memory broker.
func brookPlan(ctx context.Context, row string, n int) (float64, error) {
	b, err := broker.New(broker.Options{})
	if err != nil {
		return 0, err
	}
	defer b.Close()
	var subs []*broker.Subscription
	defer func() {
		for _, s := range subs {
			s.Close()
		}
	}()
	if row == "pending entry" {
		if err := (brookStore{b}).bulk(ctx, n); err != nil {
			return 0, err
		}
		if err := b.XGroupCreate(ctx, streamKey, "g", broker.GroupCreateOptions{}); err != nil {
			return 0, err
		}
	}
	before := heapAfterGC()
	switch row {
	case "entry":
		err = (brookStore{b}).bulk(ctx, n)
	case "stream (one entry)":
		st := brookManyStreams{b}
		for i := 0; i < n && err == nil; i++ {
			err = st.add(ctx, i)
		}
	case "idle subscription", "pattern":
		for i := 0; i < n && err == nil; i++ {
			var s *broker.Subscription
			if row == "pattern" {
				s, err = b.PSubscribe("user." + strconv.Itoa(i) + ".*")
			} else {
				s, err = b.Subscribe("user." + strconv.Itoa(i))
			}
			subs = append(subs, s)
		}
	case "consumer group":
		if _, err = b.XAdd(ctx, streamKey, scaleFields, broker.AddOptions{}); err == nil {
			before = heapAfterGC()
			for i := 0; i < n && err == nil; i++ {
				err = b.XGroupCreate(ctx, streamKey, "g"+strconv.Itoa(i), broker.GroupCreateOptions{})
			}
		}
	case "pending entry":
		err = brookReadPending(ctx, b, n)
	}
	if err != nil {
		return 0, err
	}
	after := heapAfterGC()
	return (float64(after) - float64(before)) / float64(n), nil
}

// natsPlan measures the NATS figures, server and client in-process:
// subscriptions and wildcard subscriptions of core NATS (delivering into
// one shared channel, so no per-subscription buffer or goroutine), and
// entries and one-message subjects of a JetStream stream in memory
// storage. Groups and pending entries have no counterpart measured here.
func (e *env) natsPlan(row string, n int) (float64, error) {
	d, err := e.subdir("nats-plan")
	if err != nil {
		return 0, err
	}
	if row == "entry" || row == "stream (one entry)" {
		st, err := openJSManyStreams(d)
		if err != nil {
			return 0, err
		}
		defer st.close()
		js := st.(jsManyStreams)
		before := heapAfterGC()
		for i := range n {
			subj := "user.0"
			body := entryBody(i)
			if row != "entry" {
				subj, body = "user."+strconv.Itoa(i), scaleBody
			}
			if _, err := js.js.Publish(subj, body); err != nil {
				return 0, err
			}
		}
		return (float64(heapAfterGC()) - float64(before)) / float64(n), nil
	}
	srv, err := startNATS(d, false)
	if err != nil {
		return 0, err
	}
	defer srv.stop()
	nc, err := srv.connect()
	if err != nil {
		return 0, err
	}
	defer nc.Close()
	ch := make(chan *nats.Msg, 1)
	before := heapAfterGC()
	for i := range n {
		subj := "user." + strconv.Itoa(i)
		if row == "pattern" {
			subj += ".*"
		}
		if _, err := nc.ChanSubscribe(subj, ch); err != nil {
			return 0, err
		}
	}
	if err := nc.Flush(); err != nil {
		return 0, err
	}
	after := heapAfterGC()
	return (float64(after) - float64(before)) / float64(n), nil
}

// redisPlan measures one figure on the Redis server, flushed first.
func redisPlan(ctx context.Context, srv *redisServer, row string, n int) (float64, error) {
	rdb := srv.client(2)
	defer rdb.Close()
	if err := rdb.FlushAll(ctx).Err(); err != nil {
		return 0, err
	}
	store := redisStore{rdb}
	if row == "pending entry" {
		if err := store.bulk(ctx, n); err != nil {
			return 0, err
		}
		if err := rdb.XGroupCreate(ctx, streamKey, "g", "0").Err(); err != nil {
			return 0, err
		}
	}
	if row == "consumer group" {
		if err := rdb.XAdd(ctx, &redis.XAddArgs{Stream: streamKey, Values: []any{"a", "1"}}).Err(); err != nil {
			return 0, err
		}
	}
	before, err := infoUsedMemory(ctx, rdb)
	if err != nil {
		return 0, err
	}
	var ps *redis.PubSub
	switch row {
	case "entry":
		err = store.bulk(ctx, n)
	case "stream (one entry)":
		st := redisManyStreams{rdb}
		for i := 0; i < n && err == nil; i++ {
			err = st.add(ctx, i)
		}
	case "idle subscription", "pattern":
		chans := make([]string, n)
		for i := range chans {
			chans[i] = "user." + strconv.Itoa(i)
		}
		if row == "pattern" {
			for i := range chans {
				chans[i] += ".*"
			}
			ps = rdb.PSubscribe(ctx, chans...)
		} else {
			ps = rdb.Subscribe(ctx, chans...)
		}
		err = waitSubscribed(ctx, rdb, row == "pattern", chans)
	case "consumer group":
		for i := 0; i < n && err == nil; i++ {
			err = rdb.XGroupCreate(ctx, streamKey, "g"+strconv.Itoa(i), "$").Err()
		}
	case "pending entry":
		var res []redis.XStream
		res, err = rdb.XReadGroup(ctx, &redis.XReadGroupArgs{Group: "g", Consumer: "c", Streams: []string{streamKey, ">"}, Count: int64(n)}).Result()
		if err == nil && (len(res) != 1 || len(res[0].Messages) != n) {
			err = fmt.Errorf("read %d streams, want 1 with %d entries", len(res), n)
		}
	}
	if err != nil {
		return 0, err
	}
	after, err := infoUsedMemory(ctx, rdb)
	if ps != nil {
		ps.Close()
	}
	if err != nil {
		return 0, err
	}
	return float64(after-before) / float64(n), nil
}

// brookReadPending reads n entries of streamKey as consumer "c" of group
// "g" without acknowledging them (the entries read become garbage).
func brookReadPending(ctx context.Context, b *broker.Broker, n int) error {
	res, err := b.XReadGroup(ctx, "g", "c", []broker.ReadStream{{Key: streamKey, From: broker.Undelivered()}}, broker.GroupReadOptions{Count: n})
	if err == nil && (len(res) != 1 || len(res[0].Entries) != n) {
		err = fmt.Errorf("read %d streams, want 1 with %d entries", len(res), n)
	}
	return err
}

// waitSubscribed polls until the server counts the last of chans among its
// subscriptions (or patterns).
func waitSubscribed(ctx context.Context, rdb *redis.Client, pattern bool, chans []string) error {
	last := chans[len(chans)-1]
	for range 1000 {
		if pattern {
			np, err := rdb.PubSubNumPat(ctx).Result()
			if err != nil || np >= int64(len(chans)) {
				return err
			}
		} else {
			m, err := rdb.PubSubNumSub(ctx, last).Result()
			if err != nil || m[last] == 1 {
				return err
			}
		}
		time.Sleep(5 * time.Millisecond)
	}
	return fmt.Errorf("redis: %d subscriptions not confirmed", len(chans))
}
