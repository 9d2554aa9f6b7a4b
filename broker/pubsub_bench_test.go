package broker_test

import (
	"context"
	"fmt"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/brookmq/brook/broker"
)

// benchPayload is the 64-byte payload of every benchmark message.
var benchPayload = make([]byte, 64)

// BenchmarkFanOut publishes from one goroutine to N subscribers, each
// drained by its own goroutine, and reports deliveries per second, with the
// same workload on raw Go channels (one buffered channel per subscriber) as
// the baseline. The timing includes the drain: it stops once every
// subscriber has received every message.
func BenchmarkFanOut(b *testing.B) {
	for _, n := range []int{1, 10, 100, 1000} {
		b.Run("brook/N="+strconv.Itoa(n), func(b *testing.B) { benchFanOutBrook(b, n) })
		b.Run("chan/N="+strconv.Itoa(n), func(b *testing.B) { benchFanOutChan(b, n) })
	}
}

// startReaders subscribes n readers to "bench" and starts their goroutines;
// each returns on an empty payload (the stop message) or an error.
func startReaders(b *testing.B, br *broker.Broker, n int) (*sync.WaitGroup, chan error) {
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for range n {
		s, err := br.Subscribe("bench")
		if err != nil {
			b.Fatal(err)
		}
		wg.Go(func() {
			defer s.Close()
			for {
				m, err := s.Next(context.Background())
				if err != nil {
					errs <- err
					return
				}
				if len(m.Payload) == 0 {
					return
				}
			}
		})
	}
	return &wg, errs
}

// stopReaders publishes the stop message, waits for the readers inside the
// timing, and fails on any reader error.
func stopReaders(b *testing.B, br *broker.Broker, wg *sync.WaitGroup, errs chan error) {
	b.StartTimer()
	if _, err := br.Publish(context.Background(), "bench", nil); err != nil {
		b.Fatal(err)
	}
	wg.Wait()
	b.StopTimer()
	close(errs)
	for err := range errs {
		b.Fatal(err)
	}
}

// benchWindow bounds every benchmark queue, on brook ([broker.PolicyBlock]
// with a hard limit of that many messages) as on raw channels (the buffer
// size), so that a publisher ahead of its readers waits instead of growing
// queues without bound.
const benchWindow = 1024

func benchBroker() *broker.Broker {
	return broker.New(broker.Options{PubSub: broker.PubSubOptions{
		HardLimit: benchWindow * (int64(len(benchPayload)+len("bench")) + broker.MessageOverhead),
		Policy:    broker.PolicyBlock,
	}})
}

func benchFanOutBrook(b *testing.B, n int) {
	br := benchBroker()
	defer br.Close()
	wg, errs := startReaders(b, br, n)
	ctx := context.Background()
	b.ReportAllocs()
	cpu := processCPU()
	for b.Loop() {
		if _, err := br.Publish(ctx, "bench", benchPayload); err != nil {
			b.Fatal(err)
		}
	}
	stopReaders(b, br, wg, errs)
	reportDeliveries(b, n, cpu)
}

// reportDeliveries reports deliveries per second of wall-clock time and CPU
// nanoseconds per delivery (all goroutines, since cpu0).
func reportDeliveries(b *testing.B, n int, cpu0 time.Duration) {
	d := float64(b.N) * float64(n)
	b.ReportMetric(d/b.Elapsed().Seconds(), "deliveries/s")
	b.ReportMetric(float64(processCPU()-cpu0)/d, "cpu-ns/delivery")
}

func benchFanOutChan(b *testing.B, n int) {
	chans := make([]chan []byte, n)
	var wg sync.WaitGroup
	for i := range chans {
		ch := make(chan []byte, benchWindow)
		chans[i] = ch
		wg.Go(func() {
			for p := range ch {
				_ = p
			}
		})
	}
	b.ReportAllocs()
	cpu := processCPU()
	for b.Loop() {
		for _, ch := range chans {
			ch <- benchPayload
		}
	}
	b.StartTimer()
	for _, ch := range chans {
		close(ch)
	}
	wg.Wait()
	b.StopTimer()
	reportDeliveries(b, n, cpu)
}

// BenchmarkPublishPatterns publishes to a channel with one subscriber while
// P patterns that never match it are subscribed, and reports publishes per
// second: the pattern index must keep the cost flat in P.
func BenchmarkPublishPatterns(b *testing.B) {
	for _, p := range []int{0, 100, 10000} {
		b.Run(fmt.Sprintf("P=%d", p), func(b *testing.B) {
			br := benchBroker()
			defer br.Close()
			others := br.NewSubscription(broker.SubscriptionOptions{})
			for i := range p {
				if _, err := others.PSubscribe("other." + strconv.Itoa(i) + ".*"); err != nil {
					b.Fatal(err)
				}
			}
			wg, errs := startReaders(b, br, 1)
			ctx := context.Background()
			b.ReportAllocs()
			cpu := processCPU()
			for b.Loop() {
				if _, err := br.Publish(ctx, "bench", benchPayload); err != nil {
					b.Fatal(err)
				}
			}
			stopReaders(b, br, wg, errs)
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "publishes/s")
			b.ReportMetric(float64(processCPU()-cpu)/float64(b.N), "cpu-ns/publish")
		})
	}
}
