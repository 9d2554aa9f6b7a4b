package bench_test

import (
	"os"
	"syscall"
)

// fdatasync flushes f's data and size, as the log does on Linux.
func fdatasync(f *os.File) error {
	for {
		err := syscall.Fdatasync(int(f.Fd()))
		if err != syscall.EINTR {
			return err
		}
	}
}
