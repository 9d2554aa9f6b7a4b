package patternscale_test

import (
	"testing"

	"github.com/brookmq/brook/internal/patternscale"
	"github.com/brookmq/brook/pattern"
)

// TestNoPatternMatchesAChannel: the workload's premise, checked with
// Redis's glob rules at the edges of both ranges.
func TestNoPatternMatchesAChannel(t *testing.T) {
	for _, sh := range patternscale.Shapes {
		for _, i := range []int{0, 1, 999_999} {
			p := pattern.Compile(sh.Pattern(i))
			for _, j := range []int{0, 1, patternscale.Channels - 1} {
				if ch := patternscale.Channel(j, ":"); p.Match(ch) {
					t.Errorf("%s pattern %q matches channel %q", sh.Name, sh.Pattern(i), ch)
				}
			}
		}
	}
}
