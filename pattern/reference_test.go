package pattern_test

// refMatch is an independent oracle for the tests: a byte-level walk that
// follows the steps of Redis 7's stringmatchlen one for one (same order of
// checks, same pointer moves, a NUL read past the end of the pattern as C
// reads its terminator), without sharing any code with the package. Its
// recursion at `*` is kept polynomial by the same early exit Redis uses
// (once the rest of the pattern failed from every position, no earlier star
// can help), so it is usable on short fuzz inputs.
func refMatch(pattern, subject string) bool {
	m := refMatcher{p: pattern, s: subject}
	return m.match(0, 0, 0)
}

type refMatcher struct {
	p, s string
	skip bool // no longer match of an earlier star can succeed
}

// pat returns the pattern byte at i, or 0 past the end.
func (m *refMatcher) pat(i int) byte {
	if i < len(m.p) {
		return m.p[i]
	}
	return 0
}

func (m *refMatcher) match(pi, si, nesting int) bool {
	if nesting > 1000 {
		return false
	}
	p, s := m.p, m.s
	for pi < len(p) && si < len(s) {
		switch p[pi] {
		case '*':
			for pi < len(p) && m.pat(pi+1) == '*' {
				pi++
			}
			if pi == len(p)-1 {
				return true
			}
			for ; si < len(s); si++ {
				if m.match(pi+1, si, nesting+1) {
					return true
				}
				if m.skip {
					return false
				}
			}
			m.skip = true
			return false
		case '?':
			si++
		case '[':
			var ok bool
			if pi, ok = m.class(pi+1, s[si]); !ok {
				return false
			}
			si++
		case '\\':
			if len(p)-pi >= 2 {
				pi++
			}
			fallthrough
		default:
			if p[pi] != s[si] {
				return false
			}
			si++
		}
		pi++
		if si == len(s) {
			for m.pat(pi) == '*' {
				pi++
			}
			break
		}
	}
	return pi == len(p) && si == len(s)
}

// class matches c against the class whose body starts at pi and returns the
// index of its last byte (the `]`, or the pattern's last byte if unclosed).
func (m *refMatcher) class(pi int, c byte) (int, bool) {
	p := m.p
	not := m.pat(pi) == '^'
	if not {
		pi++
	}
	match := false
	for {
		if m.pat(pi) == '\\' && len(p)-pi >= 2 {
			pi++
			if p[pi] == c {
				match = true
			}
		} else if m.pat(pi) == ']' {
			break
		} else if pi == len(p) {
			pi--
			break
		} else if len(p)-pi >= 3 && p[pi+1] == '-' {
			lo, hi := int8(p[pi]), int8(p[pi+2])
			if lo > hi {
				lo, hi = hi, lo
			}
			pi += 2
			if lo <= int8(c) && int8(c) <= hi {
				match = true
			}
		} else if p[pi] == c {
			match = true
		}
		pi++
	}
	return pi, match != not
}
