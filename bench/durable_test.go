package bench_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/brookmq/brook/broker"
	"github.com/brookmq/brook/wal"
)

// syncBlock is the size of one append of the disk-limit loop.
const syncBlock = 4 << 10

// BenchmarkDiskSync is the disk's own limit: append 4 KiB to a file and
// fdatasync it, in a loop, as the log does for each group commit.
func BenchmarkDiskSync(b *testing.B) {
	d, err := newDiskLoop(b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	defer d.close()
	for b.Loop() {
		if err := d.step(); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(perSecond(b, b.N), "syncs/s")
}

// BenchmarkDurableXAdd appends entries of 3 small fields to one stream of a
// durable broker under the "always" fsync policy (each call returns once its
// entry is on disk; concurrent calls share fsyncs) from 1, 16 and 64
// producers. It reports appends/s, the disk's syncs/s measured just before
// in the same directory tree, and x-disk, their ratio: above 1 only through
// group commit.
func BenchmarkDurableXAdd(b *testing.B) {
	disk, err := diskSyncsPerSecond(b.TempDir(), 300*time.Millisecond)
	if err != nil {
		b.Fatal(err)
	}
	for _, producers := range []int{1, 16, 64} {
		b.Run(fmt.Sprintf("producers=%d", producers), func(b *testing.B) {
			br, err := broker.Open(b.TempDir(), broker.Options{Durability: broker.DurabilityOptions{
				Fsync: wal.FsyncAlways, Logf: b.Logf,
			}})
			if err != nil {
				b.Fatal(err)
			}
			defer br.Close()
			ctx := context.Background()
			b.SetParallelism(goroutinesPerProc(producers))
			b.ReportAllocs()
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if _, err := br.XAdd(ctx, "s", entryFields, broker.AddOptions{}); err != nil {
						b.Error(err)
						return
					}
				}
			})
			b.StopTimer()
			appends := perSecond(b, b.N)
			b.ReportMetric(appends, "appends/s")
			b.ReportMetric(disk, "disk-syncs/s")
			b.ReportMetric(appends/disk, "x-disk")
		})
	}
}

// diskLoop appends syncBlock bytes to a file and fdatasyncs it, step by step.
type diskLoop struct {
	f   *os.File
	buf []byte
}

func newDiskLoop(dir string) (*diskLoop, error) {
	f, err := os.OpenFile(filepath.Join(dir, "sync"), os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		return nil, err
	}
	return &diskLoop{f: f, buf: make([]byte, syncBlock)}, nil
}

func (d *diskLoop) step() error {
	if _, err := d.f.Write(d.buf); err != nil {
		return err
	}
	return fdatasync(d.f)
}

func (d *diskLoop) close() error { return d.f.Close() }

// diskSyncsPerSecond runs the disk loop in dir for at least d (and 10 syncs)
// and returns its rate.
func diskSyncsPerSecond(dir string, d time.Duration) (float64, error) {
	loop, err := newDiskLoop(dir)
	if err != nil {
		return 0, err
	}
	defer loop.close()
	start := time.Now()
	n := 0
	for ; n < 10 || time.Since(start) < d; n++ {
		if err := loop.step(); err != nil {
			return 0, err
		}
	}
	return float64(n) / time.Since(start).Seconds(), nil
}
