package bench_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/brookmq/brook/broker"
	"github.com/brookmq/brook/internal/cputime"
	"github.com/brookmq/brook/wal"
)

// policySystem is a broker to append to: in memory, or durable under a
// relaxed fsync policy.
type policySystem struct {
	name string
	open func(dir string) (*broker.Broker, error)
}

// policySystems are the brokers of BenchmarkFsyncPolicies, the in-memory
// one first: the others report their rate as a fraction of its.
var policySystems = []policySystem{
	{"memory", func(string) (*broker.Broker, error) { return broker.New(broker.Options{}) }},
	{"everysec", openPolicy(wal.FsyncEverySec)},
	{"no", openPolicy(wal.FsyncNo)},
}

// openPolicy opens a durable broker under policy with the other durability
// options at their defaults (snapshots every 64 MiB of log, 64 MiB segments).
func openPolicy(policy wal.FsyncPolicy) func(dir string) (*broker.Broker, error) {
	return func(dir string) (*broker.Broker, error) {
		return broker.Open(dir, broker.Options{Durability: broker.DurabilityOptions{Fsync: policy}})
	}
}

// BenchmarkFsyncPolicies appends entries of 3 small fields to one stream
// from 1 and from 8 goroutines, as BenchmarkXAdd does, on the in-memory
// broker and on durable brokers under the "everysec" and "no" fsync
// policies, back to back. Under both policies XAdd returns once its record
// is in the log's memory; the log writes records to the OS in batches. Metrics: xadd/s,
// cpu-ns/xadd and, for the durable ones, of-memory: their xadd/s over the
// in-memory broker's just before (the target, within 1.5x, is >= 0.67).
// With -count N the sub-benchmarks repeat back to back, so every ratio is
// taken against the last of the N memory runs: repeat whole runs instead.
// The durable brokers keep the default snapshot and segment sizes, so a long
// run includes the background snapshots and segment rolls a user pays for.
func BenchmarkFsyncPolicies(b *testing.B) {
	for _, g := range []int{1, 8} {
		b.Run(fmt.Sprintf("goroutines=%d", g), func(b *testing.B) {
			var memRate float64
			for _, sys := range policySystems {
				b.Run("sys="+sys.name, func(b *testing.B) {
					rate := benchPolicyXAdd(b, sys, g)
					if sys.name == "memory" {
						memRate = rate
					} else if memRate > 0 {
						b.ReportMetric(rate/memRate, "of-memory")
					}
				})
			}
		})
	}
}

// benchPolicyXAdd runs XADD from g goroutines on a new broker of sys and
// returns its xadd/s.
func benchPolicyXAdd(b *testing.B, sys policySystem, g int) float64 {
	br, err := sys.open(b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	b.ReportAllocs()
	cpu := cputime.Process()
	b.ResetTimer()
	if g == 1 {
		for range b.N {
			if _, err := br.XAdd(ctx, "s", entryFields, broker.AddOptions{}); err != nil {
				b.Fatal(err)
			}
		}
	} else {
		b.SetParallelism(goroutinesPerProc(g))
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if _, err := br.XAdd(ctx, "s", entryFields, broker.AddOptions{}); err != nil {
					b.Error(err)
					return
				}
			}
		})
	}
	b.StopTimer()
	rate := perSecond(b, b.N)
	b.ReportMetric(rate, "xadd/s")
	reportCPU(b, cpu, b.N, "cpu-ns/xadd")
	if err := br.Close(); err != nil { // writes the final snapshot: untimed
		b.Fatal(err)
	}
	return rate
}
