package pattern_test

import (
	"fmt"
	"runtime"
	"strconv"
	"testing"

	"github.com/brookmq/brook/internal/cputime"
	"github.com/brookmq/brook/internal/patternscale"
	"github.com/brookmq/brook/pattern"
)

// scaleShapes are the shapes of the scale workload (internal/patternscale),
// and prefix7: prefixes of the scale channels' length and edge byte (the
// numbers 1,000,003 + 7i, where the channels' are 1,000,000 + 7j, so never
// the same): each lookup probes the table once and finds nothing, the cost
// of a length the edge bytes do not rule out.
var scaleShapes = append(patternscale.Shapes[:len(patternscale.Shapes):len(patternscale.Shapes)],
	patternscale.Shape{Name: "prefix7", Pattern: func(i int) string { return "p:" + strconv.Itoa(1_000_003+7*i) + ":*" }})

// scaleSizes are the numbers of patterns of the scale benchmarks.
var scaleSizes = patternscale.Sizes

// scaleChannels match none of the scale patterns but walk deep into every
// shape's keys: their start, their end and their inner runs share up to six
// bytes with them. There are 65,536 of them, as in the broker's
// BenchmarkPublishScale, so that a lookup does not find the same few keys
// in the CPU caches every time, as a publish over many channels would not.
var scaleChannels = patternscale.ChannelList()

// scaleIndexes keeps the indexes built by BenchmarkIndexScale, so that
// -count repetitions do not rebuild a million patterns each time.
var scaleIndexes = map[string]*pattern.Index{}

func scaleIndex(shape int, n int) *pattern.Index {
	key := scaleShapes[shape].Name + "/" + strconv.Itoa(n)
	if idx := scaleIndexes[key]; idx != nil {
		return idx
	}
	idx := pattern.NewIndex()
	for i := range n {
		idx.Add(scaleShapes[shape].Pattern(i))
	}
	scaleIndexes[key] = idx
	// Let the garbage of the build be collected now rather than by a GC
	// cycle running through the timed loop.
	runtime.GC()
	return idx
}

// BenchmarkIndexScale is the cost of finding the patterns that match a
// channel none of them matches, over the scale channels in turn, without the match cache (the cost of every
// publish that misses it), for P patterns of each shape: it must stay flat
// as P grows.
func BenchmarkIndexScale(b *testing.B) {
	for s, shape := range scaleShapes {
		for _, n := range scaleSizes {
			b.Run(fmt.Sprintf("shape=%s/P=%d", shape.Name, n), func(b *testing.B) {
				idx := scaleIndex(s, n)
				found := 0
				fn := func(string) { found++ }
				b.ReportAllocs()
				i := 0
				cpuPerOp(b, func() {
					for b.Loop() {
						pattern.Walk(idx, scaleChannels[i&(len(scaleChannels)-1)], fn)
						i++
					}
				})
				if found != 0 {
					b.Fatalf("%d patterns matched the scale channels", found)
				}
			})
		}
	}
}

// BenchmarkIndexAddScale is the cost per pattern of adding P patterns of
// each shape to an empty index: it must stay flat as P grows. Run it with
// -benchtime=1x; each iteration builds the whole index.
func BenchmarkIndexAddScale(b *testing.B) {
	for _, shape := range scaleShapes {
		for _, n := range scaleSizes {
			pats := make([]string, n)
			for i := range pats {
				pats[i] = shape.Pattern(i)
			}
			b.Run(fmt.Sprintf("shape=%s/P=%d", shape.Name, n), func(b *testing.B) {
				for b.Loop() {
					idx := pattern.NewIndex()
					for _, p := range pats {
						idx.Add(p)
					}
				}
				b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/pattern")
			})
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
