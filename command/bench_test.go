package command_test

import (
	"context"
	"io"
	"strconv"
	"testing"

	"github.com/brookmq/brook/broker"
	"github.com/brookmq/brook/command"
)

// BenchmarkDoXAdd measures the command layer around XADD: parsing, the
// broker call and building the reply.
func BenchmarkDoXAdd(b *testing.B) {
	br, _ := broker.New(broker.Options{})
	defer br.Close()
	h := &command.Handler{B: br}
	ctx := context.Background()
	args := []string{"XADD", "s", "*", "field", "value"}
	b.ReportAllocs()
	for b.Loop() {
		if r := h.Do(ctx, args); r.IsError() {
			b.Fatal(r.Str)
		}
	}
}

// BenchmarkXRangePrint measures XRANGE of 100 entries, printed.
func BenchmarkXRangePrint(b *testing.B) {
	br, _ := broker.New(broker.Options{})
	defer br.Close()
	h := &command.Handler{B: br}
	ctx := context.Background()
	for i := 1; i <= 100; i++ {
		h.Do(ctx, []string{"XADD", "s", strconv.Itoa(i) + "-0", "field", "value " + strconv.Itoa(i)})
	}
	args := []string{"XRANGE", "s", "-", "+"}
	b.ReportAllocs()
	for b.Loop() {
		h.Do(ctx, args).WriteTo(io.Discard)
	}
	b.ReportMetric(float64(b.N*100)/b.Elapsed().Seconds(), "entries/s")
}

// BenchmarkSplitArgs measures splitting a typical quoted command line.
func BenchmarkSplitArgs(b *testing.B) {
	line := `XADD orders * order_id 1001 customer "alice smith" note "line\nbreak \x41"`
	b.ReportAllocs()
	for b.Loop() {
		if _, err := command.SplitArgs(line); err != nil {
			b.Fatal(err)
		}
	}
}
