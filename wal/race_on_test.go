//go:build race

package wal_test

// raceEnabled is true under -race, where the power-loss test runs fewer
// trials by default to stay within seconds.
const raceEnabled = true
