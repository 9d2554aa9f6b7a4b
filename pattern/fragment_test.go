package pattern_test

import (
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/brookmq/brook/pattern"
)

// TestIndexModelFragments is TestIndexModel for patterns whose literals sit
// between wildcards, so that they are filed under inner runs: patterns and
// channels are built from pieces that overlap ("ab", "ba", "aba"), repeat,
// and mix escapes (`\*`, `\?`, `\[`), classes (`[a-c]`, `[^x]`, `[]`), `?`
// and stars. Every Match, with and without the cache, must equal trying
// every pattern.
func TestIndexModelFragments(t *testing.T) {
	r := rand.New(rand.NewPCG(21, 22))
	patPieces := []string{"*", "*", "*", "?", "a", "b", "ab", "ba", "aba", ":", ":1:", `\*`, `\?`, `\[`, "[a-c]", "[^x]", "[]", "x", "\xe4", `\`}
	chanPieces := []string{"a", "b", "ab", "ba", ":", ":1:", "*", "?", "[", "x", "c", "\xe4", `\`}
	gen := func(pieces []string, n int) string {
		var sb strings.Builder
		for range r.IntN(n) {
			sb.WriteString(pieces[r.IntN(len(pieces))])
		}
		return sb.String()
	}
	idx := pattern.NewIndex()
	set := map[string]*pattern.Pattern{}
	var added []string
	for step := range 20000 {
		switch op := r.IntN(10); {
		case op < 4:
			p := gen(patPieces, 7)
			if got := idx.Add(p); got == (set[p] != nil) {
				t.Fatalf("step %d: Add(%q) = %t with present=%t", step, p, got, !got)
			}
			set[p] = pattern.Compile(p)
			added = append(added, p)
		case op < 5 && len(added) > 0:
			p := added[r.IntN(len(added))]
			if got := idx.Remove(p); got != (set[p] != nil) {
				t.Fatalf("step %d: Remove(%q) = %t with present=%t", step, p, got, !got)
			}
			delete(set, p)
		default:
			ch := gen(chanPieces, 8)
			want := bruteForce(set, ch)
			if got := matches(idx, ch); !slices.Equal(got, want) {
				t.Fatalf("step %d: Match(%q) = %q, brute force %q", step, ch, got, want)
			}
			var walked []string
			pattern.Walk(idx, ch, func(p string) { walked = append(walked, p) })
			if slices.Sort(walked); !slices.Equal(walked, want) {
				t.Fatalf("step %d: walk(%q) = %q, brute force %q", step, ch, walked, want)
			}
		}
		if step%100 == 0 {
			if err := pattern.CheckIndex(idx); err != nil {
				t.Fatalf("step %d: %v", step, err)
			}
		}
	}
	if len(set) < 100 {
		t.Fatalf("only %d patterns at the end: the model tests too little", len(set))
	}
	for p := range set {
		idx.Remove(p)
	}
	if err := pattern.CheckIndex(idx); err != nil {
		t.Fatal(err)
	}
	if n := pattern.NodeCount(idx); n != 0 || idx.Len() != 0 {
		t.Fatalf("after removing all: %d patterns, %d keys", idx.Len(), n)
	}
}

// TestIndexPlacement checks where patterns are filed: under the literal
// that the fewest patterns share, the longest among those, so that a
// channel tests few patterns however many share a prefix or a suffix.
func TestIndexPlacement(t *testing.T) {
	type want struct{ pattern, at, key string }
	tests := []struct {
		name  string
		setup []string
		want  []want
	}{
		{"shapes", nil, []want{
			{"news.tech", "head", "news.tech"},
			{"", "head", ""},
			{"news.*", "head", "news."},
			{"*.tech", "tail", ".tech"},
			{"*:42:*", "inner", ":42:"},
			{`*\*x\?*`, "inner", "*x?"},
			{"?[ab]*", "loose", ""},
			{"*", "loose", ""},
			{"a[]", "never", ""},
		}},
		{"longest when none is shared", nil, []want{
			{"ab*cde*f", "inner", "cde"},
			{"abcd*e*f", "head", "abcd"},
			{"a*b*cd", "tail", "cd"},
		}},
		{"prefix before suffix before inner", nil, []want{
			{"ab*cd*ef", "head", "ab"},
		}},
		{"shared prefix", []string{"log.*.1", "log.*.2"}, []want{
			{"log.*.3", "tail", ".3"},
		}},
		{"shared suffix", []string{"*.1.alert", "*.2.alert", "x*.alert"}, []want{
			{"*.3*.alert", "inner", ".3"},
		}},
		{"shared inner run", []string{"*:7:*", "a*:7:*"}, []want{
			{"a*:7:*b", "tail", "b"},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			idx := pattern.NewIndex()
			for _, p := range tt.setup {
				idx.Add(p)
			}
			for _, w := range tt.want {
				idx.Add(w.pattern)
				if at, key := pattern.Placement(idx, w.pattern); at != w.at || key != w.key {
					t.Errorf("%q filed at %s %q, want %s %q", w.pattern, at, key, w.at, w.key)
				}
			}
		})
	}
}

// TestIndexInnerRunMatchesOnce checks that a pattern whose run occurs
// several times in a channel, or whose runs overlap there, is reported once.
func TestIndexInnerRunMatchesOnce(t *testing.T) {
	idx := pattern.NewIndex()
	for i := range 100 {
		idx.Add("*:" + strconv.Itoa(i) + ":*")
	}
	idx.Add("*aba*")
	idx.Add("*ab*ba*")
	tests := []struct {
		channel string
		want    []string
	}{
		{":1:1:1:", []string{"*:1:*"}},
		{"x:12:y:12:z:3:", []string{"*:12:*", "*:3:*"}},
		{"ababa", []string{"*ab*ba*", "*aba*"}},
		{"aba", []string{"*aba*"}},
		{"abba", []string{"*ab*ba*"}},
	}
	for _, tt := range tests {
		if got := matches(idx, tt.channel); !slices.Equal(got, tt.want) {
			t.Errorf("Match(%q) = %q, want %q", tt.channel, got, tt.want)
		}
	}
}
