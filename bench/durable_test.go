package bench_test

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/brookmq/brook/broker"
	"github.com/brookmq/brook/internal/cputime"
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

// BenchmarkDiskSyncOverwrite is the disk's limit for the log's own write
// pattern: overwrite 4 KiB of a preallocated file and fdatasync it, in a
// loop. The log preallocates its segments, so its fdatasyncs write data
// only, with no size change or block allocation to journal.
func BenchmarkDiskSyncOverwrite(b *testing.B) {
	d, err := newOverwriteLoop(b.TempDir(), overwriteSize)
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
// producers. Metrics:
//   - appends/s;
//   - disk-syncs/s, the appending disk loop (BenchmarkDiskSync) run for
//     300 ms just before and just after, in the same directory tree (their
//     mean), and ow-syncs/s, the same for the overwriting loop
//     (BenchmarkDiskSyncOverwrite), the log's own write pattern;
//   - x-disk, appends/s over disk-syncs/s: above 1 only through group commit;
//   - ceiling and ow-ceiling, appends/s over disk-syncs/s (ow-syncs/s) x
//     producers: each producer has one append in flight, so 1 means every
//     fsync carried one record of every producer at the loop's rate;
//   - fsyncs/s and records/fsync, from the log's segment fdatasyncs counted
//     through the broker's file-system seam (a wal.OSFS wrapper), and
//     log-x-ow, the log's fsyncs/s over ow-syncs/s;
//   - cpu-ns/append, the process's CPU time per append (2 cores: 1e9
//     over it is the rate at which the CPU alone would be saturated);
//   - ack-p50-ns and ack-p99-ns, the latency of each XAdd call in the
//     producers, from the call to its return;
//   - fsync-p50-ns and fsync-p99-ns, the duration of each of those log
//     fdatasyncs: an append waits for the end of the fsync running when it
//     arrives, then for its own, so its latency is about two of them.
func BenchmarkDurableXAdd(b *testing.B) {
	for _, producers := range []int{1, 16, 64} {
		b.Run(fmt.Sprintf("producers=%d", producers), func(b *testing.B) {
			benchDurableXAdd(b, producers)
		})
	}
}

func benchDurableXAdd(b *testing.B, producers int) {
	before := probeDisk(b)
	br, sfs, err := openCounted(b.TempDir(), wal.FsyncAlways, b.Logf)
	if err != nil {
		b.Fatal(err)
	}
	defer br.Close()
	p := startProducers(br, producers)
	syncs0 := sfs.syncs.Load()
	cpu := cputime.Process()
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
	syncs := sfs.syncs.Load() - syncs0
	reportCPU(b, cpu, b.N, "cpu-ns/append")
	after := probeDisk(b)
	disk, ow := (before.append+after.append)/2, (before.overwrite+after.overwrite)/2
	appends, fsyncs := perSecond(b, b.N), perSecond(b, int(syncs))
	b.ReportMetric(appends, "appends/s")
	b.ReportMetric(disk, "disk-syncs/s")
	b.ReportMetric(appends/disk, "x-disk")
	b.ReportMetric(appends/(disk*float64(producers)), "ceiling")
	b.ReportMetric(ow, "ow-syncs/s")
	b.ReportMetric(appends/(ow*float64(producers)), "ow-ceiling")
	b.ReportMetric(fsyncs, "fsyncs/s")
	b.ReportMetric(fsyncs/ow, "log-x-ow")
	b.ReportMetric(float64(b.N)/float64(max(syncs, 1)), "records/fsync")
	reportPercentiles(b, p.latencies(), "ack-")
	reportPercentiles(b, sfs.syncTimes(int(syncs0)), "fsync-")
}

// diskRates are the disk loops' syncs/s.
type diskRates struct{ append, overwrite float64 }

// probeDisk runs each disk loop for 300 ms in a new directory.
func probeDisk(b *testing.B) diskRates {
	const probeTime = 300 * time.Millisecond
	var r diskRates
	var err error
	if r.append, err = diskSyncsPerSecond(b.TempDir(), probeTime); err != nil {
		b.Fatal(err)
	}
	if r.overwrite, err = overwriteSyncsPerSecond(b.TempDir(), probeTime); err != nil {
		b.Fatal(err)
	}
	return r
}

// openCounted opens a durable broker in dir under policy whose log segment
// fdatasyncs are counted by the returned file system.
func openCounted(dir string, policy wal.FsyncPolicy, logf func(string, ...any)) (*broker.Broker, *syncCountFS, error) {
	sfs := &syncCountFS{logDir: filepath.Join(dir, "wal")}
	br, err := broker.Open(dir, broker.Options{Durability: broker.DurabilityOptions{
		Fsync: policy, FS: sfs, Logf: logf,
	}})
	return br, sfs, err
}

// syncCountFS is the operating system's file system that counts and times
// the Syncs of files in logDir: the log's segment fdatasyncs, which the
// broker does not expose. A broker on it locks its directory in-process
// rather than with flock, which changes nothing after Open.
type syncCountFS struct {
	wal.OSFS
	logDir string
	syncs  atomic.Uint64

	mu    sync.Mutex
	times []time.Duration // of each counted Sync
}

// OpenFile implements wal.FS, counting the Syncs of the log's files.
func (s *syncCountFS) OpenFile(name string, flag int, perm fs.FileMode) (wal.File, error) {
	f, err := s.OSFS.OpenFile(name, flag, perm)
	if err != nil || filepath.Dir(name) != s.logDir {
		return f, err
	}
	return countedFile{File: f, fs: s}, nil
}

// syncTimes returns the durations of the Syncs counted so far, from the
// first-th on.
func (s *syncCountFS) syncTimes(first int) []time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.times[min(first, len(s.times)):])
}

// countedFile counts and times its Syncs in fs.
type countedFile struct {
	wal.File
	fs *syncCountFS
}

func (f countedFile) Sync() error {
	start := time.Now()
	err := f.File.Sync()
	d := time.Since(start)
	f.fs.mu.Lock()
	f.fs.times = append(f.fs.times, d)
	f.fs.syncs.Add(1)
	f.fs.mu.Unlock()
	return err
}

// producers are goroutines that each XADD to stream "s" once per token and
// time each call.
type producers struct {
	tokens chan struct{}
	errs   chan error
	wg     sync.WaitGroup
	lat    [][]time.Duration // per producer; read after stop
}

func startProducers(br *broker.Broker, n int) *producers {
	p := &producers{tokens: make(chan struct{}, n), errs: make(chan error, n), lat: make([][]time.Duration, n)}
	ctx := context.Background()
	for i := range n {
		p.wg.Go(func() {
			lat := make([]time.Duration, 0, 1024)
			defer func() { p.lat[i] = lat }()
			for range p.tokens {
				start := time.Now()
				_, err := br.XAdd(ctx, "s", entryFields, broker.AddOptions{})
				lat = append(lat, time.Since(start))
				if err != nil {
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

// latencies returns every call's latency, all producers merged; call it
// after stop.
func (p *producers) latencies() []time.Duration {
	var all []time.Duration
	for _, l := range p.lat {
		all = append(all, l...)
	}
	return all
}

// diskLoop writes syncBlock bytes to a file and fdatasyncs it, step by
// step: appending (the file grows, so each fdatasync also commits its size
// and new blocks) or, with size > 0, overwriting a preallocated file of size
// bytes from its start, wrapping around (data only, as the log writes its
// preallocated segments).
type diskLoop struct {
	f         *os.File
	buf       []byte
	off, size int64
}

func newDiskLoop(dir string) (*diskLoop, error) {
	f, err := os.OpenFile(filepath.Join(dir, "sync"), os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		return nil, err
	}
	return &diskLoop{f: f, buf: make([]byte, syncBlock)}, nil
}

// overwriteSize is the file the overwriting loop preallocates: more than a
// 300 ms probe writes on a fast disk before wrapping around.
const overwriteSize = 8 << 20

// newOverwriteLoop preallocates a file of size zeros (a multiple of
// syncBlock) in dir, fdatasyncs it and returns a loop overwriting it.
func newOverwriteLoop(dir string, size int64) (*diskLoop, error) {
	f, err := os.OpenFile(filepath.Join(dir, "overwrite"), os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return nil, err
	}
	zeros := make([]byte, min(size, 1<<20))
	for off := int64(0); off < size && err == nil; off += int64(len(zeros)) {
		_, err = f.WriteAt(zeros[:min(int64(len(zeros)), size-off)], off)
	}
	if err == nil {
		err = fdatasync(f)
	}
	if err != nil {
		f.Close()
		return nil, err
	}
	return &diskLoop{f: f, buf: make([]byte, syncBlock), size: size}, nil
}

func (d *diskLoop) step() error {
	var err error
	if d.size == 0 {
		_, err = d.f.Write(d.buf)
	} else {
		_, err = d.f.WriteAt(d.buf, d.off)
		d.off = (d.off + syncBlock) % d.size
	}
	if err != nil {
		return err
	}
	return fdatasync(d.f)
}

func (d *diskLoop) close() error { return d.f.Close() }

// diskSyncsPerSecond runs the appending disk loop in dir for at least d
// (and 10 syncs) and returns its rate.
func diskSyncsPerSecond(dir string, d time.Duration) (float64, error) {
	loop, err := newDiskLoop(dir)
	if err != nil {
		return 0, err
	}
	return loopRate(loop, d)
}

// overwriteSyncsPerSecond is diskSyncsPerSecond for the overwriting loop;
// the preallocation is not timed.
func overwriteSyncsPerSecond(dir string, d time.Duration) (float64, error) {
	loop, err := newOverwriteLoop(dir, overwriteSize)
	if err != nil {
		return 0, err
	}
	return loopRate(loop, d)
}

// loopRate steps loop for at least d (and 10 steps), closes it and returns
// its steps per second.
func loopRate(loop *diskLoop, d time.Duration) (float64, error) {
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

// reportPercentiles sorts samples and reports their p50 and p99 in
// nanoseconds, as prefix+"p50-ns" and prefix+"p99-ns".
func reportPercentiles(b *testing.B, samples []time.Duration, prefix string) {
	slices.Sort(samples)
	b.ReportMetric(float64(percentile(samples, 50)), prefix+"p50-ns")
	b.ReportMetric(float64(percentile(samples, 99)), prefix+"p99-ns")
}
