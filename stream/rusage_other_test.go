//go:build !unix

package stream_test

import "time"

// processCPU is unavailable here: the CPU-time metric reads 0.
func processCPU() time.Duration { return 0 }
