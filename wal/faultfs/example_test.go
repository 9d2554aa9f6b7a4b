package faultfs_test

import (
	"context"
	"fmt"
	"log"

	"github.com/brookmq/brook/wal"
	"github.com/brookmq/brook/wal/faultfs"
)

// ExampleFS_Crash runs a log on faultfs, pulls the plug, and recovers what
// a power loss would have left.
func ExampleFS_Crash() {
	fsys := faultfs.New(1)
	l, err := wal.Open("/data/wal", wal.Options{FS: fsys, Fsync: wal.FsyncNo})
	if err != nil {
		log.Fatal(err)
	}
	for _, rec := range []string{"a", "b"} {
		if _, err := l.Append([]byte(rec)); err != nil {
			log.Fatal(err)
		}
	}
	if err := l.Sync(); err != nil { // a and b are durable
		log.Fatal(err)
	}
	pos, _ := l.Append([]byte("c"))
	l.Wait(context.Background(), pos) // written to the OS, not synced

	after := fsys.DropUnsynced() // the machine loses power now
	l.Close()

	l, err = wal.Open("/data/wal", wal.Options{FS: after})
	if err != nil {
		log.Fatal(err)
	}
	defer l.Close()
	fmt.Println("records after the power loss:", l.LastPos())
	// Output: records after the power loss: 2
}
