package pattern_test

import (
	"math/rand/v2"
	"strings"
	"sync"
	"testing"

	"github.com/brookmq/brook/pattern"
)

func TestMatchTable(t *testing.T) {
	tests := []struct {
		name, pattern, subject string
		want                   bool
	}{
		{"empty both", "", "", true},
		{"empty pattern", "", "a", false},
		{"star vs empty", "*", "", false},
		{"stars vs empty", "***", "", false},
		{"class vs empty", "[^", "", false},
		{"star", "*", "anything", true},
		{"trailing stars after last byte", "a***", "a", true},
		{"inner star empty run", "a*b", "ab", true},
		{"question is a byte", "?", "é", false},
		{"two questions for é", "??", "é", true},
		{"question on invalid utf8", "?", "\xff", true},
		{"star then byte of a rune", "*\xa9", "é", true},
		{"class of rune bytes", "[é][é]", "é", true},
		{"class of rune bytes, one", "[é]", "é", false},
		{"signed range high bound", "[a-\xe4]", "A", true},
		{"signed range excludes b", "[a-\xe4]", "b", false},
		{"signed range holds 0xe4", "[a-\xe4]", "\xe4", true},
		{"signed range holds 0xff", "[a-\xe4]", "\xff", true},
		{"signed range not 0x80", "[a-\xe4]", "\x80", false},
		{"high range unsigned order", "[\x80-\xff]", "\x90", true},
		{"high range reversed", "[\xff-\x80]", "\x90", true},
		{"high range excludes ascii", "[\x80-\xff]", "a", false},
		{"negated high range", "[^\x80-\xff]", "a", true},
		{"reversed range", "[c-a]", "b", true},
		{"negated reversed range", "[^c-a]", "b", false},
		{"range to bracket", "[a-]", "_", true},
		{"range to bracket, rest in class", "[a-]x", "x", true},
		{"range with escaped end is raw", `[a-\]`, `\`, true},
		{"range ends at backslash", `[a-\]`, "]", true},
		{"range then dash literal", "[a-a-c]", "-", true},
		{"range then dash, b", "[a-a-c]", "b", false},
		{"escaped dash", `[a\-z]`, "-", true},
		{"escaped dash, m", `[a\-z]`, "m", false},
		{"escaped bracket in class", `[\]]`, "]", true},
		{"bang does not negate", "[!a]", "!", true},
		{"bang does not negate, b", "[!a]", "b", false},
		{"caret only", "[^", "x", true},
		{"caret only, two bytes", "[^", "xy", false},
		{"lone bracket", "[", "[", false},
		{"empty class", "[]", "]", false},
		{"empty class then literal", "[]a]", "a]", false},
		{"negated empty class", "[^]]", "x]", true},
		{"unclosed class", "[abc", "b", true},
		{"unclosed class escape", `[a\`, `\`, true},
		{"class with star", "[*]", "*", true},
		{"class with star, a", "[*]", "a", false},
		{"all bytes class", "[\x00-\xff]", "\x7f", false},
		{"all bytes class (signed)", "[\x80-\x7f]", "\x7f", true},
		{"negated everything", "[^\x80-\x7f]", "a", false},
		{"escaped star", `a\*b`, "a*b", true},
		{"escaped star, not star", `a\*b`, "axb", false},
		{"escaped letter", `\a`, "a", true},
		{"trailing backslash", `a\`, `a\`, true},
		{"backslash alone", `\`, `\`, true},
		{"escaped backslash", `\\`, `\`, true},
		{"braces literal", "{a,b}", "{a,b}", true},
		{"braces not alternatives", "{a,b}", "a", false},
		{"gobwas super star is star", "a**b", "axxb", true},
		{"comma", "a,*", "a,b", true},
		{"nul bytes", "a\x00*", "a\x00\x00", true},
		{"nul in class", "[\x00]", "\x00", true},
		{"utf8 literal prefix", "中*", "中文", true},
		{"utf8 question", "中???", "中文", true},
		{"invalid utf8 pattern", "\xff*\xfe", "\xffab\xfe", true},
		{"literal is exact", "news", "newsx", false},
		{"prefix mismatch", "news.*", "new", false},
		{"prefix equals subject", "news.*", "news.", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := pattern.Match(tt.pattern, tt.subject); got != tt.want {
				t.Errorf("Match(%q, %q) = %t, want %t", tt.pattern, tt.subject, got, tt.want)
			}
			if got := refMatch(tt.pattern, tt.subject); got != tt.want {
				t.Errorf("oracle(%q, %q) = %t, want %t", tt.pattern, tt.subject, got, tt.want)
			}
		})
	}
}

func TestZeroPattern(t *testing.T) {
	var p pattern.Pattern
	if !p.Match("") || p.Match("a") || p.String() != "" || !p.IsLiteral() {
		t.Fatal("the zero Pattern is not the empty pattern")
	}
}

func TestPatternAccessors(t *testing.T) {
	tests := []struct {
		pattern, prefix, suffix string
		literal                 bool
	}{
		{"", "", "", true},
		{"news", "news", "", true},
		{`a\*b`, "a*b", "", true},
		{`a\`, `a\`, "", true},
		{"news.*", "news.", "", false},
		{`news\*.?`, "news*.", "", false},
		{"*x", "", "x", false},
		{`*.\?x\`, "", `.?x\`, false},
		{"a*b?cd", "a", "cd", false},
		{"ab[c]", "ab", "", false},
		{"[]", "", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.pattern, func(t *testing.T) {
			p := pattern.Compile(tt.pattern)
			if got := p.String(); got != tt.pattern {
				t.Errorf("String() = %q", got)
			}
			if got := p.Prefix(); got != tt.prefix {
				t.Errorf("Prefix() = %q, want %q", got, tt.prefix)
			}
			if got := p.Suffix(); got != tt.suffix {
				t.Errorf("Suffix() = %q, want %q", got, tt.suffix)
			}
			if got := p.IsLiteral(); got != tt.literal {
				t.Errorf("IsLiteral() = %t, want %t", got, tt.literal)
			}
		})
	}
}

// TestStarNestingLimit pins Redis's recursion limit: a pattern with more
// than 1000 star groups followed by something matches nothing, while a
// trailing star group does not count. Recorded with Redis 7.0.15 (KEYS).
func TestStarNestingLimit(t *testing.T) {
	subject := strings.Repeat("a", 1100)
	tests := []struct {
		name    string
		pattern string
		want    bool
	}{
		{"1000 groups", strings.Repeat("*a", 1000), true},
		{"1001 groups", strings.Repeat("*a", 1001), false},
		{"1000 groups and a trailing star", strings.Repeat("*a", 1000) + "*", true},
		{"1001 groups and a trailing star", strings.Repeat("*a", 1001) + "*", false},
		{"double stars count once", strings.Repeat("**a", 1000), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := pattern.Match(tt.pattern, subject); got != tt.want {
				t.Errorf("Match = %t, want %t", got, tt.want)
			}
			if got := refMatch(tt.pattern, subject); got != tt.want {
				t.Errorf("oracle = %t, want %t", got, tt.want)
			}
		})
	}
}

// TestPathological runs patterns that take exponential time with naive
// backtracking (Redis's CVE-2022-36021) against 10 KB subjects. There is no
// timing assertion: an exponential matcher would run for ages and hit the
// test timeout.
func TestPathological(t *testing.T) {
	const n = 10 << 10
	as := strings.Repeat("a", n)
	wide := strings.Repeat("\xe4", n)
	tests := []struct {
		name, pattern, subject string
		want                   bool
	}{
		{"stars then b", strings.Repeat("a*", 40) + "b", as, false},
		{"stars then class", strings.Repeat("a*", 40) + "[bc]", as, false},
		{"leading star", "*" + strings.Repeat("a*", 40) + "?b?", as, false},
		{"question stars", strings.Repeat("*?", 40) + "b", as, false},
		{"stars match", strings.Repeat("a*", 40) + "a", as, true},
		{"wide stars", strings.Repeat("\xe4*", 40) + "[^\xe4]", wide, false},
		{"wide question stars", strings.Repeat("*?", 40) + "\xe5", wide, false},
		{"wide stars match", strings.Repeat("*\xe4", 40) + "*", wide, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := pattern.Match(tt.pattern, tt.subject); got != tt.want {
				t.Errorf("Match = %t, want %t", got, tt.want)
			}
		})
	}
}

// genPattern returns a random short pattern rich in special bytes.
func genPattern(r *rand.Rand) string {
	const alphabet = "ab*?[]^-\\!{},\xe4\x80\xff\x00A"
	b := make([]byte, r.IntN(9))
	for i := range b {
		b[i] = alphabet[r.IntN(len(alphabet))]
	}
	return string(b)
}

// genSubject returns a random short subject over bytes the patterns use.
func genSubject(r *rand.Rand) string {
	const alphabet = "ab]-\\*^!{\xe4\x80\xff\x00A_"
	b := make([]byte, r.IntN(7))
	for i := range b {
		b[i] = alphabet[r.IntN(len(alphabet))]
	}
	return string(b)
}

// TestMatchAgreesWithOracle compares Match with the oracle on random
// patterns and subjects.
func TestMatchAgreesWithOracle(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for range 300 {
		pat := genPattern(r)
		p := pattern.Compile(pat)
		for range 30 {
			s := genSubject(r)
			if got, want := p.Match(s), refMatch(pat, s); got != want {
				t.Fatalf("Match(%q, %q) = %t, oracle %t", pat, s, got, want)
			}
		}
	}
}

// TestConcurrentMatch shares one Pattern between goroutines (run with -race).
func TestConcurrentMatch(t *testing.T) {
	p := pattern.Compile("n*[é]?s")
	subjects := []string{"news", "néés", "nés", "n\xa9xs", "nope"}
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for range 200 {
				for _, s := range subjects {
					if got, want := p.Match(s), refMatch(p.String(), s); got != want {
						t.Errorf("Match(%q) = %t, want %t", s, got, want)
						return
					}
				}
			}
		})
	}
	wg.Wait()
}

// TestStarsAgreeWithOracle compares Match with the oracle on patterns made
// only of literals (some escaped) and stars, which are matched without
// gobwas, against subjects over the same few bytes, so that runs overlap,
// repeat and share ends with the subject often.
func TestStarsAgreeWithOracle(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 12))
	const pats, subs = "ab*\xe4", "ab\xe4*"
	gen := func(alphabet string, n int) string {
		var sb strings.Builder
		for range r.IntN(n) {
			c := alphabet[r.IntN(len(alphabet))]
			if c == '*' && r.IntN(4) == 0 && alphabet == pats {
				sb.WriteByte('\\') // a literal star
			}
			sb.WriteByte(c)
		}
		return sb.String()
	}
	for range 3000 {
		pat := gen(pats, 10)
		p := pattern.Compile(pat)
		for range 20 {
			s := gen(subs, 10)
			if got, want := p.Match(s), refMatch(pat, s); got != want {
				t.Fatalf("Match(%q, %q) = %t, oracle %t", pat, s, got, want)
			}
		}
	}
}
