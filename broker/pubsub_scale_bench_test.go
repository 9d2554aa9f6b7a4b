package broker_test

import (
	"context"
	"fmt"
	"runtime"
	"strconv"
	"testing"
	"time"

	"github.com/brookmq/brook/broker"
	"github.com/brookmq/brook/internal/cputime"
	"github.com/brookmq/brook/internal/patternscale"
)

// The scale workload (internal/patternscale): its shapes, sizes and the
// channels none of the patterns matches, 64 times as many as the pattern
// index caches, so that nearly every publish in turn looks the patterns up.
var (
	scaleShapes   = patternscale.Shapes
	scaleSizes    = patternscale.Sizes
	scaleChannels = patternscale.ChannelList()
)

// scaleNext is the next of scaleChannels to publish on. It carries on
// across runs, so that short runs (-benchtime=20x) with -count do not
// publish on the channels the previous run left in the match cache.
var scaleNext int

// scaleBrokers keeps the brokers of BenchmarkPublishScale across -count
// repetitions: subscribing a million patterns takes seconds.
var scaleBrokers = map[string]*broker.Broker{}

func scaleBroker(b *testing.B, shape, n int) *broker.Broker {
	key := scaleShapes[shape].Name + "/" + strconv.Itoa(n)
	if br := scaleBrokers[key]; br != nil {
		return br
	}
	br, _ := broker.New(broker.Options{})
	s, _ := br.NewSubscription(broker.SubscriptionOptions{})
	pats := make([]string, n)
	for i := range pats {
		pats[i] = scaleShapes[shape].Pattern(i)
	}
	if _, err := s.PSubscribe(pats...); err != nil {
		b.Fatal(err)
	}
	scaleBrokers[key] = br
	runtime.GC() // not during the timed loop
	return br
}

// BenchmarkPublishScale publishes in turn on channels without subscribers
// that none of P patterns matches: the cost of a publish that looks the
// patterns up (P=0: no pattern at all). It must stay flat as P grows.
func BenchmarkPublishScale(b *testing.B) {
	ctx := context.Background()
	payload := []byte("x")
	run := func(b *testing.B, br *broker.Broker) {
		b.ReportAllocs()
		cpuPerOp(b, func() {
			for b.Loop() {
				ch := scaleChannels[scaleNext%len(scaleChannels)]
				if n, err := br.Publish(ctx, ch, payload); n != 0 || err != nil {
					b.Fatalf("Publish = %d, %v", n, err)
				}
				scaleNext++
			}
		})
	}
	b.Run("P=0", func(b *testing.B) {
		br, _ := broker.New(broker.Options{})
		defer br.Close()
		run(b, br)
	})
	for s, shape := range scaleShapes {
		for _, n := range scaleSizes {
			b.Run(fmt.Sprintf("shape=%s/P=%d", shape.Name, n), func(b *testing.B) {
				run(b, scaleBroker(b, s, n))
			})
		}
	}
}

// BenchmarkPSubscribeScale is the cost per pattern of subscribing P
// patterns, one PSubscribe call each (as clients send them), on a fresh
// broker: it must stay flat as P grows. cpu-ns/pattern is the process's
// CPU time, the garbage collector's workers included. Run it with -benchtime=1x; each
// iteration subscribes them all.
func BenchmarkPSubscribeScale(b *testing.B) {
	for _, shape := range scaleShapes {
		for _, n := range scaleSizes {
			pats := make([]string, n)
			for i := range pats {
				pats[i] = shape.Pattern(i)
			}
			b.Run(fmt.Sprintf("shape=%s/P=%d", shape.Name, n), func(b *testing.B) {
				var cpu time.Duration
				for b.Loop() {
					b.StopTimer()
					br, _ := broker.New(broker.Options{})
					s, _ := br.NewSubscription(broker.SubscriptionOptions{})
					runtime.GC() // the previous broker's garbage
					c0 := cputime.Process()
					b.StartTimer()
					for _, p := range pats {
						if _, err := s.PSubscribe(p); err != nil {
							b.Fatal(err)
						}
					}
					b.StopTimer()
					cpu += cputime.Process() - c0
					br.Close()
					b.StartTimer()
				}
				b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/pattern")
				b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N*n), "cpu-ns/pattern")
			})
		}
	}
}

// BenchmarkPublishAfterPSubscribe publishes on a channel with a subscriber
// after each PSubscribe or PUnsubscribe of a pattern that does not match
// it, with 10,000 patterns of the inner shape subscribed: the cost of a
// change of the set of patterns to a memoized channel.
func BenchmarkPublishAfterPSubscribe(b *testing.B) {
	ctx := context.Background()
	br, _ := broker.New(broker.Options{})
	defer br.Close()
	ps, _ := br.NewSubscription(broker.SubscriptionOptions{})
	pats := make([]string, 10000)
	for i := range pats {
		pats[i] = scaleShapes[2].Pattern(i)
	}
	if _, err := ps.PSubscribe(pats...); err != nil {
		b.Fatal(err)
	}
	cs, err := br.Subscribe("news:tech")
	if err != nil {
		b.Fatal(err)
	}
	payload := []byte("x")
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		if i++; i%2 == 1 {
			_, err = ps.PSubscribe("sensor:*")
		} else {
			_, err = ps.PUnsubscribe("sensor:*")
		}
		if err != nil {
			b.Fatal(err)
		}
		if n, err := br.Publish(ctx, "news:tech", payload); n != 1 || err != nil {
			b.Fatalf("Publish = %d, %v", n, err)
		}
		if _, err := cs.Next(ctx); err != nil {
			b.Fatal(err)
		}
	}
}

// cpuPerOp reports the CPU time per operation of the loop that loop runs,
// on the benchmark's goroutine locked to its OS thread (RUSAGE_THREAD), as
// cpu-ns/op, next to the wall-clock ns/op.
func cpuPerOp(b *testing.B, loop func()) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	c0, ok := cputime.Thread()
	loop()
	c1, _ := cputime.Thread()
	if ok && b.N > 0 {
		b.ReportMetric(float64((c1-c0).Nanoseconds())/float64(b.N), "cpu-ns/op")
	}
}
