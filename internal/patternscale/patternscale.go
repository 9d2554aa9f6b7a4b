// Package patternscale is the workload of the pattern scale benchmarks,
// shared by package pattern's (the index alone), package broker's (publish
// and PSUBSCRIBE) and bench/peers' (brook next to NATS): P patterns of one
// shape, and channels that none of them matches.
package patternscale

import (
	"strconv"
	"strings"
)

// A Shape is one pattern shape: Pattern(i) is its i-th pattern.
type Shape struct {
	Name    string
	Pattern func(i int) string
}

// Shapes are a literal prefix, a literal suffix, and a literal inside only
// (no literal prefix or suffix). Their numbers have at most 6 digits for
// i < 10^6.
var Shapes = []Shape{
	{"prefix", func(i int) string { return "p:" + strconv.Itoa(i) + ":*" }},
	{"suffix", func(i int) string { return "*:" + strconv.Itoa(i) }},
	{"inner", func(i int) string { return "*:" + strconv.Itoa(i) + ":*" }},
}

// Sizes are the numbers of patterns of a scale run.
var Sizes = []int{1000, 10000, 100000, 1000000}

// Channels is how many channels a scale run publishes on in turn: 64 times
// as many as brook's match cache (and NATS's sublist cache) holds, so that
// nearly every publish looks the patterns up.
const Channels = 1 << 16

// Channel returns channel j, with sep as the separator. Its numbers have 7
// digits, so no pattern of Shapes matches it, while its start, end and
// inner runs share up to 6 bytes with the patterns'.
func Channel(j int, sep string) string {
	k := strconv.Itoa(1_000_000 + j*7)
	return strings.Join([]string{"p", k, "temp", k}, sep)
}

// ChannelList returns the Channels channels with ":" as the separator.
func ChannelList() []string {
	out := make([]string, Channels)
	for j := range out {
		out[j] = Channel(j, ":")
	}
	return out
}
