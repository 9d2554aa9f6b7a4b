package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/brookmq/brook/broker"
	brookredis "github.com/brookmq/brook/redis"
	"github.com/redis/go-redis/v9"
)

// The "outgrow" workload measures what moving costs: the same code, written
// once against broker.Client, on the embedded in-memory broker, on one
// redis-server and on a three-master Redis Cluster (both without
// persistence), all on loopback. Only the line that makes the client differs.

// clientTarget is one place the broker.Client code runs.
type clientTarget struct {
	name string
	// open returns an empty client.
	open func(ctx context.Context) (broker.Client, error)
}

// outgrowKey is the stream of the workload: one key, so on the Cluster one
// slot and one master serve it, as they would one application stream.
const outgrowKey = "{bench}.outgrow"

// outgrowTargets returns the embedded broker and, when Redis runs, the
// server and the Cluster.
func (e *env) outgrowTargets() []clientTarget {
	ts := []clientTarget{{name: "brook (broker.New)", open: func(context.Context) (broker.Client, error) {
		return broker.New(broker.Options{})
	}}}
	if !e.wants("Redis") {
		return ts
	}
	if srv := e.redis(false); srv != nil {
		ts = append(ts, clientTarget{name: "Redis server", open: func(ctx context.Context) (broker.Client, error) {
			rdb := redis.NewUniversalClient(&redis.UniversalOptions{Addrs: []string{srv.addr}})
			if err := rdb.FlushAll(ctx).Err(); err != nil {
				rdb.Close()
				return nil, err
			}
			return brookredis.New(rdb, brookredis.Options{}), nil
		}})
	}
	if addrs := e.cluster(); addrs != nil {
		ts = append(ts, clientTarget{name: "Redis Cluster (3 masters)", open: func(ctx context.Context) (broker.Client, error) {
			rdb := redis.NewUniversalClient(&redis.UniversalOptions{Addrs: addrs})
			err := rdb.(*redis.ClusterClient).ForEachMaster(ctx, func(ctx context.Context, m *redis.Client) error {
				return m.FlushAll(ctx).Err()
			})
			if err != nil {
				rdb.Close()
				return nil, err
			}
			return brookredis.New(rdb, brookredis.Options{}), nil
		}})
	}
	return ts
}

// runOutgrow: XADD rate and consumer-group read + ack rate of the same
// broker.Client code on each target.
func runOutgrow(e *env) error {
	ts := e.outgrowTargets()
	tnames := make([]string, len(ts))
	for i, t := range ts {
		tnames[i] = t.name
	}
	add := e.res.table("outgrow/xadd", "Same broker.Client code: XAdd, entries/s", "producers", perSec)
	for _, np := range e.size.memProducers {
		row := strconv.Itoa(np)
		err := e.record(fmt.Sprintf("outgrow xadd producers=%d", np), tnames, func(i int) (string, error) {
			r, err := outgrowAdd(e.ctx, ts[i], np, e.size.appendTime)
			if err != nil {
				return "", err
			}
			add.add(row, ts[i].name, r)
			return format(perSec, r) + " entries/s", nil
		}, func(i int, err error) { add.fail(row, ts[i].name, err) })
		if err != nil {
			return err
		}
	}
	n := e.size.consumeEntries
	read := e.res.table("outgrow/readack", fmt.Sprintf("Same broker.Client code: XReadGroup 100 + XAck over %d entries, entries/s", n), "batch", perSec)
	return e.record("outgrow read+ack", tnames, func(i int) (string, error) {
		r, err := outgrowReadAck(e.ctx, ts[i], n, 100)
		if err != nil {
			return "", err
		}
		read.add("100", ts[i].name, r)
		return format(perSec, r) + " entries/s", nil
	}, func(i int, err error) { read.fail("100", ts[i].name, err) })
}

// outgrowFields is the entry of the workload (entryValues' three fields).
func outgrowFields(i int) []broker.Field {
	u, p, a := entryValues(i)
	return []broker.Field{{Name: "user_id", Value: u}, {Name: "product", Value: p}, {Name: "amount", Value: a}}
}

// outgrowAdd runs producers goroutines calling XAdd for d and returns
// entries per second.
func outgrowAdd(ctx context.Context, t clientTarget, producers int, d time.Duration) (float64, error) {
	c, err := t.open(ctx)
	if err != nil {
		return 0, err
	}
	defer c.Close()
	var added atomic.Int64
	var wg sync.WaitGroup
	errs := make([]error, producers)
	start := time.Now()
	stop := start.Add(d)
	for p := range producers {
		wg.Go(func() {
			for i := p; time.Now().Before(stop); i += producers {
				if _, err := c.XAdd(ctx, outgrowKey, outgrowFields(i), broker.AddOptions{}); err != nil {
					errs[p] = err
					return
				}
				added.Add(1)
			}
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return 0, err
	}
	return float64(added.Load()) / time.Since(start).Seconds(), nil
}

// outgrowReadAck loads n entries (16 producers, not timed), then times one
// consumer of a group reading batch entries and acknowledging them until it
// has all n; it returns entries per second.
func outgrowReadAck(ctx context.Context, t clientTarget, n, batch int) (float64, error) {
	c, err := t.open(ctx)
	if err != nil {
		return 0, err
	}
	defer c.Close()
	const loaders = 16
	var wg sync.WaitGroup
	errs := make([]error, loaders)
	for l := range loaders {
		wg.Go(func() {
			for i := l; i < n; i += loaders {
				if _, err := c.XAdd(ctx, outgrowKey, outgrowFields(i), broker.AddOptions{}); err != nil {
					errs[l] = err
					return
				}
			}
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return 0, fmt.Errorf("load: %w", err)
	}
	if err := c.XGroupCreate(ctx, outgrowKey, "g", broker.GroupCreateOptions{}); err != nil {
		return 0, err
	}
	from := []broker.ReadStream{{Key: outgrowKey, From: broker.Undelivered()}}
	ids := make([]broker.ID, 0, batch)
	start := time.Now()
	for got := 0; got < n; {
		res, err := c.XReadGroup(ctx, "g", "c", from, broker.GroupReadOptions{Count: batch})
		if err != nil {
			return 0, err
		}
		if len(res) == 0 || len(res[0].Entries) == 0 {
			return 0, fmt.Errorf("group read returned nothing after %d of %d entries", got, n)
		}
		ids = ids[:0]
		for _, en := range res[0].Entries {
			ids = append(ids, en.ID)
		}
		if _, err := c.XAck(ctx, outgrowKey, "g", ids...); err != nil {
			return 0, err
		}
		got += len(ids)
	}
	return float64(n) / time.Since(start).Seconds(), nil
}

// cluster returns the addresses of a three-master Redis Cluster on
// loopback, starting it on first use; nil (with the reason noted once) when
// it cannot run.
func (e *env) cluster() []string {
	if !e.clusterTried {
		e.clusterTried = true
		e.clusterAddrs, e.clusterErr = e.startCluster()
		if e.clusterErr != nil {
			fmt.Println("skipping Redis Cluster:", e.clusterErr)
			e.res.note("Redis Cluster skipped: %v", e.clusterErr)
		}
	}
	return e.clusterAddrs
}

// startCluster starts three redis-server masters with cluster mode on,
// joins them with redis-cli --cluster create and waits for cluster_state:ok.
func (e *env) startCluster() ([]string, error) {
	if _, err := exec.LookPath("redis-cli"); err != nil {
		return nil, errors.New("redis-cli not found on PATH (apt-get install redis-tools)")
	}
	var addrs []string
	for range 3 {
		port, err := busFreePort()
		if err != nil {
			return nil, err
		}
		d, err := e.subdir("redis-cluster")
		if err != nil {
			return nil, err
		}
		srv, err := startRedisAt(e.ctx, d, port, "--cluster-enabled", "yes",
			"--cluster-config-file", filepath.Join(d, fmt.Sprintf("nodes-%d.conf", port)))
		if err != nil {
			return nil, err
		}
		e.clusterNodes = append(e.clusterNodes, srv)
		addrs = append(addrs, srv.addr)
	}
	args := append(append([]string{"--cluster", "create"}, addrs...), "--cluster-replicas", "0", "--cluster-yes")
	if out, err := exec.CommandContext(e.ctx, "redis-cli", args...).CombinedOutput(); err != nil {
		return nil, fmt.Errorf("redis-cli --cluster create: %v: %s", err, out)
	}
	for _, a := range addrs {
		c := redis.NewClient(&redis.Options{Addr: a})
		deadline := time.Now().Add(20 * time.Second)
		for {
			info, err := c.ClusterInfo(e.ctx).Result()
			if err == nil && strings.Contains(info, "cluster_state:ok") {
				break
			}
			if time.Now().After(deadline) {
				c.Close()
				return nil, fmt.Errorf("cluster node %s not ok: %v", a, err)
			}
			time.Sleep(20 * time.Millisecond)
		}
		c.Close()
	}
	return addrs, nil
}

// busFreePort returns a free loopback port whose cluster bus port
// (port+10000) is free too.
func busFreePort() (int, error) {
	for range 100 {
		port, err := freePort()
		if err != nil {
			return 0, err
		}
		if port+10000 > 65535 {
			continue
		}
		l, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port+10000)))
		if err != nil {
			continue
		}
		l.Close()
		return port, nil
	}
	return 0, errors.New("no free loopback port pair for a cluster node")
}

// stopCluster stops the Cluster's nodes.
func (e *env) stopCluster() {
	for _, n := range e.clusterNodes {
		n.stop()
	}
	e.clusterNodes = nil
}
