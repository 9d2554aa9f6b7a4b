package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// streamKey is the stream (JetStream subject) every Streams workload uses.
const streamKey = "bench.stream"

// storeMode is how a stream store keeps its data.
type storeMode uint8

const (
	memStore     storeMode = iota // in memory, nothing on disk
	durableStore                  // fsync before every acknowledgement
)

// streamPeer is a system under the Streams workloads.
type streamPeer interface {
	name() string
	// open returns an empty store; dir is a fresh directory the store may
	// use for its files.
	open(ctx context.Context, mode storeMode, dir string) (streamStore, error)
}

// streamStore is one open stream store.
type streamStore interface {
	// add appends entry i (see entryValues) with an automatic ID and
	// returns once the system acknowledged it (durable under
	// durableStore). It is safe for concurrent use.
	add(ctx context.Context, i int) error
	// bulk loads entries 0..n-1 as fast as the system allows (pipelined,
	// asynchronous), with the explicit IDs entryID(i) where the system has
	// IDs.
	bulk(ctx context.Context, n int) error
	// group creates consumer group "g" at the start of the stream and
	// returns its consumer "c".
	group(ctx context.Context) (groupReader, error)
	close() error
}

// groupReader is one consumer of a consumer group.
type groupReader interface {
	// readAck reads up to count new entries and acknowledges them,
	// returning how many it read.
	readAck(ctx context.Context, count int) (int, error)
}

// entryValues are the three values of entry i, as in
// /work/shared/notes/stream-memory.md: user_id 1000..9999, product
// prod<4 digits>, amount 1000..9999.
func entryValues(i int) (userID, product, amount string) {
	h := uint32(i)*2654435761 + 12345
	return strconv.Itoa(1000 + int(h%9000)),
		"prod" + strconv.Itoa(1000+int((h>>8)%9000)),
		strconv.Itoa(1000 + int((h>>16)%9000))
}

// entryBody is entry i as one message body for systems without fields.
func entryBody(i int) []byte {
	u, p, a := entryValues(i)
	return []byte("user_id " + u + " product " + p + " amount " + a)
}

// entryMs is the millisecond part of entry i's explicit ID (sequence 0).
func entryMs(i int) uint64 { return 1700000000000 + uint64(i) }

// appendRate runs producers goroutines adding to a fresh store for d and
// returns acknowledged appends per second.
func appendRate(ctx context.Context, p streamPeer, mode storeMode, dir string, producers int, d time.Duration) (float64, error) {
	st, err := p.open(ctx, mode, dir)
	if err != nil {
		return 0, err
	}
	defer st.close()
	var next atomic.Int64
	errs := make([]error, producers)
	start := time.Now()
	deadline := start.Add(d)
	var wg sync.WaitGroup
	for j := range producers {
		wg.Go(func() {
			for time.Now().Before(deadline) {
				if err := st.add(ctx, int(next.Add(1))); err != nil {
					errs[j] = err
					return
				}
			}
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return 0, err
	}
	return float64(next.Load()) / time.Since(start).Seconds(), nil
}

// consumeRate bulk-loads n entries into a fresh in-memory store, then
// measures one group consumer reading batch entries and acknowledging them
// until it has all n; it returns entries per second.
func consumeRate(ctx context.Context, p streamPeer, dir string, n, batch int) (float64, error) {
	st, err := p.open(ctx, memStore, dir)
	if err != nil {
		return 0, err
	}
	defer st.close()
	if err := st.bulk(ctx, n); err != nil {
		return 0, fmt.Errorf("bulk load: %w", err)
	}
	g, err := st.group(ctx)
	if err != nil {
		return 0, fmt.Errorf("group: %w", err)
	}
	start := time.Now()
	for got := 0; got < n; {
		k, err := g.readAck(ctx, batch)
		if err != nil {
			return 0, err
		}
		if k == 0 {
			return 0, fmt.Errorf("group read returned nothing after %d of %d entries", got, n)
		}
		got += k
	}
	return float64(n) / time.Since(start).Seconds(), nil
}

// diskFsyncRate measures the disk's own limit: 4 KiB appended to a file in
// dir, then fdatasync, in a loop for d; it returns fsyncs per second.
func diskFsyncRate(dir string, d time.Duration) (float64, error) {
	f, err := os.OpenFile(filepath.Join(dir, "fsync.probe"), os.O_CREATE|os.O_WRONLY|os.O_APPEND|os.O_TRUNC, 0o600)
	if err != nil {
		return 0, fmt.Errorf("disk probe: %w", err)
	}
	defer os.Remove(f.Name())
	defer f.Close()
	buf := make([]byte, 4096)
	n := 0
	start := time.Now()
	for time.Since(start) < d {
		if _, err := f.Write(buf); err != nil {
			return 0, fmt.Errorf("disk probe: write: %w", err)
		}
		if err := fdatasync(f); err != nil {
			return 0, fmt.Errorf("disk probe: fdatasync: %w", err)
		}
		n++
	}
	return float64(n) / time.Since(start).Seconds(), nil
}

// diskSystem is the column of the disk's own fsync limit.
const diskSystem = "disk (4 KiB + fdatasync)"

// runAppend: in-memory append rate.
func runAppend(e *env) error {
	peers := e.streamPeers(false)
	t := e.res.table("append/mem", "Stream append in memory: appends/s", "producers", perSec)
	return e.appendPoints(t, peers, memStore, e.size.memProducers)
}

// runDurable: durable append rate under fsync always, next to the disk.
func runDurable(e *env) error {
	peers := e.streamPeers(true)
	t := e.res.table("append/durable", "Durable stream append, fsync always: appends/s (the disk column is fsyncs/s)", "producers", perSec)
	if err := e.appendPoints(t, peers, durableStore, e.size.durProducers); err != nil {
		return err
	}
	var disk []float64
	err := e.record("disk fsync limit", []string{diskSystem}, func(int) (string, error) {
		r, err := diskFsyncRate(e.dir, e.size.appendTime)
		if err != nil {
			return "", err
		}
		disk = append(disk, r)
		for _, p := range e.size.durProducers {
			t.add(strconv.Itoa(p), diskSystem, r)
		}
		return format(perSec, r) + " fsyncs/s", nil
	}, func(_ int, err error) { e.res.note("disk probe: %v", err) })
	if len(disk) > 0 {
		e.diskNote = fmt.Sprintf("%s (4 KiB append + fdatasync, median %s/s)", e.dir, format(perSec, median(disk)))
	}
	return err
}

func (e *env) appendPoints(t *table, peers []streamPeer, mode storeMode, producers []int) error {
	for _, np := range producers {
		row := strconv.Itoa(np)
		err := e.record(fmt.Sprintf("%s producers=%d", t.id, np), names(peers), func(i int) (string, error) {
			d, err := e.subdir("store")
			if err != nil {
				return "", err
			}
			r, err := appendRate(e.ctx, peers[i], mode, d, np, e.size.appendTime)
			if err != nil {
				return "", err
			}
			t.add(row, peers[i].name(), r)
			return format(perSec, r) + " appends/s", nil
		}, func(i int, err error) { t.fail(row, peers[i].name(), err) })
		if err != nil {
			return err
		}
	}
	return nil
}

// runConsume: consumer-group read of 100 + ack.
func runConsume(e *env) error {
	peers := e.streamPeers(false)
	t := e.res.table("consume", fmt.Sprintf("Consumer group, read 100 + ack, over %d entries: entries/s", e.size.consumeEntries), "batch", perSec)
	const row = "100"
	return e.record("consume", names(peers), func(i int) (string, error) {
		d, err := e.subdir("store")
		if err != nil {
			return "", err
		}
		r, err := consumeRate(e.ctx, peers[i], d, e.size.consumeEntries, 100)
		if err != nil {
			return "", err
		}
		t.add(row, peers[i].name(), r)
		return format(perSec, r) + " entries/s", nil
	}, func(i int, err error) { t.fail(row, peers[i].name(), err) })
}

// jsMemoryEntries caps the entries of JetStream's memory measurement: its
// store keeps one record per message with nothing shared between messages,
// so bytes per entry do not depend on the count, and loading a million
// messages takes over a minute on a small machine.
const jsMemoryEntries = 100_000

// runMemory: bytes per stream entry.
func runMemory(e *env) error {
	n := e.size.memoryEntries
	t := e.res.table("memory", fmt.Sprintf("Memory per stream entry (%d three-field entries): bytes/entry", n), "measure", bytesPE)
	systems := []string{"brook", "JetStream (State.Bytes)"}
	if n > jsMemoryEntries {
		e.res.note("JetStream's store size is measured over %d entries (its bytes per entry do not depend on the count)", jsMemoryEntries)
	}
	srv := e.redis(false)
	if srv != nil {
		systems = append(systems, redisUsedMemory)
	}
	return e.record("memory", systems, func(i int) (string, error) {
		var v float64
		var err error
		switch systems[i] {
		case "brook":
			v, err = brookMemory(e.ctx, n)
		case redisUsedMemory:
			var usage float64
			if v, usage, err = redisMemory(e.ctx, srv, n); err == nil {
				t.add(memoryRow, redisUsedMemory, v)
				t.add(memoryRow, "Redis (MEMORY USAGE)", usage)
				return fmt.Sprintf("%.1f B/entry (MEMORY USAGE %.1f)", v, usage), nil
			}
		default:
			var d string
			if d, err = e.subdir("js-memory"); err == nil {
				v, err = jsMemory(e.ctx, d, min(n, jsMemoryEntries))
			}
		}
		if err != nil {
			return "", err
		}
		t.add(memoryRow, systems[i], v)
		return fmt.Sprintf("%.1f B/entry", v), nil
	}, func(i int, err error) { t.fail(memoryRow, systems[i], err) })
}

// median of a non-empty slice (sorted in place).
func median(v []float64) float64 {
	slices.Sort(v)
	if len(v)%2 == 1 {
		return v[len(v)/2]
	}
	return (v[len(v)/2-1] + v[len(v)/2]) / 2
}
