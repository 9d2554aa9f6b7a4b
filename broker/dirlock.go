package broker

import (
	"errors"
	"fmt"

	"github.com/brookmq/brook/wal"
)

// ErrLocked is returned by [Open] when another broker, in this process or
// another one, holds the data directory. It wraps the file system's error,
// which matches [github.com/brookmq/brook/wal.ErrLocked].
var ErrLocked = errors.New("broker: data directory is in use by another broker")

// lock takes the data directory through the file system's Lock (flock(2)
// for the operating system's), and keeps the closer that releases it.
func (d *durable) lock() error {
	l, err := d.fs.Lock(d.dir)
	if errors.Is(err, wal.ErrLocked) {
		return fmt.Errorf("%w: %w", ErrLocked, err)
	}
	if err != nil {
		return fmt.Errorf("broker: lock data directory: %w", err)
	}
	d.unlock = func() { l.Close() }
	return nil
}
