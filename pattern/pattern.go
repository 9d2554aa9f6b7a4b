package pattern

import (
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"
	"unsafe"

	"github.com/gobwas/glob"
)

// Pattern is a compiled Redis glob pattern. Safe for concurrent use. The
// zero Pattern is the empty pattern, which matches only the empty subject.
//
// A pattern is kept as its literal prefix (the bytes before the first
// wildcard, escapes resolved) and a gobwas/glob pattern for the rest, so
// that a subject is checked with one prefix comparison before any wildcard
// work, and so that [Index] can match only the rest once its table has
// found the prefix.
type Pattern struct {
	src    string
	prefix string
	suffix string // the literal bytes after the last wildcard (kindGlob, kindStars)
	kind   kind
	rest   *glob.Pattern // the part after prefix; set for kindGlob only
	// inner are the literal runs between stars after prefix and before
	// suffix (kindStars only), in order; "a*b*c*d" has inner ["b" "c"].
	inner []string
	// raw tells that rest holds only ASCII literals and stars, which gobwas
	// matches the same on raw bytes as on their Latin-1 translation: an
	// ASCII literal never starts inside a UTF-8 sequence, and gobwas's star
	// restarts at every rune boundary, including every invalid byte.
	raw bool
}

// kind tells how a Pattern matches.
type kind uint8

const (
	// kindLiteral patterns have no wildcard: they match prefix exactly.
	kindLiteral kind = iota
	// kindGlob patterns match prefix, then rest.
	kindGlob
	// kindPrefix patterns are a prefix and a star: they match whatever
	// starts with prefix, so rest is not consulted (the commonest shape,
	// news.*, skips gobwas entirely).
	kindPrefix
	// kindNever patterns match nothing (an empty class, or too many stars).
	kindNever
	// kindStars patterns are made of literals and stars only, with a star
	// after prefix and more than that star (`*:42:*`, `a*b`): they are
	// matched here, without gobwas (see Pattern.matchStars).
	kindStars
)

// Compile compiles a Redis glob pattern. Every string is a valid Redis
// pattern, so Compile never fails. See the package documentation for the
// dialect.
func Compile(pattern string) *Pattern {
	var buf [32]token // most patterns parse without a heap allocation
	return compileTokens(pattern, parse(pattern, buf[:0]))
}

// compileTokens compiles pattern, whose tokens are toks. It keeps no
// reference to toks.
func compileTokens(pattern string, toks []token) *Pattern {
	n := prefixLen(toks)
	p := &Pattern{src: pattern, prefix: literal(pattern, toks[:n])}
	switch {
	case never(toks):
		p.kind = kindNever
	case n == len(toks):
		p.kind = kindLiteral
	case n == len(toks)-1 && toks[n].kind == tokStar:
		p.kind = kindPrefix
	case starsOnly(toks[n:]):
		p.kind = kindStars
		p.suffix = literal(pattern, toks[len(toks)-suffixLen(toks):])
		p.inner = innerRuns(pattern, toks[n:len(toks)-suffixLen(toks)])
	default:
		p.kind = kindGlob
		p.suffix = literal(pattern, toks[len(toks)-suffixLen(toks):])
		p.raw = rawSafe(toks[n:])
		g, err := glob.Compile(globSyntax(toks[n:]))
		if err != nil {
			// globSyntax only writes what the gobwas grammar accepts; a
			// failure here is a bug in this package, not bad input.
			panic("pattern: bad gobwas translation of " + strconv.Quote(pattern) + ": " + err.Error())
		}
		p.rest = g
	}
	return p
}

// literal returns the bytes of toks, which are all literals of the pattern
// src: a substring of src, without allocating, if they are written there
// one after the other (no escape among them).
func literal(src string, toks []token) string {
	if len(toks) == 0 {
		return ""
	}
	at := int(toks[0].at)
	consecutive := true
	for i := range toks {
		if int(toks[i].at) != at+i {
			consecutive = false
			break
		}
	}
	if consecutive {
		return src[at : at+len(toks)]
	}
	b := make([]byte, len(toks))
	for i, t := range toks {
		b[i] = t.b
	}
	return string(b)
}

// Match reports whether pattern matches subject; it is Compile(pattern).Match(subject).
// Compile the pattern once when it is used more than once.
func Match(pattern, subject string) bool {
	return Compile(pattern).Match(subject)
}

// String returns the pattern's source text, as given to [Compile].
func (p *Pattern) String() string {
	return p.src
}

// Prefix returns the literal prefix of the pattern: the bytes every
// matching subject starts with, escapes resolved (`news\*.*` has the prefix
// "news*."). For a pattern without wildcards it is the whole literal.
func (p *Pattern) Prefix() string {
	return p.prefix
}

// Suffix returns the literal suffix of a pattern with wildcards: the bytes
// every matching subject ends with, after the last `*`, `?` or class,
// escapes resolved. It is empty for a pattern without wildcards (see
// [Pattern.Prefix]) or ending with one.
func (p *Pattern) Suffix() string {
	return p.suffix
}

// IsLiteral reports whether the pattern has no wildcard, so that it matches
// exactly one subject, [Pattern.Prefix].
func (p *Pattern) IsLiteral() bool {
	return p.kind == kindLiteral
}

// Match reports whether subject matches the pattern, byte for byte as
// Redis's PSUBSCRIBE does.
func (p *Pattern) Match(subject string) bool {
	if subject == "" {
		// Redis's matcher loops while both pattern and subject remain, so
		// an empty subject matches only the empty pattern: `*` does not
		// match "". gobwas's `*` matches the empty string, hence this check.
		return p.src == ""
	}
	if !strings.HasPrefix(subject, p.prefix) {
		return false
	}
	return p.matchRest(subject[len(p.prefix):])
}

// matchRest reports whether rest, the subject after the pattern's prefix,
// matches the rest of the pattern. The whole subject must not be empty
// (see Match): here an empty rest is an ordinary input.
func (p *Pattern) matchRest(rest string) bool {
	switch p.kind {
	case kindLiteral:
		return rest == ""
	case kindNever:
		return false
	case kindPrefix:
		return true
	case kindStars:
		return p.matchStars(rest)
	}
	if p.raw || isASCII(rest) {
		// Latin-1 and UTF-8 agree on ASCII: no translation needed.
		return p.rest.Match(rest)
	}
	return p.matchLatin1(rest)
}

// matchStars matches rest against the rest of a kindStars pattern: a star,
// then the inner runs, each followed by a star, then the suffix (or a final
// star when the suffix is empty). Since every star can take any run, the
// suffix is taken from the end first and each inner run at its leftmost
// place in what is left: an earlier place only leaves more room for the
// runs after it, so if any placement succeeds this one does. Linear in
// len(rest) times the runs, whatever the number of stars (no backtracking).
func (p *Pattern) matchStars(rest string) bool {
	if !strings.HasSuffix(rest, p.suffix) {
		return false
	}
	rest = rest[:len(rest)-len(p.suffix)]
	for _, run := range p.inner {
		i := strings.Index(rest, run)
		if i < 0 {
			return false
		}
		rest = rest[i+len(run):]
	}
	return true
}

// isASCII reports whether s has no byte >= 0x80.
func isASCII(s string) bool {
	for i := range len(s) {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// maxPooledBuffer bounds the translation buffers kept for reuse.
const maxPooledBuffer = 64 << 10

// latin1Pool holds the buffers subjects are translated into.
var latin1Pool = sync.Pool{
	New: func() any {
		b := make([]byte, 0, 256)
		return &b
	},
}

// matchLatin1 matches a subject holding bytes >= 0x80. gobwas/glob matches
// UTF-8 runes, and Redis matches bytes: `?` is one byte, `[中]` is a set of
// three bytes, and the subject need not be valid UTF-8. The pattern was
// translated byte by byte into Latin-1 runes (see globSyntax); the subject
// is translated the same way here, each byte b becoming the UTF-8 encoding
// of U+00b, so each rune gobwas sees is one byte Redis would see.
func (p *Pattern) matchLatin1(s string) bool {
	bp := latin1Pool.Get().(*[]byte)
	buf := (*bp)[:0]
	for i := range len(s) {
		buf = utf8.AppendRune(buf, rune(s[i]))
	}
	// The string aliases buf: gobwas reads it during Match only and keeps
	// no reference, and buf is not touched again until Match has returned.
	// This saves an allocation per non-ASCII subject on the publish path.
	ok := p.rest.Match(unsafe.String(unsafe.SliceData(buf), len(buf)))
	if cap(buf) <= maxPooledBuffer {
		*bp = buf[:0]
		latin1Pool.Put(bp)
	}
	return ok
}
