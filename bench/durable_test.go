package bench_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"
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
// producers. It reports appends/s, the disk's syncs/s (the disk loop run for
// 300 ms just before and just after, in the same directory tree; their mean)
// and x-disk, appends/s over syncs/s: above 1 only through group commit.
func BenchmarkDurableXAdd(b *testing.B) {
	for _, producers := range []int{1, 16, 64} {
		b.Run(fmt.Sprintf("producers=%d", producers), func(b *testing.B) {
			benchDurableXAdd(b, producers)
		})
	}
}

func benchDurableXAdd(b *testing.B, producers int) {
	const diskTime = 300 * time.Millisecond
	diskBefore, err := diskSyncsPerSecond(b.TempDir(), diskTime)
	if err != nil {
		b.Fatal(err)
	}
	br, err := broker.Open(b.TempDir(), broker.Options{Durability: broker.DurabilityOptions{
		Fsync: wal.FsyncAlways, Logf: b.Logf,
	}})
	if err != nil {
		b.Fatal(err)
	}
	defer br.Close()
	p := startProducers(br, producers)
	b.ReportAllocs()
	for b.Loop() {
		p.tokens <- struct{}{}
	}
	b.StartTimer()
	err = p.stop()
	b.StopTimer()
	if err != nil {
		b.Fatal(err)
	}
	diskAfter, err := diskSyncsPerSecond(b.TempDir(), diskTime)
	if err != nil {
		b.Fatal(err)
	}
	disk := (diskBefore + diskAfter) / 2
	appends := perSecond(b, b.N)
	b.ReportMetric(appends, "appends/s")
	b.ReportMetric(disk, "disk-syncs/s")
	b.ReportMetric(appends/disk, "x-disk")
}

// producers are goroutines that each XADD to stream "s" once per token.
type producers struct {
	tokens chan struct{}
	errs   chan error
	wg     sync.WaitGroup
}

func startProducers(br *broker.Broker, n int) *producers {
	p := &producers{tokens: make(chan struct{}, n), errs: make(chan error, n)}
	ctx := context.Background()
	for range n {
		p.wg.Go(func() {
			for range p.tokens {
				if _, err := br.XAdd(ctx, "s", entryFields, broker.AddOptions{}); err != nil {
					p.errs <- err
					for range p.tokens { // keep draining so the sender never blocks
					}
					return
				}
			}
		})
	}
	return p
}

// stop lets the producers finish the tokens sent and returns the first error.
func (p *producers) stop() error {
	close(p.tokens)
	p.wg.Wait()
	close(p.errs)
	return <-p.errs
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
