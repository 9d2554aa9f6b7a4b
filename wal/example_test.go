package wal_test

import (
	"context"
	"fmt"
	"log"
	"os"

	"github.com/brookmq/brook/wal"
)

func Example() {
	dir, err := os.MkdirTemp("", "wal-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)

	l, err := wal.Open(dir, wal.Options{Fsync: wal.FsyncAlways})
	if err != nil {
		log.Fatal(err)
	}
	for _, rec := range []string{"first", "second", "third"} {
		pos, err := l.Append([]byte(rec)) // never waits for the disk
		if err != nil {
			log.Fatal(err)
		}
		// Acknowledge only once the record is durable.
		if err := l.Wait(context.Background(), pos); err != nil {
			log.Fatal(err)
		}
	}
	if err := l.Close(); err != nil {
		log.Fatal(err)
	}

	l, err = wal.Open(dir, wal.Options{})
	if err != nil {
		log.Fatal(err)
	}
	defer l.Close()
	err = l.Replay(2, func(pos uint64, rec []byte) error {
		fmt.Println(pos, string(rec))
		return nil
	})
	if err != nil {
		log.Fatal(err)
	}
	// Output:
	// 2 second
	// 3 third
}
