package pattern_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/brookmq/brook/pattern"
)

// FuzzMatch, seeded with odd cases and every conformance row, checks that any pattern compiles without panicking, that Match
// agrees with the oracle that follows Redis's algorithm step by step, and
// that an Index holding the pattern (among others sharing its first bytes)
// reports it exactly when Match does.
func FuzzMatch(f *testing.F) {
	seeds := [][2]string{
		{"", ""}, {"*", ""}, {"*", "a"}, {"h?llo", "hello"}, {"h[^e]llo", "hallo"},
		{"[a-\xe4]", "A"}, {"[c-a]", "b"}, {"[^", "x"}, {"[", "["}, {"[]a]", "a]"},
		{"[abc", "b"}, {`a\`, `a\`}, {`[\]]`, "]"}, {"[a-]", "]"}, {"{a,b}", "{a,b}"},
		{"???", "中"}, {"[中]", "\xe4"}, {"news.*", "news.tech"}, {"a*a*a*b", "aaaa"},
		{"*\xa9", "é"}, {"[!a]", "!"}, {"[a-a-c]", "-"}, {"\xff*\xfe", "\xffab\xfe"},
	}
	for _, s := range seeds {
		f.Add(s[0], s[1])
	}
	for _, v := range loadVectors(f) {
		f.Add(v.pattern, v.subject)
	}
	f.Fuzz(func(t *testing.T, pat, subject string) {
		if len(pat) > 64 || len(subject) > 64 {
			return // keeps the oracle's recursion cheap
		}
		p := pattern.Compile(pat)
		got := p.Match(subject)
		if want := refMatch(pat, subject); got != want {
			t.Fatalf("Match(%q, %q) = %t, oracle %t", pat, subject, got, want)
		}
		idx := pattern.NewIndex()
		idx.Add(pat)
		idx.Add(p.Prefix() + "*")
		idx.Add(subject)
		found := false
		idx.Match(subject, func(s string) { found = found || s == pat })
		if found != got {
			t.Fatalf("Index.Match(%q) reports %q: %t, Match %t", subject, pat, found, got)
		}
		if !idx.Remove(pat) || idx.Remove(pat) {
			t.Fatalf("Remove(%q) twice: want true then false", pat)
		}
	})
}

// FuzzIndex adds the newline-separated patterns of list to an Index,
// removes every third one, and checks the Index's answer for channel against
// brute force, and the invariants of its tables.
func FuzzIndex(f *testing.F) {
	f.Add("news.*\nnews.t*\n*.tech\n*h\nnews.tech\nn*s.tech\n*", "news.tech")
	f.Add("ab*\nabc*\nab\n*bc\n*c\na*c\nabc", "abc")
	f.Add("a\\*\n[a]*\n\xe4*\n*\xb8\n", "\xe4\xb8")
	f.Fuzz(func(t *testing.T, list, channel string) {
		if len(list) > 512 {
			return
		}
		idx := pattern.NewIndex()
		set := map[string]*pattern.Pattern{}
		for i, p := range strings.Split(list, "\n") {
			idx.Add(p)
			set[p] = pattern.Compile(p)
			if i%3 == 2 {
				idx.Remove(p)
				delete(set, p)
			}
		}
		if err := pattern.CheckIndex(idx); err != nil {
			t.Fatal(err)
		}
		if got, want := matches(idx, channel), bruteForce(set, channel); !slices.Equal(got, want) {
			t.Fatalf("Match(%q) = %q, brute force %q", channel, got, want)
		}
	})
}
