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
	"github.com/brookmq/brook/internal/cputime"
	"github.com/brookmq/brook/wal"
)

// Sizes of the recovery benchmarks: a snapshot of recoverySnap entries and
// a log tail of recoveryTail entries after it; a log of replayEntries
// entries with no snapshot.
const (
	recoverySnap  = 900_000
	recoveryTail  = 100_000
	replayEntries = 1_000_000
)

// recoveryKey is the stream of the recovery benchmarks.
const recoveryKey = "s"

// buildProducers is how many goroutines append while a directory is built.
const buildProducers = 16

// BenchmarkRecovery opens a data directory holding 1,000,000 entries of 3
// small fields in one stream: a snapshot of the first 900,000 and a log
// tail of 100,000 after it, the state a crash leaves some time after a
// snapshot. The directory is built once; each iteration opens a fresh copy
// of it (copied untimed, so its files are in the page cache, as after a
// process restart) and the timing covers broker.Open alone. Metrics:
// open-ms (the same as ns/op, in ms), entries/s recovered, snap-MB (the
// snapshot file), wal-MB (the records framed in the log, including those
// the snapshot covers that share a segment with the tail: Open reads past
// them), and close-ms, the untimed Close after each Open, which writes a
// new snapshot since the tail changed the state.
func BenchmarkRecovery(b *testing.B) {
	master, err := buildRecoveryDir(b.TempDir(), recoverySnap, recoveryTail)
	if err != nil {
		b.Fatal(err)
	}
	benchOpen(b, master, recoverySnap+recoveryTail)
}

// BenchmarkReplay measures pure log replay: a data directory with no
// snapshot and a log of 1,000,000 entries of 3 small fields in one stream.
// layer=broker times broker.Open of a fresh copy (as BenchmarkRecovery
// does); layer=wal times wal.Open and a Replay of every record that only
// counts them, reading the log directory in place, and layer=wal-view the
// same with ReplayView (no copy of each record: wal's fastest read, the
// one recovery uses). Metrics: MB/s (the
// records framed in the log over the time), entries/s or records/s (one
// entry per record), wal-MB; layer=broker also reports open-ms and the
// untimed close-ms, as BenchmarkRecovery does.
//
// layer=broker also reads the same log through package wal alone in each
// iteration, untimed, just before the open, and reports the pair: wal-MB/s,
// of-wal (its MB/s over wal-MB/s: the share of the log's own read rate that
// the broker's replay reaches) and cpu-of-wal (the same from the process's
// CPU time, steadier on a shared machine), against wal's Replay, which
// copies each record. It also reads the log with ReplayView, which
// recovery uses, and reports the same pair against that read as
// of-wal-view and cpu-of-wal-view.
func BenchmarkReplay(b *testing.B) {
	master, err := buildReplayDir(b.TempDir(), replayEntries)
	if err != nil {
		b.Fatal(err)
	}
	b.Run("layer=broker", func(b *testing.B) { benchOpen(b, master, replayEntries) })
	b.Run("layer=wal", func(b *testing.B) { benchWALReplay(b, master, replayEntries, false) })
	b.Run("layer=wal-view", func(b *testing.B) { benchWALReplay(b, master, replayEntries, true) })
}

// benchOpen times broker.Open of fresh copies of master, which holds
// entries entries in recoveryKey. For a master with no snapshot it also
// times, untimed for the benchmark, the log's read by package wal alone
// (see BenchmarkReplay).
func benchOpen(b *testing.B, master string, entries int) {
	snapBytes, err := snapshotBytes(master)
	if err != nil {
		b.Fatal(err)
	}
	_, walBytes, err := replayLog(filepath.Join(master, "wal"), false)
	if err != nil {
		b.Fatal(err)
	}
	var closing, cpu time.Duration
	var walRead, walView pairTimes
	n := 0
	for b.Loop() {
		b.StopTimer()
		dir := filepath.Join(b.TempDir(), "copy")
		if err := os.CopyFS(dir, os.DirFS(master)); err != nil {
			b.Fatal(err)
		}
		if snapBytes == 0 {
			for _, p := range []struct {
				t    *pairTimes
				view bool
			}{{&walRead, false}, {&walView, true}} {
				if err := p.t.add(func() error { _, _, err := replayLog(filepath.Join(master, "wal"), p.view); return err }); err != nil {
					b.Fatal(err)
				}
			}
		}
		cpu0 := cputime.Process()
		b.StartTimer()
		br, err := broker.Open(dir, broker.Options{Durability: broker.DurabilityOptions{Logf: b.Logf}})
		b.StopTimer()
		cpu += cputime.Process() - cpu0
		if err != nil {
			b.Fatal(err)
		}
		start := time.Now()
		err = checkLenClose(br, entries)
		closing += time.Since(start)
		if err != nil {
			b.Fatal(err)
		}
		if err := os.RemoveAll(dir); err != nil {
			b.Fatal(err)
		}
		n++
		b.StartTimer()
	}
	open := b.Elapsed() / time.Duration(n)
	b.ReportMetric(float64(open)/1e6, "open-ms")
	b.ReportMetric(float64(entries)/open.Seconds(), "entries/s")
	if snapBytes == 0 { // all of it is log replay
		b.ReportMetric(float64(walBytes)/open.Seconds()/1e6, "MB/s")
		b.ReportMetric(float64(walBytes)/(walRead.wall/time.Duration(n)).Seconds()/1e6, "wal-MB/s")
		b.ReportMetric(walRead.wall.Seconds()/b.Elapsed().Seconds(), "of-wal")
		b.ReportMetric(walView.wall.Seconds()/b.Elapsed().Seconds(), "of-wal-view")
		if cpu > 0 {
			b.ReportMetric(walRead.cpu.Seconds()/cpu.Seconds(), "cpu-of-wal")
			b.ReportMetric(walView.cpu.Seconds()/cpu.Seconds(), "cpu-of-wal-view")
		}
	}
	b.ReportMetric(float64(snapBytes)/1e6, "snap-MB")
	b.ReportMetric(float64(walBytes)/1e6, "wal-MB")
	b.ReportMetric(float64(closing)/1e6/float64(n), "close-ms")
}

// pairTimes sums the wall-clock and CPU time of runs of a baseline.
type pairTimes struct {
	wall, cpu time.Duration
}

// add runs fn and adds its times.
func (p *pairTimes) add(fn func() error) error {
	cpu0, start := cputime.Process(), time.Now()
	err := fn()
	p.wall += time.Since(start)
	p.cpu += cputime.Process() - cpu0
	return err
}

// checkLenClose checks that br's stream holds want entries, then closes br.
func checkLenClose(br *broker.Broker, want int) error {
	n, err := br.XLen(context.Background(), recoveryKey)
	if cerr := br.Close(); err == nil {
		err = cerr
	}
	if err == nil && n != int64(want) {
		err = fmt.Errorf("bench: recovered %d entries, want %d", n, want)
	}
	return err
}

// benchWALReplay times opening master's log with package wal and replaying
// every record (with ReplayView if view, else Replay), which must number
// records.
func benchWALReplay(b *testing.B, master string, records int, view bool) {
	dir := filepath.Join(master, "wal")
	var walBytes int64
	for b.Loop() {
		got, n, err := replayLog(dir, view)
		walBytes = n
		if err != nil {
			b.Fatal(err)
		}
		if got != records {
			b.Fatalf("replayed %d records, want %d", got, records)
		}
	}
	per := b.Elapsed() / time.Duration(b.N)
	b.ReportMetric(float64(walBytes)/per.Seconds()/1e6, "MB/s")
	b.ReportMetric(float64(records)/per.Seconds(), "records/s")
	b.ReportMetric(float64(walBytes)/1e6, "wal-MB")
}

// replayLog opens the log in dir, replays it (with ReplayView if view, else
// Replay) and returns how many records it held and their bytes as framed in
// the segments (segment headers and any space past the last record left
// out).
func replayLog(dir string, view bool) (records int, bytes int64, err error) {
	l, err := wal.Open(dir, wal.Options{})
	if err != nil {
		return 0, 0, err
	}
	replay := l.Replay
	if view {
		replay = l.ReplayView
	}
	err = replay(0, func(_ uint64, rec []byte) error {
		records++
		bytes += int64(wal.RecordHeaderSize + len(rec))
		return nil
	})
	if cerr := l.Close(); err == nil {
		err = cerr
	}
	return records, bytes, err
}

// buildRecoveryDir builds, under parent, a data directory whose stream
// recoveryKey holds snap entries in a snapshot and tail entries in the log
// after it, and returns its path. A broker writes snapshots only when its
// log grows by SnapshotEvery or on Close, and Close would cover the tail
// too, so the tail is captured by copying the directory while the broker
// that appended it is still open and idle, after Sync: every record is on
// disk, none is pending, no snapshot is running. The copy is what a crash
// at that moment would leave.
func buildRecoveryDir(parent string, snap, tail int) (string, error) {
	src := filepath.Join(parent, "build")
	opts := broker.Options{Durability: broker.DurabilityOptions{Fsync: wal.FsyncNo, SnapshotEvery: -1}}
	br, err := broker.Open(src, opts)
	if err != nil {
		return "", err
	}
	err = addEntries(br, snap)
	if cerr := br.Close(); err == nil { // the snapshot of the first snap entries
		err = cerr
	}
	if err != nil {
		return "", err
	}
	return appendAndCopy(src, filepath.Join(parent, "master"), tail, opts)
}

// buildReplayDir builds, under parent, a data directory with no snapshot
// whose log holds n entries of recoveryKey, and returns its path.
func buildReplayDir(parent string, n int) (string, error) {
	opts := broker.Options{Durability: broker.DurabilityOptions{Fsync: wal.FsyncNo, SnapshotEvery: -1}}
	return appendAndCopy(filepath.Join(parent, "build"), filepath.Join(parent, "master"), n, opts)
}

// appendAndCopy opens the data directory src, appends n entries, copies the
// directory to dst while the broker is open and closes it.
func appendAndCopy(src, dst string, n int, opts broker.Options) (string, error) {
	br, err := broker.Open(src, opts)
	if err != nil {
		return "", err
	}
	err = addEntries(br, n)
	if err == nil {
		err = br.Sync() // under FsyncNo, XAdd returns before its record is written
	}
	if err == nil {
		err = os.CopyFS(dst, os.DirFS(src))
	}
	if cerr := br.Close(); err == nil {
		err = cerr
	}
	return dst, err
}

// addEntries appends n entries of entryFields to recoveryKey, one XAdd
// (one log record) each, from buildProducers goroutines: a log of single
// entry records, as most users write it, and the most records per entry
// to replay.
func addEntries(br *broker.Broker, n int) error {
	ctx := context.Background()
	errs := make(chan error, buildProducers)
	var wg sync.WaitGroup
	for p := range buildProducers {
		wg.Go(func() {
			for range n/buildProducers + btoi(p < n%buildProducers) {
				if _, err := br.XAdd(ctx, recoveryKey, entryFields, broker.AddOptions{}); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	return <-errs
}

// btoi is 1 for true, 0 for false.
func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

// snapshotBytes returns the size of the snapshot files in the data
// directory dir.
func snapshotBytes(dir string) (int64, error) {
	names, err := filepath.Glob(filepath.Join(dir, "*.snap"))
	if err != nil {
		return 0, err
	}
	var n int64
	for _, name := range names {
		fi, err := os.Stat(name)
		if err != nil {
			return 0, err
		}
		n += fi.Size()
	}
	return n, nil
}
