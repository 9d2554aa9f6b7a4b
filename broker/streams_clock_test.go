package broker_test

import (
	"context"
	"testing"
	"time"

	"github.com/brookmq/brook/broker"
)

// TestClockBeforeEpoch checks that a clock reading before 1970 counts as
// Unix time 0: an automatic ID must not wrap to a huge millisecond value,
// which would make every later "*" ID exhaust the stream.
func TestClockBeforeEpoch(t *testing.T) {
	tests := []struct {
		name string
		at   time.Time
	}{
		{"one ms before", time.UnixMilli(-1)},
		{"1969", time.Date(1969, 7, 20, 20, 17, 0, 0, time.UTC)},
		{"year 1", time.Time{}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b := newBroker(t, broker.Options{Clock: func() time.Time { return tc.at }})
			got, err := b.XAdd(context.Background(), "k", fields("f", "v"), broker.AddOptions{})
			if err != nil {
				t.Fatalf("XAdd: %v", err)
			}
			if got != id(0, 1) {
				t.Fatalf("XAdd * at %v = %v, want 0-1", tc.at, got)
			}
		})
	}
}
