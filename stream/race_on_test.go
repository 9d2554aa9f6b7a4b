//go:build race

package stream_test

// raceEnabled is true under -race, which adds allocations of its own.
const raceEnabled = true
