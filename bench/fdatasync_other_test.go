//go:build !linux

package bench_test

import "os"

// fdatasync is fsync where fdatasync is not available, as the log does.
func fdatasync(f *os.File) error { return f.Sync() }
