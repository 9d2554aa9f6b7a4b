package broker

// White-box: the benchmarks read the log's group-commit counters.

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/brookmq/brook/stream"
	"github.com/brookmq/brook/wal"
)

// BenchmarkDiskSync is the disk's own limit, measured the way the log
// writes: append 4 KiB to a file and fdatasync it, in a loop.
func BenchmarkDiskSync(b *testing.B) {
	f, err := os.OpenFile(filepath.Join(b.TempDir(), "sync"), os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	buf := make([]byte, 4<<10)
	start := time.Now()
	for b.Loop() {
		if _, err := f.Write(buf); err != nil {
			b.Fatal(err)
		}
		if err := syscall.Fdatasync(int(f.Fd())); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "syncs/s")
}

// BenchmarkDurableXAdd measures XADD on a durable broker under FsyncAlways
// with 1, 16 and 64 concurrent producers: every call returns only once its
// entry is on disk, and concurrent calls share fsyncs (group commit).
func BenchmarkDurableXAdd(b *testing.B) {
	for _, producers := range []int{1, 16, 64} {
		b.Run(fmt.Sprintf("producers=%d", producers), func(b *testing.B) {
			benchDurableXAdd(b, producers)
		})
	}
}

func benchDurableXAdd(b *testing.B, producers int) {
	br, err := Open(b.TempDir(), Options{Durability: DurabilityOptions{Fsync: wal.FsyncAlways, Logf: b.Logf}})
	if err != nil {
		b.Fatal(err)
	}
	defer br.Close()
	ctx := context.Background()
	fields := []stream.Field{{Name: "payload", Value: string(make([]byte, 100))}}
	before := br.dur.log.Stats()
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	var wg sync.WaitGroup
	for p := range producers {
		n := b.N / producers
		if p < b.N%producers {
			n++
		}
		key := fmt.Sprintf("s%d", p%4)
		wg.Go(func() {
			for range n {
				if _, err := br.XAdd(ctx, key, fields, AddOptions{}); err != nil {
					b.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	b.StopTimer()
	after := br.dur.log.Stats()
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "appends/s")
	if syncs := after.Syncs - before.Syncs; syncs > 0 {
		b.ReportMetric(float64(after.Appends-before.Appends)/float64(syncs), "records/fsync")
	}
}
