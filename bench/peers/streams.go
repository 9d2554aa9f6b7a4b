package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
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
		if err := syscall.Fdatasync(int(f.Fd())); err != nil {
			return 0, fmt.Errorf("disk probe: fdatasync: %w", err)
		}
		n++
	}
	return float64(n) / time.Since(start).Seconds(), nil
}
