package bench_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/brookmq/brook/broker"
	"github.com/brookmq/brook/wal"
)

// TestDurableXAddMetrics runs the body of BenchmarkDurableXAdd once at a
// tiny size and checks the counts behind its metrics: one latency sample
// per call, and at least one and at most one log fsync per record plus the
// few of Open (the group commit may batch any number of them).
func TestDurableXAddMetrics(t *testing.T) {
	const calls = 20
	br, sfs, err := openCounted(t.TempDir(), wal.FsyncAlways, t.Logf)
	if err != nil {
		t.Fatal(err)
	}
	defer br.Close()
	syncs0 := sfs.syncs.Load()
	p := startProducers(br, 4)
	for range calls {
		p.tokens <- struct{}{}
	}
	if err := p.stop(); err != nil {
		t.Fatal(err)
	}
	lat := p.latencies()
	if len(lat) != calls {
		t.Errorf("%d latency samples, want %d", len(lat), calls)
	}
	for _, d := range lat {
		if d <= 0 {
			t.Errorf("latency %v", d)
		}
	}
	syncs := sfs.syncs.Load() - syncs0
	if syncs < 1 || syncs > calls {
		t.Errorf("%d log fsyncs for %d appends under FsyncAlways", syncs, calls)
	}
	if times := sfs.syncTimes(int(syncs0)); uint64(len(times)) != syncs {
		t.Errorf("%d fsync durations for %d fsyncs", len(times), syncs)
	}
}

// TestSyncCountFSCountsLogOnly checks that the counting file system counts
// the Syncs of files in the log directory and no others.
func TestSyncCountFSCountsLogOnly(t *testing.T) {
	dir := t.TempDir()
	sfs := &syncCountFS{logDir: filepath.Join(dir, "wal")}
	if err := os.Mkdir(sfs.logDir, 0o700); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		path string
		want uint64 // count after syncing it
	}{
		{"segment", filepath.Join(dir, "wal", "1.wal"), 1},
		{"snapshot", filepath.Join(dir, "snap-1.snap"), 1},
		{"another segment", filepath.Join(dir, "wal", "2.wal"), 2},
	}
	for _, tt := range tests {
		f, err := sfs.OpenFile(tt.path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
		if err != nil {
			t.Fatal(err)
		}
		err = f.Sync()
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			t.Fatal(err)
		}
		if got := sfs.syncs.Load(); got != tt.want {
			t.Errorf("%s: count %d after its Sync, want %d", tt.name, got, tt.want)
		}
		if got := len(sfs.syncTimes(0)); uint64(got) != tt.want {
			t.Errorf("%s: %d durations after its Sync, want %d", tt.name, got, tt.want)
		}
	}
}

// TestPolicySystems appends on each broker of BenchmarkFsyncPolicies and,
// for the durable ones, checks that a reopened broker has the entries.
func TestPolicySystems(t *testing.T) {
	ctx := context.Background()
	for _, sys := range policySystems {
		t.Run(sys.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			br, err := sys.open(dir)
			if err != nil {
				t.Fatal(err)
			}
			if err := fill(ctx, br, "s", 10); err != nil {
				t.Fatal(err)
			}
			if err := br.Close(); err != nil {
				t.Fatal(err)
			}
			if sys.name == "memory" {
				return
			}
			br, err = sys.open(dir)
			if err != nil {
				t.Fatal(err)
			}
			if err := checkLenClose(br, 10); err != nil {
				t.Error(err)
			}
		})
	}
}

// TestRecoveryDirs builds the directories of BenchmarkRecovery and
// BenchmarkReplay at a tiny size, checks their layout (a snapshot, or none,
// and the records of the log) and opens each as the benchmarks do.
func TestRecoveryDirs(t *testing.T) {
	const snap, tail = 300, 50
	tests := []struct {
		name     string
		build    func(parent string) (string, error)
		snapPos  uint64 // position in the snapshot's file name; 0: no snapshot
		records  int    // in the log, covered ones included
		recovers int
	}{
		{"snapshot and tail", func(p string) (string, error) { return buildRecoveryDir(p, snap, tail) }, snap, snap + tail, snap + tail},
		{"log only", func(p string) (string, error) { return buildReplayDir(p, tail) }, 0, tail, tail},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			master, err := tt.build(t.TempDir())
			if err != nil {
				t.Fatal(err)
			}
			snaps, err := filepath.Glob(filepath.Join(master, "*.snap"))
			if err != nil {
				t.Fatal(err)
			}
			var want []string
			if tt.snapPos > 0 {
				want = []string{filepath.Join(master, fmt.Sprintf("snap-%020d.snap", tt.snapPos))}
			}
			if fmt.Sprint(snaps) != fmt.Sprint(want) {
				t.Errorf("snapshots %v, want %v", snaps, want)
			}
			records, bytes, err := replayLog(filepath.Join(master, "wal"), true)
			if err != nil || records != tt.records || bytes <= int64(records*wal.RecordHeaderSize) {
				t.Errorf("log: %d records, %d bytes, %v; want %d records", records, bytes, err, tt.records)
			}
			dir := filepath.Join(t.TempDir(), "copy")
			if err := os.CopyFS(dir, os.DirFS(master)); err != nil {
				t.Fatal(err)
			}
			br, err := broker.Open(dir, broker.Options{Durability: broker.DurabilityOptions{Logf: t.Logf}})
			if err != nil {
				t.Fatal(err)
			}
			if err := checkLenClose(br, tt.recovers); err != nil {
				t.Error(err)
			}
		})
	}
}

// TestOverwriteLoop checks that the overwriting disk loop wraps around
// inside its preallocated file and never grows it.
func TestOverwriteLoop(t *testing.T) {
	const size = 2 * syncBlock
	d, err := newOverwriteLoop(t.TempDir(), size)
	if err != nil {
		t.Fatal(err)
	}
	defer d.close()
	for i, wantOff := range []int64{syncBlock, 0, syncBlock} {
		if err := d.step(); err != nil {
			t.Fatal(err)
		}
		fi, err := d.f.Stat()
		if err != nil {
			t.Fatal(err)
		}
		if fi.Size() != size || d.off != wantOff {
			t.Errorf("after step %d: size %d, offset %d; want %d, %d", i+1, fi.Size(), d.off, size, wantOff)
		}
	}
	if rate, err := overwriteSyncsPerSecond(t.TempDir(), 0); err != nil || rate <= 0 {
		t.Errorf("overwrite loop: %v syncs/s, %v", rate, err)
	}
}
