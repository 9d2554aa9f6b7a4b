package bench_test

import (
	"context"
	"fmt"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"github.com/brookmq/brook/broker"
	"github.com/brookmq/brook/internal/cputime"
	"github.com/brookmq/brook/stream"
)

// Many small streams: one per user, each holding a few entries. The entry is
// 3 fields with a 64-byte payload, the shape of the per-user stream.

// smallPayload is the 64-byte value of smallFields.
var smallPayload = strings.Repeat("p", 64)

// smallFields are the fields of every entry of the many-streams workloads.
var smallFields = []stream.Field{
	{Name: "user_id", Value: "1234"}, {Name: "type", Value: "click"}, {Name: "payload", Value: smallPayload},
}

// userKey is the name of user i's stream, as an application would make it.
func userKey(i int) string { return "user:" + strconv.Itoa(i) }

// BenchmarkSmallStreams reports the heap bytes per stream of N streams
// holding one entry each (B/stream), everything the broker holds for a key
// included: the registry entry, the key's text, the stream and its block.
// It takes up to seconds per iteration: run it with -benchtime 1x.
func BenchmarkSmallStreams(b *testing.B) {
	for _, n := range []int{1_000, 10_000, 100_000, 1_000_000} {
		b.Run("streams="+strconv.Itoa(n), func(b *testing.B) {
			var per float64
			for b.Loop() {
				var err error
				if per, err = smallStreamsMemory(n, 1); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(per, "B/stream")
		})
	}
}

// smallStreamsMemory creates n streams of entries entries each and returns
// the growth of the live heap per stream. The keys are made inside the
// measurement, so their text counts.
func smallStreamsMemory(n, entries int) (float64, error) {
	ctx := context.Background()
	br, _ := broker.New(broker.Options{})
	defer br.Close()
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	for range entries {
		for i := range n {
			if _, err := br.XAdd(ctx, userKey(i), smallFields, broker.AddOptions{}); err != nil {
				return 0, err
			}
		}
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	if l, err := br.XLen(ctx, userKey(n-1)); err != nil || l != int64(entries) {
		return 0, fmt.Errorf("bench: XLEN = %d, %v; want %d", l, err, entries)
	}
	runtime.KeepAlive(br)
	return (float64(after.HeapAlloc) - float64(before.HeapAlloc)) / float64(n), nil
}

// BenchmarkXAddKeys appends to K streams, visiting the keys round-robin in a
// fixed scattered order, and reports xadd/s. With streams=new the streams
// do not exist at the start, so the first round creates them inside the
// timing, as a service whose users come and go does: run it with
// -benchtime 3000000x so that every one of 10^6 keys gets 3 entries. With
// streams=existing every stream holds one entry before the timing starts.
// The keys' strings are made before the timing.
func BenchmarkXAddKeys(b *testing.B) {
	ctx := context.Background()
	for _, mode := range []string{"new", "existing"} {
		for _, k := range []int{1_000, 1_000_000} {
			b.Run("streams="+mode+"/keys="+strconv.Itoa(k), func(b *testing.B) {
				br := newMemBroker(b)
				keys := scatteredKeys(k)
				if mode == "existing" {
					for _, key := range keys {
						if _, err := br.XAdd(ctx, key, smallFields, broker.AddOptions{}); err != nil {
							b.Fatal(err)
						}
					}
				}
				runtime.GC()
				b.ReportAllocs()
				cpu := cputime.Process()
				i := 0
				for b.Loop() {
					if _, err := br.XAdd(ctx, keys[i], smallFields, broker.AddOptions{}); err != nil {
						b.Fatal(err)
					}
					if i++; i == len(keys) {
						i = 0
					}
				}
				b.ReportMetric(perSecond(b, b.N), "xadd/s")
				reportCPU(b, cpu, b.N, "cpu-ns/xadd")
			})
		}
	}
}

// scatteredKeys returns the k user keys in an order that is not the order
// they were made in (a stride coprime with k), so consecutive XADDs touch
// unrelated memory, as requests of many users do.
func scatteredKeys(k int) []string {
	keys := make([]string, k)
	stride := 7919
	for stride%k == 0 || gcd(stride, k) != 1 {
		stride++
	}
	for i := range keys {
		keys[i] = userKey(i * stride % k)
	}
	return keys
}

func gcd(a, b int) int {
	for b != 0 {
		a, b = b, a%b
	}
	return a
}
