//go:build !unix

package bench_test

import "time"

// processCPU is not measured here: CPU metrics are left out.
func processCPU() time.Duration { return 0 }
