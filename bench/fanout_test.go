package bench_test

import (
	"fmt"
	"runtime"
	"testing"

	"github.com/brookmq/brook/internal/cputime"
)

// BenchmarkFanOut publishes from one goroutine to N subscribers of one
// channel, on brook and on raw channels, and reports deliveries/s, the CPU
// time of the whole process per delivery (cpu-ns/delivery: steadier than
// rates on a shared machine) and the publish-to-receive latency under that
// load (p50-ns, p99-ns). The timing
// includes the drain: it ends once every subscriber has every message.
func BenchmarkFanOut(b *testing.B) {
	for _, size := range []int{64, 1024} {
		for _, n := range []int{1, 10, 100, 1000, 10000} {
			for _, sys := range systems {
				b.Run(fmt.Sprintf("payload=%d/N=%d/sys=%s", size, n, sys.name), func(b *testing.B) {
					benchPublish(b, startRig(b, sys, n, size, flood), n)
				})
			}
		}
	}
}

// BenchmarkFanOutLatency publishes one 64-byte message at a time to N
// subscribers and waits until all have it: p50-ns and p99-ns are the
// publish-to-receive latency of an otherwise idle system.
func BenchmarkFanOutLatency(b *testing.B) {
	for _, n := range []int{1, 10, 100, 1000} {
		for _, sys := range systems {
			b.Run(fmt.Sprintf("N=%d/sys=%s", n, sys.name), func(b *testing.B) {
				benchPublish(b, startRig(b, sys, n, 64, probe), n)
			})
		}
	}
}

// BenchmarkPublishPatterns publishes 64-byte messages to a channel with one
// subscriber while P patterns that never match it are subscribed: the
// pattern index must keep publishes/s flat in P (Redis tries every pattern).
func BenchmarkPublishPatterns(b *testing.B) {
	for _, p := range []int{0, 100, 10000} {
		b.Run(fmt.Sprintf("P=%d", p), func(b *testing.B) {
			r := startRig(b, systems[0], 1, 64, flood)
			if err := subscribePatterns(r, p); err != nil {
				b.Fatal(err)
			}
			benchPublish(b, r, 1)
			b.ReportMetric(perSecond(b, b.N), "publishes/s")
		})
	}
}

// BenchmarkManyPublishers publishes 64-byte messages from 8 goroutines to
// 100 subscribers of one channel, on brook and on raw channels, and reports
// deliveries/s.
func BenchmarkManyPublishers(b *testing.B) {
	const publishers, subscribers = 8, 100
	for _, sys := range systems {
		b.Run(fmt.Sprintf("P=%d/N=%d/sys=%s", publishers, subscribers, sys.name), func(b *testing.B) {
			r := startRig(b, sys, subscribers, 64, parallel)
			b.SetParallelism(goroutinesPerProc(publishers))
			b.ReportAllocs()
			cpu := cputime.Process()
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if err := r.send(r.payload); err != nil {
						b.Error(err)
						return
					}
				}
			})
			if _, err := r.finish(uint64(b.N)); err != nil {
				b.Fatal(err)
			}
			b.StopTimer()
			b.ReportMetric(perSecond(b, b.N*subscribers), "deliveries/s")
			reportCPU(b, cpu, b.N*subscribers, "cpu-ns/delivery")
		})
	}
}

// startRig builds a rig and stops it when b ends, whatever happened.
func startRig(b *testing.B, sys system, n, size int, m mode) *rig {
	b.Helper()
	r, err := sys.new(n, size, m)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = r.stop() })
	return r
}

// benchPublish drives r from one goroutine for b.N messages, drains it inside
// the timing and reports deliveries/s and latency percentiles.
func benchPublish(b *testing.B, r *rig, n int) {
	b.ReportAllocs()
	cpu := cputime.Process()
	for b.Loop() {
		if err := r.publish(); err != nil {
			b.Fatal(err)
		}
	}
	b.StartTimer()
	lat, err := r.finish(uint64(b.N))
	b.StopTimer()
	if err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(perSecond(b, b.N*n), "deliveries/s")
	reportCPU(b, cpu, b.N*n, "cpu-ns/delivery")
	reportLatency(b, lat)
}

// goroutinesPerProc is the RunParallel parallelism that gives at least
// total goroutines (exactly total when GOMAXPROCS divides it).
func goroutinesPerProc(total int) int {
	procs := runtime.GOMAXPROCS(0)
	return max(1, (total+procs-1)/procs)
}
