package pattern_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/brookmq/brook/pattern"
)

// BenchmarkIndexMatch publishes to news.tech with one matching pattern and
// P patterns that do not match (other.<i>.*): with the index, the cost must
// stay flat as P grows.
func BenchmarkIndexMatch(b *testing.B) {
	for _, p := range []int{0, 100, 10000} {
		b.Run(fmt.Sprintf("P=%d", p), func(b *testing.B) {
			idx := pattern.NewIndex()
			idx.Add("news.*")
			for i := range p {
				idx.Add(fmt.Sprintf("other.%d.*", i))
			}
			n := 0
			fn := func(string) { n++ }
			b.ReportAllocs()
			for b.Loop() {
				idx.Match("news.tech", fn)
			}
			if n == 0 {
				b.Fatal("news.* did not match")
			}
		})
	}
}

// BenchmarkBruteForceMatch is the baseline BenchmarkIndexMatch avoids:
// trying each of the 1+P compiled patterns in turn.
func BenchmarkBruteForceMatch(b *testing.B) {
	for _, p := range []int{0, 100, 10000} {
		b.Run(fmt.Sprintf("P=%d", p), func(b *testing.B) {
			pats := []*pattern.Pattern{pattern.Compile("news.*")}
			for i := range p {
				pats = append(pats, pattern.Compile(fmt.Sprintf("other.%d.*", i)))
			}
			b.ReportAllocs()
			for b.Loop() {
				for _, pt := range pats {
					pt.Match("news.tech")
				}
			}
		})
	}
}

// BenchmarkIndexMatchSamePrefix has the P non-matching patterns share the
// channel's first bytes (news.<i>.*), so the walk goes down their branch.
func BenchmarkIndexMatchSamePrefix(b *testing.B) {
	for _, p := range []int{0, 100, 10000} {
		b.Run(fmt.Sprintf("P=%d", p), func(b *testing.B) {
			idx := pattern.NewIndex()
			idx.Add("news.*")
			for i := range p {
				idx.Add(fmt.Sprintf("news.%d.*", i))
			}
			fn := func(string) {}
			b.ReportAllocs()
			for b.Loop() {
				idx.Match("news.tech", fn)
			}
		})
	}
}

// BenchmarkIndexMatchSuffix has P non-matching patterns that begin with a
// wildcard (*.<i>), which the suffix table keeps from being tried.
func BenchmarkIndexMatchSuffix(b *testing.B) {
	for _, p := range []int{0, 100, 10000} {
		b.Run(fmt.Sprintf("P=%d", p), func(b *testing.B) {
			idx := pattern.NewIndex()
			idx.Add("*.tech")
			for i := range p {
				idx.Add(fmt.Sprintf("*.%d", i))
			}
			fn := func(string) {}
			b.ReportAllocs()
			for b.Loop() {
				idx.Match("news.tech", fn)
			}
		})
	}
}

func BenchmarkMatch(b *testing.B) {
	tests := []struct{ name, pattern, subject string }{
		{"literal", "news.tech", "news.tech"},
		{"prefix", "news.*", "news.tech"},
		{"classes", "h[ae]l?o.*.[a-z]*", "hello.world.x"},
		{"utf8", "新闻.*", "新闻.科技"},
		{"pathological", strings.Repeat("a*", 20) + "b", strings.Repeat("a", 1000)},
	}
	for _, tt := range tests {
		b.Run(tt.name, func(b *testing.B) {
			p := pattern.Compile(tt.pattern)
			b.ReportAllocs()
			for b.Loop() {
				p.Match(tt.subject)
			}
		})
	}
}

// BenchmarkIndexMatchChannels publishes in turn on C distinct channels
// (sensor.<i>.temp) with 10,000 patterns of the peers harness's shapes
// subscribed (sensor.<i>.*, *.<i>.alert, log.*.<i>), some matching: C=100
// fits in the match cache and hits, C=100000 does not and misses, and must
// still not allocate (the cache's admission rule), and the walk compare with
// no cache at all.
func BenchmarkIndexMatchChannels(b *testing.B) {
	idx := pattern.NewIndex()
	for i := range 10000 {
		switch i % 3 {
		case 0:
			idx.Add(fmt.Sprintf("sensor.%d.*", i))
		case 1:
			idx.Add(fmt.Sprintf("*.%d.alert", i))
		default:
			idx.Add(fmt.Sprintf("log.*.%d", i))
		}
	}
	for _, c := range []int{100, 100000} {
		chans := make([]string, c)
		for i := range chans {
			chans[i] = fmt.Sprintf("sensor.%d.temp", i)
		}
		n := 0
		fn := func(string) { n++ }
		b.Run(fmt.Sprintf("C=%d", c), func(b *testing.B) {
			b.ReportAllocs()
			before := idx.Stats()
			i := 0
			for b.Loop() {
				idx.Match(chans[i], fn)
				if i++; i == len(chans) {
					i = 0
				}
			}
			st := idx.Stats()
			hits, misses := st.Hits-before.Hits, st.Misses-before.Misses
			b.ReportMetric(float64(hits)/float64(hits+misses), "hit-ratio")
		})
		b.Run(fmt.Sprintf("C=%d/walk", c), func(b *testing.B) {
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				pattern.Walk(idx, chans[i], fn)
				if i++; i == len(chans) {
					i = 0
				}
			}
		})
		if n == 0 {
			b.Fatal("nothing matched")
		}
	}
}
