package broker

import (
	"context"
	"errors"
	"fmt"
	"log"
	"path/filepath"
	"sync"
	"sync/atomic"

	"github.com/brookmq/brook/wal"
)

// DurabilityOptions configure the write-ahead log and the snapshots of a
// broker made by [Open]. The zero value is the safe default: every write is
// fsynced before it is acknowledged.
type DurabilityOptions struct {
	// Fsync is when the log fsyncs. Default (zero): [wal.FsyncAlways], a
	// write returns only once it is on disk (group commit), and nothing
	// acknowledged is lost by a crash of the process or of the machine.
	//
	// Under [wal.FsyncEverySec] and [wal.FsyncNo] a write returns once its
	// record is in the log's memory, at about the speed of an in-memory
	// broker; the log hands records to the OS in batches, within about a
	// millisecond. What a crash can lose of the acknowledged writes: a
	// crash of the process, that last millisecond; a power loss, the last
	// second (FsyncEverySec) or whatever the kernel had not written back
	// (FsyncNo). [Broker.Close] loses nothing.
	Fsync FsyncPolicy

	// SegmentSize is the size in bytes at which the log starts a new segment
	// file. Default (0): 64 MiB.
	SegmentSize int64

	// SnapshotEvery is the number of log bytes appended since the last
	// snapshot that triggers a background snapshot, which lets the log drop
	// the segments before it; or snapshotRatio (4) times the size of the
	// last snapshot, if larger: a snapshot rewrites every stream, so the
	// bytes written for snapshots stay at most a quarter of those written to
	// the log, however large the streams, and recovery replays a log of at
	// most about that many bytes after the snapshot. Default (0): 64 MiB.
	// Negative: snapshots only on Close.
	SnapshotEvery int64

	// Repair lets Open salvage a log with corruption before its end (the
	// records after the damage are dropped and a copy of the segment kept).
	// Default false: Open refuses such a log with an error naming the
	// segment, the offset and the position. A torn tail of the last segment
	// is always cut (it was never acknowledged).
	Repair bool

	// FS is the file system under the data directory. Default (nil): the
	// operating system's. Tests pass wal/faultfs to simulate power loss.
	FS FS

	// Logf receives recovery reports (torn tails cut, broken snapshots set
	// aside) and background snapshot failures. Default (nil): log.Printf.
	Logf func(format string, args ...any)
}

// Defaults of [DurabilityOptions].
const (
	defaultSegmentSize   = 64 << 20
	defaultSnapshotEvery = 64 << 20
)

// snapshotRatio paces snapshots: the next one is due once the log grew by
// this many times the size of the last one (or by SnapshotEvery, if
// larger), so that writing snapshots costs at most a fixed fraction of
// writing the log. A snapshot byte (a copy of an encoded block) is cheaper
// to make than a log byte (a record encoded, checksummed and copied), so
// snapshots then cost well under a quarter of the log's CPU.
const snapshotRatio = 4

// nextDue is the log growth after a snapshot of size bytes that makes the
// next one due.
func (d *durable) nextDue(size int64) int64 { return max(d.every, snapshotRatio*size) }

// walDir is the log's directory inside the data directory.
const walDir = "wal"

// durable is the write-ahead log and the snapshotter of a broker. A nil
// *durable is an in-memory broker: every method is then a no-op.
type durable struct {
	dir    string
	fs     wal.FS
	logf   func(string, ...any)
	every  int64 // SnapshotEvery, resolved; <= 0: only on close
	strict bool  // FsyncAlways: replies wait for the log
	log    *wal.Log
	reg    *registry
	unlock func()

	pending atomic.Int64  // log bytes appended since the last snapshot
	due     atomic.Int64  // pending bytes that trigger a snapshot: nextDue(last snapshot's size)
	kick    chan struct{} // wakes the snapshotter (capacity 1)
	stop    chan struct{} // closed by close
	done    chan struct{} // closed when the snapshotter returns

	snapMu  sync.Mutex // serializes snapshots; guards snapPos
	snapPos uint64     // log position of the newest durable snapshot
}

// check validates o.
func (o DurabilityOptions) check() error {
	switch o.Fsync {
	case FsyncAlways, FsyncEverySec, FsyncNo:
	default:
		return invalid("unknown fsync policy %d", o.Fsync)
	}
	if o.SegmentSize < 0 {
		return invalid("negative SegmentSize %d", o.SegmentSize)
	}
	return nil
}

// openDurable opens (or creates) the data directory dir and loads its
// streams into b's registry. On error nothing is left open or locked.
func openDurable(dir string, b *Broker) (*durable, error) {
	o := b.opts.Durability
	d := &durable{
		dir:    dir,
		fs:     o.FS,
		logf:   o.Logf,
		every:  o.SnapshotEvery,
		strict: o.Fsync == wal.FsyncAlways,
		reg:    b.reg,
		kick:   make(chan struct{}, 1),
		stop:   make(chan struct{}),
		done:   make(chan struct{}),
	}
	if d.fs == nil {
		d.fs = wal.OSFS{}
	}
	if d.logf == nil {
		d.logf = log.Printf
	}
	if d.every == 0 {
		d.every = defaultSnapshotEvery
	}
	d.due.Store(d.every)
	if err := wal.MkdirAll(d.fs, dir, 0o700); err != nil { // fsyncs what it creates
		return nil, fmt.Errorf("broker: create data directory: %w", err)
	}
	if err := d.lock(); err != nil {
		return nil, err
	}
	if err := d.recover(o); err != nil {
		if d.log != nil {
			d.log.Close()
		}
		d.unlock()
		return nil, err
	}
	go d.run()
	return d, nil
}

// walOptions are the log's options derived from o.
func (d *durable) walOptions(o DurabilityOptions) wal.Options {
	seg := o.SegmentSize
	if seg == 0 {
		seg = defaultSegmentSize
	}
	return wal.Options{SegmentSize: seg, Fsync: o.Fsync, FS: d.fs, Repair: o.Repair, Logf: d.logf}
}

// append logs m and returns its log position. It does not wait for the disk;
// the caller holds the lock of m's stream. The record is encoded straight
// into the log's buffer.
func (d *durable) append(m *mutation) (uint64, error) {
	n := 0
	pos, err := d.log.AppendFunc(func(b []byte) []byte {
		start := len(b)
		b = appendRecord(b, m)
		n = len(b) - start
		return b
	})
	if err != nil {
		return 0, fmt.Errorf("broker: log: %w", err)
	}
	if d.grew(int64(n + wal.RecordHeaderSize)) {
		select {
		case d.kick <- struct{}{}:
		default: // a snapshot is already due
		}
	}
	return pos, nil
}

// grew counts n more log bytes and reports whether a snapshot is due.
func (d *durable) grew(n int64) bool {
	return d.every > 0 && d.pending.Add(n) >= d.due.Load()
}

// maxBacklog bounds the log's memory under the relaxed policies: past it
// (the disk is slower than the writers), a write waits until the log has
// written its record.
const maxBacklog = 8 << 20

// wait returns once the record at pos is durable under FsyncAlways, or with
// the log's error, or with ctx's. Under the relaxed policies it returns at
// once, the record being in the log, which writes it to the OS within about
// a millisecond (see DurabilityOptions.Fsync); unless the log holds more
// than maxBacklog bytes not yet written.
func (d *durable) wait(ctx context.Context, pos uint64) error {
	if !d.strict && d.log.Backlog() <= maxBacklog {
		return nil
	}
	if err := d.log.Wait(ctx, pos); err != nil {
		return fmt.Errorf("broker: log: %w", err)
	}
	return nil
}

// Sync makes every write acknowledged so far durable, whatever the fsync
// policy: the log writes the records it holds and fdatasyncs them. Under
// [wal.FsyncAlways] that is already the case. An in-memory broker has
// nothing to sync and returns nil. After [Broker.Close] it returns
// [ErrClosed].
func (b *Broker) Sync() error {
	b.reg.mu.RLock()
	closed := b.reg.closed
	b.reg.mu.RUnlock()
	if closed {
		return ErrClosed
	}
	return b.jr.sync()
}

// sync writes the records the log holds and fdatasyncs them.
func (d *durable) sync() error {
	if err := d.log.Sync(); err != nil {
		if errors.Is(err, wal.ErrClosed) {
			return ErrClosed
		}
		return fmt.Errorf("broker: log: %w", err)
	}
	return nil
}

// err is the log's sticky error: once a write or an fsync failed, every
// mutation is refused until the broker is reopened.
func (d *durable) err() error {
	if err := d.log.Err(); err != nil {
		return fmt.Errorf("broker: log: %w", err)
	}
	return nil
}

// run is the snapshotter: it writes a snapshot each time append kicks it,
// until close.
func (d *durable) run() {
	defer close(d.done)
	for {
		select {
		case <-d.stop:
			return
		case <-d.kick:
			if err := d.snapshot(); err != nil {
				d.logf("broker: background snapshot: %v", err)
			}
		}
	}
}

// close stops the snapshotter, writes a final snapshot, closes the log and
// unlocks the directory. The registry is closed already: no more mutations.
func (d *durable) close() error {
	close(d.stop)
	<-d.done
	var errs []error
	if d.log.Err() == nil { // a poisoned log cannot be made durable: skip
		if err := d.snapshot(); err != nil {
			errs = append(errs, fmt.Errorf("broker: final snapshot: %w", err))
		}
	}
	if err := d.log.Close(); err != nil && !errors.Is(err, wal.ErrClosed) {
		errs = append(errs, fmt.Errorf("broker: close log: %w", err))
	}
	d.unlock()
	return errors.Join(errs...)
}

// path is name inside the data directory.
func (d *durable) path(name string) string { return filepath.Join(d.dir, name) }
