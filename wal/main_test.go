package wal_test

import (
	"os"
	"testing"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	if d := os.Getenv(killChildEnv); d != "" {
		killChild(d) // never returns: the parent kills it
	}
	if d := os.Getenv(lockChildEnv); d != "" {
		lockChild(d) // exits
	}
	goleak.VerifyTestMain(m)
}
