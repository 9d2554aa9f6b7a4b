package pattern_test

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"

	"github.com/brookmq/brook/pattern"
)

// matches returns the sorted patterns of idx that match channel.
func matches(idx *pattern.Index, channel string) []string {
	var got []string
	idx.Match(channel, func(p string) { got = append(got, p) })
	slices.Sort(got)
	return got
}

// bruteForce returns the sorted patterns of set that match channel.
func bruteForce(set map[string]*pattern.Pattern, channel string) []string {
	var want []string
	for s, p := range set {
		if p.Match(channel) {
			want = append(want, s)
		}
	}
	slices.Sort(want)
	return want
}

func TestIndexAddRemove(t *testing.T) {
	type op struct {
		add     bool
		pattern string
		want    bool
		len     int
	}
	tests := []struct {
		name string
		ops  []op
	}{
		{"add twice", []op{{true, "a*", true, 1}, {true, "a*", false, 1}}},
		{"remove absent", []op{{false, "a*", false, 0}}},
		{"remove twice", []op{{true, "a*", true, 1}, {false, "a*", true, 0}, {false, "a*", false, 0}}},
		{"same literal, two spellings", []op{{true, "ab", true, 1}, {true, `a\b`, true, 2}, {false, "ab", true, 1}}},
		{"never-matching patterns count", []op{{true, "[]", true, 1}, {true, "[]", false, 1}, {false, "[]", true, 0}}},
		{"empty pattern", []op{{true, "", true, 1}, {false, "", true, 0}}},
		{"shared prefix", []op{{true, "news.*", true, 1}, {true, "news.t*", true, 2}, {false, "news.*", true, 1}, {true, "news", true, 2}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			idx := pattern.NewIndex()
			for i, o := range tt.ops {
				var got bool
				if o.add {
					got = idx.Add(o.pattern)
				} else {
					got = idx.Remove(o.pattern)
				}
				if got != o.want || idx.Len() != o.len {
					t.Fatalf("op %d (add=%t %q) = %t, Len %d; want %t, %d", i, o.add, o.pattern, got, idx.Len(), o.want, o.len)
				}
				if idx.Has(o.pattern) != o.add {
					t.Fatalf("op %d: Has(%q) = %t", i, o.pattern, !o.add)
				}
			}
		})
	}
}

func TestIndexZeroValue(t *testing.T) {
	var idx pattern.Index
	if got := matches(&idx, "a"); got != nil || idx.Len() != 0 || idx.Remove("a*") {
		t.Fatalf("empty zero Index: Match %q, Len %d", got, idx.Len())
	}
	if !idx.Add("a*") || !slices.Equal(matches(&idx, "ab"), []string{"a*"}) {
		t.Fatal("zero Index did not take a pattern")
	}
}

func TestIndexMatch(t *testing.T) {
	idx := pattern.NewIndex()
	for _, p := range []string{"*", "news.*", "news.tech", `news\.tech`, "news.t?ch", "n*", "news.[st]*", "[]", "", "other.*", "*.tech", "news.tech.*", "*h", "*ch", "*.x", "n*h", "news.*ech", "news.*x", "news.*tech", "news.tech*tech"} {
		idx.Add(p)
	}
	tests := []struct {
		channel string
		want    []string
	}{
		{"news.tech", []string{"*", "*.tech", "*ch", "*h", "n*", "n*h", "news.*", "news.*ech", "news.*tech", "news.[st]*", "news.t?ch", "news.tech", `news\.tech`}},
		{"news.", []string{"*", "n*", "news.*"}},
		{"news", []string{"*", "n*"}},
		{"h", []string{"*", "*h"}},
		{"news.techtech", []string{"*", "*ch", "*h", "n*", "n*h", "news.*", "news.*ech", "news.*tech", "news.[st]*", "news.tech*tech"}},
		{"news.tech.x", []string{"*", "*.x", "n*", "news.*", "news.*x", "news.[st]*", "news.tech.*"}},
		{"", []string{""}},
		{"x", []string{"*"}},
	}
	for _, tt := range tests {
		t.Run(tt.channel, func(t *testing.T) {
			if got := matches(idx, tt.channel); !slices.Equal(got, tt.want) {
				t.Errorf("Match(%q) = %q, want %q", tt.channel, got, tt.want)
			}
		})
	}
}

// TestIndexModel runs random Add, Remove and Match calls and compares every
// Match with a brute-force scan of the patterns present.
func TestIndexModel(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	idx := pattern.NewIndex()
	set := map[string]*pattern.Pattern{}
	genChannel := func() string {
		if r.IntN(2) == 0 {
			return genSubject(r)
		}
		return fmt.Sprintf("n%c.%d", "ae\xe4"[r.IntN(3)], r.IntN(4))
	}
	genPat := func() string {
		switch r.IntN(5) {
		case 0:
			return genPattern(r)
		case 1:
			return genChannel()
		case 2:
			return genPattern(r) + genChannel()
		case 3:
			return genChannel() + genPattern(r) + genChannel()
		}
		return genChannel() + genPattern(r)
	}
	for step := range 4000 {
		switch r.IntN(3) {
		case 0:
			p := genPat()
			if got := idx.Add(p); got == (set[p] != nil) {
				t.Fatalf("step %d: Add(%q) = %t with present=%t", step, p, got, !got)
			}
			set[p] = pattern.Compile(p)
		case 1:
			p := genPat()
			if got := idx.Remove(p); got != (set[p] != nil) {
				t.Fatalf("step %d: Remove(%q) = %t with present=%t", step, p, got, !got)
			}
			delete(set, p)
		default:
			ch := genChannel()
			if got, want := matches(idx, ch), bruteForce(set, ch); !slices.Equal(got, want) {
				t.Fatalf("step %d: Match(%q) = %q, brute force %q", step, ch, got, want)
			}
		}
		if idx.Len() != len(set) {
			t.Fatalf("step %d: Len = %d, want %d", step, idx.Len(), len(set))
		}
		if step%20 == 0 {
			if err := pattern.CheckIndex(idx); err != nil {
				t.Fatalf("step %d: %v", step, err)
			}
		}
	}
	for p := range set {
		idx.Remove(p)
		if err := pattern.CheckIndex(idx); err != nil {
			t.Fatalf("removing %q: %v", p, err)
		}
	}
	if got := matches(idx, "n"); got != nil || idx.Len() != 0 {
		t.Fatalf("after removing all: Len %d, Match %q", idx.Len(), got)
	}
	if n := pattern.NodeCount(idx); n != 0 {
		t.Fatalf("after removing all: %d keys, want none", n)
	}
}

// TestIndexMatchAllocs checks that Match allocates nothing, for ASCII and
// non-ASCII channels alike.
func TestIndexMatchAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector makes sync.Pool drop items on purpose")
	}
	idx := pattern.NewIndex()
	for _, p := range []string{"*", "n*s", "news.*", "*.t?ch", "[nm]ews.*", "news.tech", "中*", "*[中]?"} {
		idx.Add(p)
	}
	n := 0
	fn := func(string) { n++ }
	for _, ch := range []string{"news.tech", "中文.tech", "news.\xff"} {
		if a := testing.AllocsPerRun(100, func() { idx.Match(ch, fn) }); a != 0 {
			t.Errorf("Match(%q): %v allocations", ch, a)
		}
	}
	if n == 0 {
		t.Fatal("nothing matched")
	}
}

// TestIndexConcurrentMatch runs Match calls concurrently (run with -race).
func TestIndexConcurrentMatch(t *testing.T) {
	idx := pattern.NewIndex()
	set := map[string]*pattern.Pattern{}
	for _, p := range []string{"*", "news.*", "n*[é]", "news.tech", "*.tech"} {
		idx.Add(p)
		set[p] = pattern.Compile(p)
	}
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for range 200 {
				for _, ch := range []string{"news.tech", "néé", "x.tech"} {
					if got, want := matches(idx, ch), bruteForce(set, ch); !slices.Equal(got, want) {
						t.Errorf("Match(%q) = %q, want %q", ch, got, want)
						return
					}
				}
			}
		})
	}
	wg.Wait()
}
