package pattern_test

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"sync"
	"testing"

	"github.com/brookmq/brook/pattern"
)

// TestIndexCacheInvalidation checks that a result the cache holds never
// outlives a change of the pattern set.
func TestIndexCacheInvalidation(t *testing.T) {
	type op struct {
		kind    byte   // 'a' add, 'r' remove, 'm' match
		arg     string // pattern or channel
		matched []string
	}
	tests := []struct {
		name string
		ops  []op
	}{
		{"add after an empty result", []op{
			{'a', "x*", nil}, {'m', "ab", nil}, {'m', "ab", nil},
			{'a', "a*", nil}, {'m', "ab", []string{"a*"}}, {'m', "ab", []string{"a*"}},
		}},
		{"remove after a result", []op{
			{'a', "a*", nil}, {'m', "ab", []string{"a*"}}, {'m', "ab", []string{"a*"}},
			{'a', "x*", nil}, {'r', "a*", nil}, {'m', "ab", nil}, {'m', "ab", nil},
		}},
		{"remove then add back", []op{
			{'a', "a*", nil}, {'a', "*b", nil}, {'m', "ab", []string{"*b", "a*"}},
			{'r', "*b", nil}, {'m', "ab", []string{"a*"}},
			{'a', "*b", nil}, {'m', "ab", []string{"*b", "a*"}},
		}},
		{"literal", []op{
			{'a', "a*", nil}, {'m', "ab", []string{"a*"}},
			{'a', "ab", nil}, {'m', "ab", []string{"a*", "ab"}},
		}},
		{"never-matching pattern", []op{
			{'a', "a*", nil}, {'m', "ab", []string{"a*"}},
			{'a', "[]", nil}, {'m', "ab", []string{"a*"}}, {'r', "a*", nil}, {'m', "ab", nil},
		}},
		{"empty channel", []op{
			{'a', "*", nil}, {'m', "", nil}, {'a', "", nil}, {'m', "", []string{""}},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			idx := pattern.NewIndex()
			for i, o := range tt.ops {
				switch o.kind {
				case 'a':
					idx.Add(o.arg)
				case 'r':
					idx.Remove(o.arg)
				default:
					if got := matches(idx, o.arg); !slices.Equal(got, o.matched) {
						t.Fatalf("op %d: Match(%q) = %q, want %q", i, o.arg, got, o.matched)
					}
				}
			}
		})
	}
}

// TestIndexCacheStats follows the counters through misses, hits and an
// invalidation.
func TestIndexCacheStats(t *testing.T) {
	var idx pattern.Index
	if st := idx.Stats(); st != (pattern.IndexStats{}) {
		t.Fatalf("zero Index: %+v", st)
	}
	idx.Add("a*")
	other := "b"
	steps := []struct {
		name string
		do   func()
		want pattern.IndexStats
	}{
		{"miss", func() { matches(&idx, "ab") }, pattern.IndexStats{Patterns: 1, Cached: 1, Misses: 1, Admitted: 1}},
		{"hit", func() { matches(&idx, "ab") }, pattern.IndexStats{Patterns: 1, Cached: 1, Hits: 1, Misses: 1, Admitted: 1}},
		{"other channel", func() { matches(&idx, other) }, pattern.IndexStats{Patterns: 1, Cached: 2, Hits: 1, Misses: 2, Admitted: 2}},
		{"add invalidates", func() { idx.Add("b*") }, pattern.IndexStats{Patterns: 2, Hits: 1, Misses: 2, Admitted: 2}},
		{"miss again", func() { matches(&idx, "ab") }, pattern.IndexStats{Patterns: 2, Cached: 1, Hits: 1, Misses: 3, Admitted: 3}},
		{"remove invalidates", func() { idx.Remove("b*") }, pattern.IndexStats{Patterns: 1, Hits: 1, Misses: 3, Admitted: 3}},
		{"absent remove keeps", func() { matches(&idx, "ab"); idx.Remove("zz") }, pattern.IndexStats{Patterns: 1, Cached: 1, Hits: 1, Misses: 4, Admitted: 4}},
		{"present add keeps", func() { idx.Add("a*"); matches(&idx, "ab") }, pattern.IndexStats{Patterns: 1, Cached: 1, Hits: 2, Misses: 4, Admitted: 4}},
	}
	for _, s := range steps {
		s.do()
		if got := idx.Stats(); got != s.want {
			t.Fatalf("%s: Stats = %+v, want %+v", s.name, got, s.want)
		}
	}
}

// colliding returns n distinct channels that share one set of idx's cache.
func colliding(t *testing.T, idx *pattern.Index, n int) []string {
	t.Helper()
	bySlot := map[int][]string{}
	for i := range 100 * pattern.CacheSize {
		ch := "c" + strconv.Itoa(i)
		s := pattern.CacheSet(idx, ch)
		if bySlot[s] = append(bySlot[s], ch); len(bySlot[s]) == n {
			return bySlot[s]
		}
	}
	t.Fatal("no collision found")
	return nil
}

// TestIndexCacheAdmission checks that a channel takes a busy way of its
// set only on its second miss in a row there, that the ways are replaced in
// turn, and that misses that store nothing do not allocate.
func TestIndexCacheAdmission(t *testing.T) {
	idx := pattern.NewIndex()
	idx.Add("c1*")
	idx.Add("*5")
	chs := colliding(t, idx, 4)
	a, b, c, d := chs[0], chs[1], chs[2], chs[3]
	set := map[string]*pattern.Pattern{"c1*": pattern.Compile("c1*"), "*5": pattern.Compile("*5")}
	steps := []struct {
		channel  string
		hit      bool
		admitted uint64
	}{
		{a, false, 1}, // empty way: stored at once
		{a, true, 1},
		{b, false, 2}, // the other way
		{b, true, 2},
		{a, true, 2},
		{c, false, 2}, // both ways busy: remembered, not stored
		{a, true, 2},  // hits do not make c forgotten
		{c, false, 3}, // second miss in a row here: replaces way 0 (a)
		{c, true, 3},
		{b, true, 3},
		{a, false, 3},
		{d, false, 3}, // a's miss is forgotten
		{a, false, 3},
		{a, false, 4}, // replaces way 1 (b)
		{a, true, 4},
		{c, true, 4},
		{b, false, 4},
	}
	var hits uint64
	for i, s := range steps {
		if got, want := matches(idx, s.channel), bruteForce(set, s.channel); !slices.Equal(got, want) {
			t.Fatalf("step %d: Match(%q) = %q, want %q", i, s.channel, got, want)
		}
		if s.hit {
			hits++
		}
		if st := idx.Stats(); st.Hits != hits || st.Admitted != s.admitted || st.Hits+st.Misses != uint64(i+1) {
			t.Fatalf("step %d (%q): %+v, want %d hits, %d admitted", i, s.channel, st, hits, s.admitted)
		}
	}
	fn := func(string) {}
	if n := testing.AllocsPerRun(50, func() { idx.Match(b, fn); idx.Match(d, fn) }); n != 0 {
		t.Errorf("misses that store nothing: %v allocations", n)
	}
	if n := testing.AllocsPerRun(50, func() { idx.Match(a, fn); idx.Match(c, fn) }); n != 0 {
		t.Errorf("hits: %v allocations", n)
	}
}

// TestIndexWalkAllocs checks that the walk behind a miss allocates nothing.
func TestIndexWalkAllocs(t *testing.T) {
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
		if a := testing.AllocsPerRun(100, func() { pattern.Walk(idx, ch, fn) }); a != 0 {
			t.Errorf("walk(%q): %v allocations", ch, a)
		}
	}
	if n == 0 {
		t.Fatal("nothing matched")
	}
}

// TestIndexCacheModel compares Match with brute force over random changes
// and channels drawn from a set small enough to hit the cache often.
func TestIndexCacheModel(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	idx := pattern.NewIndex()
	set := map[string]*pattern.Pattern{}
	pats := []string{"*", "a*", "*b", "a?b", "[ab]*", "ab", "a*b*", "x.*", "*.y", "a", ""}
	var chans []string
	for i := range 40 {
		chans = append(chans, fmt.Sprintf("%c%c%s", "abx"[i%3], "by."[i/3%3], strconv.Itoa(i/9)))
	}
	chans = append(chans, "", "a", "ab", "x.y")
	calls := uint64(0)
	for step := range 5000 {
		switch op := r.IntN(100); {
		case op == 0:
			p := pats[r.IntN(len(pats))]
			idx.Add(p)
			set[p] = pattern.Compile(p)
		case op == 1:
			p := pats[r.IntN(len(pats))]
			idx.Remove(p)
			delete(set, p)
		default:
			ch := chans[r.IntN(len(chans))]
			if got, want := matches(idx, ch), bruteForce(set, ch); !slices.Equal(got, want) {
				t.Fatalf("step %d: Match(%q) = %q, brute force %q", step, ch, got, want)
			}
			if len(set) > 0 {
				calls++
			}
		}
	}
	st := idx.Stats()
	if st.Hits+st.Misses != calls || st.Patterns != len(set) || st.Cached > len(chans) {
		t.Fatalf("Stats %+v after %d Match calls on %d patterns", st, calls, len(set))
	}
	if st.Hits < st.Misses {
		t.Fatalf("Stats %+v: the cache should answer most calls", st)
	}
}

// TestIndexCacheConcurrent runs Match and Stats from several goroutines
// while one goroutine changes the pattern set, as a broker would: readers
// under the read lock, the writer under the write lock (run with -race).
func TestIndexCacheConcurrent(t *testing.T) {
	var mu sync.RWMutex
	idx := pattern.NewIndex()
	set := map[string]*pattern.Pattern{}
	pats := []string{"*", "n*", "news.*", "*.tech", "news.tech", "n?ws.*", "x*"}
	chans := []string{"news.tech", "news.art", "x.tech", "nope"}
	var wg sync.WaitGroup
	for g := range 3 {
		wg.Go(func() {
			for i := range 600 {
				ch := chans[(g+i)%len(chans)]
				mu.RLock()
				got, want := matches(idx, ch), bruteForce(set, ch)
				if i%100 == 0 {
					idx.Stats()
				}
				mu.RUnlock()
				if !slices.Equal(got, want) {
					t.Errorf("Match(%q) = %q, want %q", ch, got, want)
					return
				}
			}
		})
	}
	wg.Go(func() {
		r := rand.New(rand.NewPCG(7, 8))
		for range 300 {
			p := pats[r.IntN(len(pats))]
			mu.Lock()
			if r.IntN(2) == 0 {
				idx.Add(p)
				set[p] = pattern.Compile(p)
			} else {
				idx.Remove(p)
				delete(set, p)
			}
			mu.Unlock()
		}
	})
	wg.Wait()
}
