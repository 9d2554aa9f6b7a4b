package pattern

import (
	"math/bits"
	"strings"
)

// maxStarNesting is the number of non-trailing `*` groups beyond which Redis
// gives up: its matcher recurses once per such group and, since the fix for
// CVE-2024-31228 (present in Redis 7.0.15 as shipped by Debian, 7.2.6 and
// later), returns "no match" deeper than 1000 levels. A pattern with more
// groups therefore never matches; brook reproduces that limit.
const maxStarNesting = 1000

// tokenKind is the kind of one element of a parsed Redis pattern.
type tokenKind uint8

const (
	// tokLiteral matches the byte token.b.
	tokLiteral tokenKind = iota
	// tokAny is `?`: any single byte.
	tokAny
	// tokStar is a run of one or more `*`: any run of bytes, possibly empty.
	tokStar
	// tokClass is `[...]`: one byte of token.set.
	tokClass
)

// token is one element of a parsed pattern. Every kind but tokStar consumes
// exactly one byte of the subject.
type token struct {
	kind tokenKind
	b    byte
	at   int32 // tokLiteral: the offset of b in the pattern
	set  byteSet
}

// byteSet is a set of byte values, one bit each.
type byteSet [4]uint64

func (s *byteSet) add(b byte)      { s[b>>6] |= 1 << (b & 63) }
func (s *byteSet) has(b byte) bool { return s[b>>6]&(1<<(b&63)) != 0 }

// addSignedRange adds the bytes whose value as a C signed char lies between
// lo and hi, in either order: Redis compares `char`s, which are signed on
// the platforms it runs on, so [a-\xe4] is -28..97 and holds 'A' but not 'b'.
func (s *byteSet) addSignedRange(lo, hi int8) {
	if lo > hi {
		lo, hi = hi, lo
	}
	for c := int(lo); c <= int(hi); c++ {
		s.add(byte(int8(c)))
	}
}

func (s *byteSet) invert() {
	for i := range s {
		s[i] = ^s[i]
	}
}

func (s *byteSet) count() int {
	n := 0
	for _, w := range s {
		n += bits.OnesCount64(w)
	}
	return n
}

// interval reports whether s is exactly the bytes lo..hi, and which.
func (s *byteSet) interval() (lo, hi byte, ok bool) {
	n := s.count()
	if n == 0 {
		return 0, 0, false
	}
	first := -1
	for c := range 256 {
		if s.has(byte(c)) {
			first = c
			break
		}
	}
	last := first + n - 1
	if last > 255 {
		return 0, 0, false
	}
	for c := first; c <= last; c++ {
		if !s.has(byte(c)) {
			return 0, 0, false
		}
	}
	return byte(first), byte(last), true
}

// parse splits a Redis pattern into tokens exactly the way Redis's
// stringmatchlen reads it: `\x` is the literal x anywhere, a trailing `\` is
// a literal backslash, runs of `*` collapse into one token, and `{`, `}`,
// `,` and `!` are ordinary bytes. The tokens are appended to toks.
func parse(p string, toks []token) []token {
	for i := 0; i < len(p); {
		switch c := p[i]; c {
		case '*':
			for i < len(p) && p[i] == '*' {
				i++
			}
			toks = append(toks, token{kind: tokStar})
		case '?':
			toks = append(toks, token{kind: tokAny})
			i++
		case '[':
			var t token
			t, i = parseClass(p, i+1)
			toks = append(toks, t)
		case '\\':
			if i+1 < len(p) {
				i++
			}
			toks = append(toks, token{kind: tokLiteral, b: p[i], at: int32(i)})
			i++
		default:
			toks = append(toks, token{kind: tokLiteral, b: c, at: int32(i)})
			i++
		}
	}
	return toks
}

// parseClass parses the body of a `[` class starting at p[i], just after the
// `[`, and returns the class and the index just past it. The checks run in
// Redis's order: an escape first (`\]` and `\-` are members), then the
// closing `]` (so `[]` is empty and `[]a]` is an empty class then "a]"),
// then a range `x-y` (whose end may be any byte, even `]` or `\`), then a
// plain member. A class without its `]` runs to the end of the pattern, and
// `^` right after the `[` negates it, so `[^` alone matches any byte.
func parseClass(p string, i int) (token, int) {
	neg := i < len(p) && p[i] == '^'
	if neg {
		i++
	}
	t := token{kind: tokClass}
	for i < len(p) {
		switch {
		case p[i] == '\\' && len(p)-i >= 2:
			t.set.add(p[i+1])
			i += 2
			continue
		case p[i] == ']':
			i++
		case len(p)-i >= 3 && p[i+1] == '-':
			t.set.addSignedRange(int8(p[i]), int8(p[i+2]))
			i += 3
			continue
		default:
			t.set.add(p[i])
			i++
			continue
		}
		break // the closing `]`
	}
	if neg {
		t.set.invert()
	}
	return t, i
}

// prefixLen returns the number of leading literal tokens.
func prefixLen(toks []token) int {
	for i, t := range toks {
		if t.kind != tokLiteral {
			return i
		}
	}
	return len(toks)
}

// suffixLen returns the number of trailing literal tokens.
func suffixLen(toks []token) int {
	for i := len(toks) - 1; i >= 0; i-- {
		if toks[i].kind != tokLiteral {
			return len(toks) - 1 - i
		}
	}
	return len(toks)
}

// starsOnly reports whether toks are only stars and literals.
func starsOnly(toks []token) bool {
	for _, t := range toks {
		if t.kind != tokStar && t.kind != tokLiteral {
			return false
		}
	}
	return true
}

// innerRuns returns the maximal runs of literals of toks, tokens of the
// pattern src, in order.
func innerRuns(src string, toks []token) []string {
	var runs []string
	for i := 0; i < len(toks); {
		if toks[i].kind != tokLiteral {
			i++
			continue
		}
		j := i + prefixLen(toks[i:])
		runs = append(runs, literal(src, toks[i:j]))
		i = j
	}
	return runs
}

// rawSafe reports whether toks are only stars and ASCII literals, whose
// gobwas translation matches raw subjects exactly as their Latin-1 form.
func rawSafe(toks []token) bool {
	for _, t := range toks {
		switch {
		case t.kind == tokStar:
		case t.kind == tokLiteral && t.b < 0x80:
		default:
			return false
		}
	}
	return true
}

// never reports whether no subject can match toks: an empty class can never
// consume its byte, and Redis's recursion limit rejects every subject for a
// pattern with more than maxStarNesting non-trailing star groups.
func never(toks []token) bool {
	stars := 0
	for i, t := range toks {
		switch {
		case t.kind == tokClass && t.set.count() == 0:
			return true
		case t.kind == tokStar && i < len(toks)-1:
			stars++
		}
	}
	return stars > maxStarNesting
}

// globSyntax writes toks in gobwas/glob syntax, every byte b standing for
// the rune U+00b (Latin-1): matched against a subject translated the same
// way, each gobwas rune is one Redis byte. No class may be empty (see never).
func globSyntax(toks []token) string {
	var sb strings.Builder
	for _, t := range toks {
		switch t.kind {
		case tokLiteral:
			writeGlobLiteral(&sb, t.b)
		case tokAny:
			sb.WriteByte('?')
		case tokStar:
			sb.WriteByte('*')
		case tokClass:
			writeGlobClass(&sb, &t.set)
		}
	}
	return sb.String()
}

// writeGlobLiteral writes the byte b as a gobwas literal. Everything but
// ASCII letters and digits is escaped: gobwas's `\` takes any rune literally,
// and this keeps `*?[]{},\` from meaning anything.
func writeGlobLiteral(sb *strings.Builder, b byte) {
	if !isAlnum(b) {
		sb.WriteByte('\\')
	}
	sb.WriteRune(rune(b))
}

func isAlnum(b byte) bool {
	return 'a' <= b && b <= 'z' || 'A' <= b && b <= 'Z' || '0' <= b && b <= '9'
}

// writeGlobClass writes a non-empty byte set as gobwas syntax. gobwas has
// no classes mixing ranges and members, and no empty ones, so the set is
// written as the cheapest of: `?` (every byte), a literal (one byte), a
// range `[lo-hi]`, a negated range `[!lo-hi]`, or an explicit member list,
// negated when the complement is the shorter.
//
// The gobwas lexer reads a range's bounds raw (no escapes), takes a first
// `!` as negation, and takes "x-" at the start of a class as a range; so a
// range starting at `!` is only written negated, and the member lists escape
// every member and never start with `-`.
func writeGlobClass(sb *strings.Builder, s *byteSet) {
	switch n := s.count(); {
	case n == 256:
		sb.WriteByte('?')
		return
	case n == 1:
		lo, _, _ := s.interval()
		writeGlobLiteral(sb, lo)
		return
	}
	if lo, hi, ok := s.interval(); ok && lo != '!' {
		writeGlobRange(sb, "[", lo, hi)
		return
	}
	comp := *s
	comp.invert()
	if lo, hi, ok := comp.interval(); ok {
		writeGlobRange(sb, "[!", lo, hi)
		return
	}
	open, members := "[", s
	if comp.count() < s.count() {
		open, members = "[!", &comp
	}
	sb.WriteString(open)
	for c := range 256 {
		if b := byte(c); b != '-' && members.has(b) {
			sb.WriteByte('\\')
			sb.WriteRune(rune(b))
		}
	}
	if members.has('-') {
		sb.WriteString(`\-`)
	}
	sb.WriteByte(']')
}

func writeGlobRange(sb *strings.Builder, open string, lo, hi byte) {
	sb.WriteString(open)
	sb.WriteRune(rune(lo))
	sb.WriteByte('-')
	sb.WriteRune(rune(hi))
	sb.WriteByte(']')
}
