package bench_test

import (
	"context"
	"errors"
	"fmt"
	"math"
	"runtime"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/brookmq/brook/broker"
	"github.com/brookmq/brook/internal/cputime"
	"github.com/brookmq/brook/stream"
)

// entryFields are the 3 small fields of the XADD and XRANGE workloads, the
// same as redis-compare.sh sends to Redis.
var entryFields = []stream.Field{
	{Name: "user_id", Value: "1234"}, {Name: "product", Value: "prod1234"}, {Name: "amount", Value: "5678"},
}

// pageSize is the COUNT of the scanning and group-reading workloads.
const pageSize = 100

// maxID is the largest ID, the end of every open range.
var maxID = stream.ID{Ms: math.MaxUint64, Seq: math.MaxUint64}

// BenchmarkXAdd appends entries of 3 small fields to one in-memory stream
// from 1 and from 8 goroutines and reports xadd/s.
func BenchmarkXAdd(b *testing.B) {
	ctx := context.Background()
	b.Run("goroutines=1", func(b *testing.B) {
		br := newMemBroker(b)
		b.ReportAllocs()
		cpu := cputime.Process()
		for b.Loop() {
			if _, err := br.XAdd(ctx, "s", entryFields, broker.AddOptions{}); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(perSecond(b, b.N), "xadd/s")
		reportCPU(b, cpu, b.N, "cpu-ns/xadd")
	})
	b.Run("goroutines=8", func(b *testing.B) {
		br := newMemBroker(b)
		b.SetParallelism(goroutinesPerProc(8))
		b.ReportAllocs()
		cpu := cputime.Process()
		b.ResetTimer()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if _, err := br.XAdd(ctx, "s", entryFields, broker.AddOptions{}); err != nil {
					b.Error(err)
					return
				}
			}
		})
		b.ReportMetric(perSecond(b, b.N), "xadd/s")
		reportCPU(b, cpu, b.N, "cpu-ns/xadd")
	})
}

// BenchmarkXRange scans a stream of 100,000 entries with XRANGE COUNT 100,
// page after page, starting over at the end, and reports entries/s.
func BenchmarkXRange(b *testing.B) {
	br := newMemBroker(b)
	ctx := context.Background()
	if err := fill(ctx, br, "s", 100_000); err != nil {
		b.Fatal(err)
	}
	sc := &scanner{br: br, key: "s"}
	b.ReportAllocs()
	cpu := cputime.Process()
	for b.Loop() {
		if err := sc.next(ctx); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(perSecond(b, sc.entries), "entries/s")
	reportCPU(b, cpu, sc.entries, "cpu-ns/entry")
}

// BenchmarkXReadGroupAck runs 4 consumers of one group, each in its own
// goroutine; each iteration hands one page to whichever consumer is free,
// which reads COUNT 100 new entries with XREADGROUP and acknowledges them
// with one XACK. Reports entries/s (read and acked).
func BenchmarkXReadGroupAck(b *testing.B) {
	const consumers, refill = 4, 100_000
	ctx := context.Background()
	br := newMemBroker(b)
	g, err := newGroupRig(ctx, br, consumers)
	if err != nil {
		b.Fatal(err)
	}
	defer g.close()
	left := 0
	var filling time.Duration // CPU time of the refills, left out of cpu-ns/entry
	b.ReportAllocs()
	cpu := cputime.Process()
	for b.Loop() {
		if left < pageSize {
			if err := g.drain(); err != nil {
				b.Fatal(err)
			}
			b.StopTimer()
			c := cputime.Process()
			if err := fill(ctx, br, "s", refill); err != nil {
				b.Fatal(err)
			}
			filling += cputime.Process() - c
			left += refill
			b.StartTimer()
		}
		if err := g.issue(); err != nil {
			b.Fatal(err)
		}
		left -= pageSize
	}
	b.StartTimer()
	err = g.drain()
	b.StopTimer()
	if err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(perSecond(b, b.N*pageSize), "entries/s")
	reportCPU(b, cpu+filling, b.N*pageSize, "cpu-ns/entry")
}

// BenchmarkXReadWakeup measures the latency from the start of an XADD to the
// return of an XREAD BLOCK that was waiting for it (p50-ns, p99-ns), and
// the same wake-up through a raw channel. Before each XADD the driver gives
// the reader 50 µs to block, so ns/op is not the figure; the percentiles are.
func BenchmarkXReadWakeup(b *testing.B) {
	for _, sys := range []struct {
		name string
		new  func() *wakeRig
	}{{"brook", newBrookWake}, {"chan", newChanWake}} {
		b.Run("sys="+sys.name, func(b *testing.B) {
			w := sys.new()
			defer w.stop()
			lat := make([]time.Duration, 0, 1024)
			b.ReportAllocs()
			for b.Loop() {
				d, err := w.wake(50 * time.Microsecond)
				if err != nil {
					b.Fatal(err)
				}
				lat = append(lat, d)
			}
			reportLatency(b, lat)
		})
	}
}

// BenchmarkStreamMemory reports the heap bytes per entry of a stream of
// 1,000,000 entries of 3 small fields (B/entry: the HeapAlloc delta after
// runtime.GC, divided by the entries), the data redis-compare.sh gives Redis.
// It takes seconds per iteration: run it with -benchtime 1x.
func BenchmarkStreamMemory(b *testing.B) {
	const entries = 1_000_000
	var perEntry float64
	for b.Loop() {
		var err error
		if perEntry, err = streamMemory(entries); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(perEntry, "B/entry")
}

// newMemBroker returns an in-memory broker closed when b ends.
func newMemBroker(b *testing.B) *broker.Broker {
	br, _ := broker.New(broker.Options{})
	b.Cleanup(func() { _ = br.Close() })
	return br
}

// fill appends n entries of entryFields to key.
func fill(ctx context.Context, br *broker.Broker, key string, n int) error {
	for range n {
		if _, err := br.XAdd(ctx, key, entryFields, broker.AddOptions{}); err != nil {
			return err
		}
	}
	return nil
}

// scanner reads a stream page by page with XRANGE COUNT pageSize and starts
// over after the last page; entries counts what it read.
type scanner struct {
	br      *broker.Broker
	key     string
	cursor  stream.ID
	entries int
}

func (s *scanner) next(ctx context.Context) error {
	es, err := s.br.XRange(ctx, s.key, s.cursor, maxID, pageSize)
	if err != nil {
		return err
	}
	s.entries += len(es)
	if len(es) < pageSize {
		s.cursor = stream.ID{}
		return nil
	}
	next, ok := es[len(es)-1].ID.Next()
	if !ok {
		return errors.New("bench: last ID has no successor")
	}
	s.cursor = next
	return nil
}

// groupRig runs consumers of group "g" on stream "s", each in its own
// goroutine; a page issued is taken by whichever consumer is free, which does
// one XREADGROUP COUNT pageSize + XACK.
type groupRig struct {
	work        chan struct{}
	done        chan error
	outstanding int // pages issued and not yet reported on done
	wg          sync.WaitGroup
}

func newGroupRig(ctx context.Context, br *broker.Broker, consumers int) (*groupRig, error) {
	if err := br.XGroupCreate(ctx, "s", "g", broker.GroupCreateOptions{MkStream: true}); err != nil {
		return nil, err
	}
	// At most cap(work) pages wait and consumers are being read: done never fills.
	g := &groupRig{work: make(chan struct{}, consumers), done: make(chan error, 2*consumers)}
	for i := range consumers {
		name := "c" + strconv.Itoa(i)
		g.wg.Go(func() {
			ids := make([]stream.ID, 0, pageSize)
			for range g.work {
				g.done <- readAck(ctx, br, name, ids)
			}
		})
	}
	return g, nil
}

// readAck reads a full page as consumer and acknowledges it.
func readAck(ctx context.Context, br *broker.Broker, consumer string, ids []stream.ID) error {
	res, err := br.XReadGroup(ctx, "g", consumer, []broker.ReadStream{{Key: "s", From: broker.Undelivered()}},
		broker.GroupReadOptions{Count: pageSize})
	if err != nil {
		return err
	}
	if len(res) != 1 || len(res[0].Entries) != pageSize {
		return fmt.Errorf("bench: XREADGROUP gave %d streams, want 1 with %d entries", len(res), pageSize)
	}
	ids = ids[:0]
	for _, e := range res[0].Entries {
		ids = append(ids, e.ID)
	}
	n, err := br.XAck(ctx, "s", "g", ids...)
	if err == nil && n != pageSize {
		err = fmt.Errorf("bench: XACK acknowledged %d of %d", n, pageSize)
	}
	return err
}

// issue hands out one page, waiting while every consumer is busy and the
// queue is full, and returns the first error among the pages already done.
func (g *groupRig) issue() error {
	g.work <- struct{}{}
	g.outstanding++
	for {
		select {
		case err := <-g.done:
			g.outstanding--
			if err != nil {
				return err
			}
		default:
			return nil
		}
	}
}

// drain waits until every page issued is done and returns the first error.
func (g *groupRig) drain() error {
	var first error
	for ; g.outstanding > 0; g.outstanding-- {
		if err := <-g.done; err != nil && first == nil {
			first = err
		}
	}
	return first
}

func (g *groupRig) close() {
	close(g.work)
	g.wg.Wait()
}

// memoryFields returns entry i of the memory workload: 3 fields whose values
// cycle through 1000..9999 (two integers and "prod" plus 4 digits), computed
// the same way by redis-compare.sh.
func memoryFields(i int) []stream.Field {
	return []stream.Field{
		{Name: "user_id", Value: strconv.Itoa(1000 + i*7919%9000)},
		{Name: "product", Value: "prod" + strconv.Itoa(1000+i*104729%9000)},
		{Name: "amount", Value: strconv.Itoa(1000 + i*31337%9000)},
	}
}

// memoryID is the ID of entry i of the memory workload, as Redis gets it.
func memoryID(i int) stream.ID { return stream.ID{Ms: 1_700_000_000_000 + uint64(i)} }

// streamMemory adds n entries to a new stream and returns the growth of the
// live heap per entry.
func streamMemory(n int) (float64, error) {
	ctx := context.Background()
	br, _ := broker.New(broker.Options{})
	defer br.Close()
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	for i := range n {
		o := broker.AddOptions{ID: stream.ExplicitID(memoryID(i))}
		if _, err := br.XAdd(ctx, "s", memoryFields(i), o); err != nil {
			return 0, err
		}
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	if l, err := br.XLen(ctx, "s"); err != nil || l != int64(n) {
		return 0, fmt.Errorf("bench: XLEN = %d, %v; want %d", l, err, n)
	}
	return (float64(after.HeapAlloc) - float64(before.HeapAlloc)) / float64(n), nil
}
