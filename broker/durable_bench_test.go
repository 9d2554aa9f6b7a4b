package broker

// White-box: the benchmarks read the log's group-commit counters.

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/brookmq/brook/stream"
	"github.com/brookmq/brook/wal"
)

// diskSyncRate is the disk's own limit measured for about d in dir, as
// BenchmarkDiskSync does: fdatasyncs per second of 4 KiB appends.
func diskSyncRate(b *testing.B, dir string, d time.Duration) float64 {
	f, err := os.OpenFile(filepath.Join(dir, "probe"), os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		b.Fatal(err)
	}
	defer os.Remove(f.Name())
	defer f.Close()
	buf := make([]byte, 4<<10)
	n, start := 0, time.Now()
	for ; time.Since(start) < d || n < 10; n++ {
		if _, err := f.Write(buf); err != nil {
			b.Fatal(err)
		}
		if err := datasync(f); err != nil {
			b.Fatal(err)
		}
	}
	return float64(n) / time.Since(start).Seconds()
}

// BenchmarkDurableXAdd measures XADD on a durable broker under FsyncAlways
// with 1, 16 and 64 concurrent producers: every call returns only once its
// entry is on disk, and concurrent calls share fsyncs (group commit). Batch
// runs 64 producers calling XAddBatch with 16 entries each (an op is one
// entry). Metrics: appends/s (entries), records/fsync (entries per fsync of
// the log), fsyncs/s (the log's), disk-syncs/s (the disk alone, probed in
// the same directory just before and just after, averaged: a shared disk's
// rate drifts) and x-disk (appends/s over disk-syncs/s).
func BenchmarkDurableXAdd(b *testing.B) {
	for _, producers := range []int{1, 16, 64} {
		b.Run(fmt.Sprintf("producers=%d", producers), func(b *testing.B) {
			benchDurableXAdd(b, producers, 1)
		})
	}
	b.Run("producers=64/batch=16", func(b *testing.B) {
		benchDurableXAdd(b, 64, 16)
	})
}

func benchDurableXAdd(b *testing.B, producers, batch int) {
	dir := b.TempDir()
	disk := diskSyncRate(b, dir, 100*time.Millisecond)
	br, err := Open(dir, Options{Durability: DurabilityOptions{Fsync: wal.FsyncAlways, Logf: b.Logf}})
	if err != nil {
		b.Fatal(err)
	}
	defer br.Close()
	fields := []stream.Field{{Name: "payload", Value: string(make([]byte, 100))}}
	entries := make([][]stream.Field, batch)
	for i := range entries {
		entries[i] = fields
	}
	before := br.jr.d.log.Stats()
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	var wg sync.WaitGroup
	calls := (b.N + batch - 1) / batch
	for p := range producers {
		n := calls / producers
		if p < calls%producers {
			n++
		}
		key := fmt.Sprintf("s%d", p%4)
		wg.Go(func() { produce(b, br, key, n, entries) })
	}
	wg.Wait()
	elapsed := time.Since(start)
	b.StopTimer()
	after := br.jr.d.log.Stats()
	disk = (disk + diskSyncRate(b, dir, 100*time.Millisecond)) / 2
	rate := float64(calls*batch) / elapsed.Seconds()
	syncs := after.Syncs - before.Syncs
	b.ReportMetric(rate, "appends/s")
	b.ReportMetric(float64(calls*batch)/float64(max(syncs, 1)), "records/fsync")
	b.ReportMetric(float64(syncs)/elapsed.Seconds(), "fsyncs/s")
	b.ReportMetric(disk, "disk-syncs/s")
	b.ReportMetric(rate/disk, "x-disk")
}

// produce makes n calls of XAdd (one entry) or XAddBatch (more).
func produce(b *testing.B, br *Broker, key string, n int, entries [][]stream.Field) {
	ctx := context.Background()
	for range n {
		var err error
		if len(entries) == 1 {
			_, err = br.XAdd(ctx, key, entries[0], AddOptions{})
		} else {
			_, err = br.XAddBatch(ctx, key, entries, AddOptions{})
		}
		if err != nil {
			b.Error(err)
			return
		}
	}
}
