package main

import "testing"

func TestComplete(t *testing.T) {
	tests := []struct {
		name, line string
		pos        int
		key        rune
		want       string
		ok         bool
	}{
		{"unique", "xad", 3, '\t', "XADD ", true},
		{"shared prefix", "xa", 2, '\t', "XA", true},
		{"exact but longer exists", "xread", 5, '\t', "XREAD", true},
		{"no match", "zz", 2, '\t', "", false},
		{"not tab", "xad", 3, 'x', "", false},
		{"second word", "xadd k", 6, '\t', "", false},
		{"cursor inside", "xad", 1, '\t', "", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, pos, ok := complete(tc.line, tc.pos, tc.key)
			if got != tc.want || ok != tc.ok || ok && pos != len(got) {
				t.Errorf("complete(%q, %d) = %q, %d, %v; want %q, %v", tc.line, tc.pos, got, pos, ok, tc.want, tc.ok)
			}
		})
	}
}
