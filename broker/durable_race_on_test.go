//go:build race

package broker_test

// raceEnabled: the race detector makes child processes slow to start, so
// the kill test runs fewer kills by default.
const raceEnabled = true
