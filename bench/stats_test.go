package bench_test

import (
	"slices"
	"testing"
	"time"

	"github.com/brookmq/brook/internal/cputime"
)

// sampleEvery is how often a flooding publisher stamps a message: one in 64,
// so reading the clock costs the publisher almost nothing.
const sampleEvery = 64

// stamps holds the publish times of the sampled messages of one publisher,
// in a ring indexed by sequence number. Readers look a message's time up by
// counting what they received (messages from one publisher arrive in order),
// so the payload never carries a timestamp and is shared unchanged. The ring
// covers 1<<20 messages, far more than any reader may lag.
type stamps struct {
	start time.Time
	ring  [1 << 14]time.Duration
}

func newStamps() *stamps { return &stamps{start: time.Now()} }

// mark records the publish time of message seq if it is sampled. It is called
// before the message is sent, which orders the write before the readers' read.
func (s *stamps) mark(seq uint64) {
	if seq%sampleEvery == 0 {
		s.ring[(seq/sampleEvery)%uint64(len(s.ring))] = time.Since(s.start)
	}
}

// sample appends the latency of received message seq to lat if it is sampled.
func (s *stamps) sample(seq uint64, lat []time.Duration) []time.Duration {
	if seq%sampleEvery != 0 {
		return lat
	}
	return append(lat, time.Since(s.start)-s.ring[(seq/sampleEvery)%uint64(len(s.ring))])
}

// percentile returns the p-th percentile (0 < p <= 100) of sorted samples,
// nearest rank; 0 if there are none.
func percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(float64(len(sorted))*p/100+0.5) - 1
	return sorted[min(max(i, 0), len(sorted)-1)]
}

// reportLatency sorts samples and reports their p50 and p99 in nanoseconds.
func reportLatency(b *testing.B, samples []time.Duration) {
	slices.Sort(samples)
	b.ReportMetric(float64(percentile(samples, 50)), "p50-ns")
	b.ReportMetric(float64(percentile(samples, 99)), "p99-ns")
}

// reportCPU reports the process CPU time used since cpu0 per event, if the
// platform measures it.
func reportCPU(b *testing.B, cpu0 time.Duration, events int, unit string) {
	if used := cputime.Process() - cpu0; used > 0 && events > 0 {
		b.ReportMetric(float64(used)/float64(events), unit)
	}
}

// perSecond is n events over the benchmark's elapsed time.
func perSecond(b *testing.B, n int) float64 {
	return float64(n) / b.Elapsed().Seconds()
}

func TestPercentile(t *testing.T) {
	hundred := make([]time.Duration, 100)
	for i := range hundred {
		hundred[i] = time.Duration(i + 1)
	}
	tests := []struct {
		name    string
		samples []time.Duration
		p       float64
		want    time.Duration
	}{
		{"empty", nil, 50, 0},
		{"one", []time.Duration{7}, 99, 7},
		{"median of 100", hundred, 50, 50},
		{"p99 of 100", hundred, 99, 99},
		{"p100 of 100", hundred, 100, 100},
		{"tiny p", hundred, 0.1, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := percentile(tt.samples, tt.p); got != tt.want {
				t.Errorf("percentile(%v) = %v, want %v", tt.p, got, tt.want)
			}
		})
	}
}

func TestStampsSample(t *testing.T) {
	s := newStamps()
	var lat []time.Duration
	for seq := range uint64(3 * sampleEvery) {
		s.mark(seq)
		lat = s.sample(seq, lat)
	}
	if len(lat) != 3 {
		t.Fatalf("%d samples from 3 sampled messages", len(lat))
	}
	for _, d := range lat {
		if d < 0 {
			t.Errorf("negative latency %v", d)
		}
	}
}
