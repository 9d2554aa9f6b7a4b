package broker_test

import (
	"context"
	"runtime"
	"testing"
	"time"

	"github.com/brookmq/brook/broker"
	"github.com/brookmq/brook/stream"
)

var benchFields = []stream.Field{{Name: "user", Value: "u1234"}, {Name: "item", Value: "book"}, {Name: "qty", Value: "2"}}

// BenchmarkXAdd appends 3 small fields to one stream from 1 and from 8
// goroutines (in memory).
func BenchmarkXAdd(b *testing.B) {
	ctx := context.Background()
	b.Run("goroutines=1", func(b *testing.B) {
		br := broker.New(broker.Options{})
		defer br.Close()
		b.ReportAllocs()
		cpu := processCPU()
		for b.Loop() {
			if _, err := br.XAdd(ctx, "s", benchFields, broker.AddOptions{}); err != nil {
				b.Fatal(err)
			}
		}
		reportRate(b, b.N, cpu, "xadd")
	})
	b.Run("goroutines=8", func(b *testing.B) {
		br := broker.New(broker.Options{})
		defer br.Close()
		b.ReportAllocs()
		b.SetParallelism(max(1, 8/runtime.GOMAXPROCS(0)))
		cpu := processCPU()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if _, err := br.XAdd(ctx, "s", benchFields, broker.AddOptions{}); err != nil {
					b.Error(err)
					return
				}
			}
		})
		reportRate(b, b.N, cpu, "xadd")
	})
	b.Run("streams=8", func(b *testing.B) {
		br := broker.New(broker.Options{})
		defer br.Close()
		keys := []string{"s0", "s1", "s2", "s3", "s4", "s5", "s6", "s7"}
		next := make(chan int, len(keys))
		for i := range keys {
			next <- i
		}
		b.ReportAllocs()
		b.SetParallelism(max(1, 8/runtime.GOMAXPROCS(0)))
		cpu := processCPU()
		b.RunParallel(func(pb *testing.PB) {
			key := keys[<-next%len(keys)]
			for pb.Next() {
				if _, err := br.XAdd(ctx, key, benchFields, broker.AddOptions{}); err != nil {
					b.Error(err)
					return
				}
			}
		})
		reportRate(b, b.N, cpu, "xadd")
	})
}

// BenchmarkXReadGroupAck reads 100 entries with XREADGROUP COUNT 100 and
// acknowledges them with one XACK per iteration: one consumer, then four
// consumers each in its own goroutine (the stream is filled beforehand with
// what the run will read; the fill is not timed).
func BenchmarkXReadGroupAck(b *testing.B) {
	const count = 100
	ctx := context.Background()
	setup := func(b *testing.B, n int) *broker.Broker {
		br := broker.New(broker.Options{})
		if err := br.XGroupCreate(ctx, "s", "g", broker.GroupCreateOptions{MkStream: true}); err != nil {
			b.Fatal(err)
		}
		for range n {
			if _, err := br.XAdd(ctx, "s", benchFields, broker.AddOptions{}); err != nil {
				b.Fatal(err)
			}
		}
		return br
	}
	readAck := func(b *testing.B, br *broker.Broker, consumer string, ids []stream.ID) []stream.ID {
		streams := []broker.GroupReadStream{{Key: "s", New: true}}
		res, err := br.XReadGroup(ctx, "g", consumer, streams, broker.GroupReadOptions{Count: count})
		if err != nil || len(res) != 1 || len(res[0].Entries) != count {
			b.Errorf("XReadGroup: %d streams, %v", len(res), err)
			return ids
		}
		ids = ids[:0]
		for _, e := range res[0].Entries {
			ids = append(ids, e.ID)
		}
		if n, err := br.XAck(ctx, "s", "g", ids...); err != nil || n != count {
			b.Errorf("XAck = %d, %v", n, err)
		}
		return ids
	}
	b.Run("consumers=1", func(b *testing.B) {
		br := setup(b, b.N*count)
		defer br.Close()
		ids := make([]stream.ID, 0, count)
		b.ReportAllocs()
		b.ResetTimer()
		cpu := processCPU()
		for range b.N { // not b.Loop: the fill needs b.N up front
			ids = readAck(b, br, "c", ids)
		}
		reportRate(b, b.N*count, cpu, "entry")
	})
	b.Run("consumers=4", func(b *testing.B) {
		br := setup(b, b.N*count)
		defer br.Close()
		next := make(chan string, 4)
		for _, c := range []string{"c0", "c1", "c2", "c3"} {
			next <- c
		}
		b.ReportAllocs()
		b.SetParallelism(max(1, 4/runtime.GOMAXPROCS(0)))
		b.ResetTimer()
		cpu := processCPU()
		b.RunParallel(func(pb *testing.PB) {
			consumer := <-next
			ids := make([]stream.ID, 0, count)
			for pb.Next() {
				ids = readAck(b, br, consumer, ids)
			}
		})
		reportRate(b, b.N*count, cpu, "entry")
	})
}

// reportRate reports n operations per second of wall time, and the CPU
// nanoseconds per operation of the whole process since cpu0 (steadier than
// wall time on a shared machine).
func reportRate(b *testing.B, n int, cpu0 time.Duration, unit string) {
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), unit+"/s")
	if cpu := processCPU() - cpu0; cpu > 0 {
		b.ReportMetric(float64(cpu)/float64(n), "cpu-ns/"+unit)
	}
}
