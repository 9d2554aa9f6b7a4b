package stream_test

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain checks that no test of the package leaks a goroutine. It is the
// package's only TestMain (entry store and groups tests share it).
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}
