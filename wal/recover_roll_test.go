package wal_test

import "testing"

// TestRecoverAfterKillMidRoll repeats the power-loss trial (seed 496:
// policy no, process killed) whose kill can land between a segment roll's
// rename and its directory fsync. Recovery must make the new segment's name
// durable before anything is appended to it; without that, about one run in
// a hundred lost a record acknowledged by Sync after recovery.
func TestRecoverAfterKillMidRoll(t *testing.T) {
	for i := range 300 {
		powerLossTrial(t, 496)
		if t.Failed() {
			t.Fatalf("iteration %d", i)
		}
	}
}
