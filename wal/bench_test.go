package wal_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/brookmq/brook/wal"
)

// benchDir returns where benchmarks write: BROOK_BENCH_DIR if set (to measure
// a particular disk), else a temporary directory.
func benchDir(b *testing.B) string {
	if d := os.Getenv("BROOK_BENCH_DIR"); d != "" {
		d, err := os.MkdirTemp(d, "walbench")
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { os.RemoveAll(d) })
		return d
	}
	return b.TempDir()
}

// BenchmarkAppendWait measures durable appends under FsyncAlways on the real
// disk: n appenders each append a 128-byte record and wait for it. Compare
// appends/s with BenchmarkDiskLimit's fsyncs/s: records/fsync is the group
// commit factor.
func BenchmarkAppendWait(b *testing.B) {
	rec := make([]byte, 128)
	for _, n := range []int{1, 16, 64} {
		b.Run(fmt.Sprintf("appenders=%d", n), func(b *testing.B) {
			l, err := wal.Open(benchDir(b), wal.Options{})
			if err != nil {
				b.Fatal(err)
			}
			defer l.Close()
			b.ReportAllocs()
			before := l.Stats()
			var next atomic.Int64
			var wg sync.WaitGroup
			b.ResetTimer()
			for range n {
				wg.Go(func() {
					for next.Add(1) <= int64(b.N) {
						pos, err := l.Append(rec)
						if err == nil {
							err = l.Wait(context.Background(), pos)
						}
						if err != nil {
							b.Error(err)
							return
						}
					}
				})
			}
			wg.Wait()
			b.StopTimer()
			st := l.Stats()
			syncs := st.Syncs - before.Syncs
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "appends/s")
			b.ReportMetric(float64(b.N)/float64(max(syncs, 1)), "records/fsync")
		})
	}
}

// BenchmarkDiskLimit is the disk's own limit for BenchmarkAppendWait: a loop
// of one 4 KiB append and one fdatasync, through the same file layer.
func BenchmarkDiskLimit(b *testing.B) {
	f, err := wal.OSFS{}.OpenFile(filepath.Join(benchDir(b), "disk"), os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	buf := make([]byte, 4096)
	for b.Loop() {
		if _, err := f.Write(buf); err != nil {
			b.Fatal(err)
		}
		if err := f.Sync(); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "fsyncs/s")
}

// BenchmarkAppend measures Append alone (FsyncNo, no waiting): the cost the
// broker pays under its stream lock.
func BenchmarkAppend(b *testing.B) {
	l, err := wal.Open(benchDir(b), wal.Options{Fsync: wal.FsyncNo})
	if err != nil {
		b.Fatal(err)
	}
	defer l.Close()
	rec := make([]byte, 128)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := l.Append(rec); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRecover measures Open (recovery reads and checks every record)
// and a full Replay of a log of 64 MiB of 128-byte records, from the page
// cache.
func BenchmarkRecover(b *testing.B) {
	d := benchDir(b)
	l, err := wal.Open(d, wal.Options{Fsync: wal.FsyncNo, SegmentSize: 16 << 20})
	if err != nil {
		b.Fatal(err)
	}
	rec := make([]byte, 128)
	const total = 64 << 20
	for range total / (128 + wal.RecordHeaderSize) {
		if _, err := l.Append(rec); err != nil {
			b.Fatal(err)
		}
	}
	if err := l.Close(); err != nil {
		b.Fatal(err)
	}
	b.Run("Open", func(b *testing.B) {
		b.SetBytes(total)
		for b.Loop() {
			l, err := wal.Open(d, wal.Options{})
			if err != nil {
				b.Fatal(err)
			}
			l.Close()
		}
	})
	b.Run("Replay", func(b *testing.B) {
		l, err := wal.Open(d, wal.Options{})
		if err != nil {
			b.Fatal(err)
		}
		defer l.Close()
		b.SetBytes(total)
		b.ReportAllocs()
		for b.Loop() {
			if err := l.Replay(0, func(uint64, []byte) error { return nil }); err != nil {
				b.Fatal(err)
			}
		}
	})
}
