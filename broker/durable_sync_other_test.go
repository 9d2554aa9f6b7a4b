//go:build !linux

package broker

import "os"

// datasync is how the log syncs a segment on this platform: fsync.
func datasync(f *os.File) error { return f.Sync() }
