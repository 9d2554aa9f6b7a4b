package bench_test

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/brookmq/brook/broker"
	"github.com/brookmq/brook/internal/cputime"
	"github.com/brookmq/brook/stream"
)

// BenchmarkWorker consumes b.N entries of one stream as one consumer of a
// group, with C goroutines reading batches of 16 (COUNT 16), two ways in
// the same run: sys=worker is broker.Worker with a handler that does
// nothing; sys=raw is the loop a program would write by hand, C goroutines
// each calling XREADGROUP COUNT 16 and one XACK for the batch, with no
// retry, reclaim or dead-letter logic. The entries are added before the
// timing; reading, handling and acknowledging them all is inside it.
// Reports entries/s and the process's CPU time per entry; the ratio
// worker/raw of entries/s is the worker's overhead.
func BenchmarkWorker(b *testing.B) {
	for _, c := range []int{1, 4} {
		b.Run(fmt.Sprintf("C=%d/sys=worker", c), func(b *testing.B) { benchWorker(b, c, runWorker) })
		b.Run(fmt.Sprintf("C=%d/sys=raw", c), func(b *testing.B) { benchWorker(b, c, runRaw) })
	}
}

const workerBatch = 16

func benchWorker(b *testing.B, concurrency int, run func(*broker.Broker, int, int) error) {
	ctx := context.Background()
	br := newMemBroker(b)
	if err := fill(ctx, br, "s", b.N); err != nil {
		b.Fatal(err)
	}
	if err := br.XGroupCreate(ctx, "s", "g", broker.GroupCreateOptions{}); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	cpu := cputime.Process()
	if err := run(br, concurrency, b.N); err != nil {
		b.Fatal(err)
	}
	b.StopTimer()
	if sum, err := br.XPending(ctx, "s", "g"); err != nil || sum.Count != 0 {
		b.Fatalf("after the run: %d pending, %v", sum.Count, err)
	}
	b.ReportMetric(perSecond(b, b.N), "entries/s")
	reportCPU(b, cpu, b.N, "cpu-ns/entry")
}

// runWorker runs a Worker until it has handled n entries, then stops it
// (which flushes its last acknowledgements).
func runWorker(br *broker.Broker, concurrency, n int) error {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var handled atomic.Int64
	w, err := br.NewWorker("s", "g", "c", func(context.Context, broker.Entry) error {
		if handled.Add(1) == int64(n) {
			cancel()
		}
		return nil
	}, broker.WorkerOptions{Concurrency: concurrency, Batch: workerBatch})
	if err != nil {
		return err
	}
	if err := w.Run(ctx); err != nil {
		return err
	}
	if st := w.Stats(); st.Processed != int64(n) {
		return fmt.Errorf("bench: worker processed %d of %d", st.Processed, n)
	}
	return nil
}

// runRaw reads and acknowledges n entries with C goroutines by hand.
func runRaw(br *broker.Broker, concurrency, n int) error {
	ctx := context.Background()
	var done atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan error, concurrency)
	streams := []broker.ReadStream{{Key: "s", From: broker.Undelivered()}}
	for range concurrency {
		wg.Go(func() {
			ids := make([]stream.ID, 0, workerBatch)
			for done.Load() < int64(n) {
				res, err := br.XReadGroup(ctx, "g", "c", streams, broker.GroupReadOptions{Count: workerBatch})
				if err != nil {
					errs <- err
					return
				}
				if len(res) == 0 {
					continue
				}
				ids = ids[:0]
				for _, e := range res[0].Entries {
					ids = append(ids, e.ID)
				}
				if _, err := br.XAck(ctx, "s", "g", ids...); err != nil {
					errs <- err
					return
				}
				done.Add(int64(len(ids)))
			}
		})
	}
	wg.Wait()
	close(errs)
	return <-errs
}

// TestWorkerRigs runs both bodies of BenchmarkWorker once at a tiny size:
// each must read and acknowledge every entry.
func TestWorkerRigs(t *testing.T) {
	for name, run := range map[string]func(*broker.Broker, int, int) error{"worker": runWorker, "raw": runRaw} {
		for _, c := range []int{1, 4} {
			t.Run(fmt.Sprintf("%s/C=%d", name, c), func(t *testing.T) {
				ctx := context.Background()
				br, err := broker.New(broker.Options{})
				if err != nil {
					t.Fatal(err)
				}
				defer br.Close()
				const n = 100
				if err := fill(ctx, br, "s", n); err != nil {
					t.Fatal(err)
				}
				if err := br.XGroupCreate(ctx, "s", "g", broker.GroupCreateOptions{}); err != nil {
					t.Fatal(err)
				}
				if err := run(br, c, n); err != nil {
					t.Fatal(err)
				}
				if sum, err := br.XPending(ctx, "s", "g"); err != nil || sum.Count != 0 {
					t.Fatalf("%d pending, %v", sum.Count, err)
				}
				if gs, _ := br.XInfoGroups(ctx, "s"); gs[0].Lag != 0 {
					t.Fatalf("lag %d", gs[0].Lag)
				}
			})
		}
	}
}
