// Package wal is brook's write-ahead log: an ordered log of opaque records
// in checksummed segment files, with group commit, a choice of fsync policy,
// replay, deletion of old segments after a snapshot, and recovery that tells
// a torn tail (repaired) from corruption (refused, or salvaged on request).
// It knows nothing of what the records mean.
//
// # Use
//
//	l, err := wal.Open(dir, wal.Options{})  // recovers what is there
//	err = l.Replay(from, apply)             // records >= from, in order
//	pos, err := l.Append(rec)               // never waits for I/O
//	err = l.Wait(ctx, pos)                  // durable under the policy
//	err = l.TruncateFront(snapshotPos + 1)  // after a durable snapshot
//	err = l.Close()
//
// Positions start at 1 and grow by one per record, across segments.
// A snapshot-taking caller must call [Log.Sync] (or Wait under FsyncAlways)
// for the snapshot's position before relying on the snapshot: under
// everysec or no, a power loss could otherwise leave the log shorter than
// the snapshot, and the positions after it would be reused.
//
// # Group commit and fsync policies
//
// Append takes the log's mutex, frames the record into a pending buffer and
// returns its position. One goroutine, the flusher (started by Open, stopped
// and joined by Close), takes the whole pending buffer at once, writes it
// with one write per segment touched, and under [FsyncAlways] fdatasyncs it
// before publishing the new durable position to waiters. Records appended
// while a write and fdatasync run go into the next batch, so N concurrent
// appenders share about one fsync per batch; [Log.Stats] reports the
// counts. Each batch has its own wake-up channel, closed once the batch is
// durable: a sync wakes only the waiters of the records it covered, and they
// return without taking the mutex. A sync wakes its appenders all at once,
// so before cutting a batch the flusher yields the processor as long as each
// yield saw new appends (a few times at most, and only when the previous
// batch held more than one record): the appenders it just woke queue their
// next records into one batch instead of the first of them starting a batch
// alone. There is no timed delay; a lone appender never waits.
//
// Under [FsyncEverySec] and [FsyncNo] appenders need not wait, so the
// flusher lingers: it writes a batch up to a millisecond after its first
// record, once 256 KiB are pending, or at once when a Wait or Sync asks for
// it; only the first record of a batch wakes it. Under FsyncEverySec it
// fdatasyncs once a second if anything is unsynced; under FsyncNo it never
// syncs on its own, except when it rolls to a new segment and on Close.
// Wait under those two policies returns once the record is written to the
// OS (it survives a crash of the process, not of the machine). The pending
// buffer is not bounded: Append never blocks, so a caller that appends far
// faster than the disk absorbs holds the difference in memory;
// [Log.Backlog] tells how much, for a caller that wants to wait past a
// bound (package broker waits past 8 MiB).
//
// A write or fdatasync failure poisons the log: Wait, Append, Sync and
// TruncateFront return a sticky error wrapping [ErrPoisoned] and the cause,
// and the log does no more I/O. A failed fsync is never retried (after a
// write-back error, Linux may report a later fsync as successful without the
// data on disk). Reopening recovers what reached the disk.
//
// # Files
//
// The log directory (created 0700) holds segment files (0600) named by the
// position of their first record, zero-padded to 20 digits, e.g.
// 00000000000000000001.wal. Other names are ignored, except leftovers
// "<segment>.wal.tmp" of an interrupted segment creation, which Open
// removes. Recovery keeps copies of what it cuts as "<name>.broken" (then
// "<name>.broken.1", ...); nothing deletes them.
//
// A new segment is written under the temporary name: header, fdatasync,
// rename to its final name, fsync of the directory; only then are records
// written to it. Before rolling to a new segment the flusher fdatasyncs the
// previous one, so only the last segment can ever end in a torn write.
// TruncateFront deletes whole segments, oldest first, fsyncing the
// directory after each, and never the last segment.
//
// # Segment format (version 2)
//
// All integers are little-endian. A segment is a 32-byte header followed by
// records, back to back, with no padding between them, then possibly zeros
// to the end of the file: space preallocated for the next records (see
// [Options.Preallocate]):
//
//	offset  size  segment header
//	0       8     magic "BROOKWAL"
//	8       4     format version, uint32 (2; 1 is read too)
//	12      8     segment number, uint64: 1 for the first segment the log
//	              ever made, +1 for each next one
//	20      8     position of the segment's first record, uint64; equals the
//	              number in the file name
//	28      4     CRC-32C (Castagnoli) of bytes 0-27
//
//	offset  size  record frame
//	0       4     payload length L, uint32 (at most HardMaxRecordSize, 1 GiB)
//	4       4     CRC-32C (Castagnoli) of frame bytes 0-3, then 8-15, then
//	              the payload: it covers length, position and payload
//	8       8     log position of the record, uint64
//	16      L     payload (opaque)
//
// Segment k+1 starts at the position after the last record of segment k and
// has segment number one more. A record is valid when its length is within
// the hard maximum and within the bytes left in the file (checked before
// anything is allocated or read), its CRC matches, and its position is the
// one expected. An empty record (L = 0) is valid; an all-zero frame is not
// (position 0 is never used). Where a record could start, zeros up to the
// end of the file mark the end of the segment's records. Version 1 is the
// same format without preallocated zeros: this package reads it, and
// appends to a version 1 segment without preallocating, so that a build
// that reads only version 1 can still read it; it refuses a version 2
// segment with [ErrVersion].
//
// # Preallocation
//
// Before the fdatasync of a batch, the flusher writes zeros ahead of the
// records, a chunk at a time ([Options.Preallocate], 1 MiB by default,
// never past the segment size), so that the same fdatasync makes them and
// the file's new size durable. Later batches overwrite zeros: their
// fdatasyncs write data only, with no block allocation or size change for
// the file system to journal, which on ext4 makes a small synced write
// about 1.5-2x faster (measured here: 8 KiB writes, 3,300 against 1,800
// fdatasyncs/s).
//
// # Recovery
//
// Open lists the segments, sorts them by first position and reads each
// forward to its first invalid record, checking headers, segment numbers
// and position continuity:
//
//   - Zeros from the end of the last valid record to the end of the file
//     are preallocated space, not damage: the segment ends cleanly there,
//     and the log appends over them.
//   - An invalid record in the last segment with no valid frame anywhere
//     after it (Open scans the rest of the file for one) is a torn tail: the
//     segment is copied to "<name>.broken", cut before that record and
//     fdatasynced, before anything new is appended; [Log.Recovery] and
//     [Options.Logf] report it.
//   - An invalid record anywhere else, or with a valid frame after it, is
//     corruption: Open fails with a *[CorruptError] naming the segment file,
//     the offset and the position. With [Options.Repair], Open instead cuts
//     there (keeping a copy) and renames every later segment to *.broken;
//     [RecoveryReport.Repair] and Dropped say what was lost.
//   - A last segment shorter than its header (a crash while creating it,
//     e.g. a zero-length file) is set aside and created again.
//   - A missing, empty or garbage header elsewhere, a gap in positions or
//     numbers: corruption, as above.
//   - A header with a valid checksum but another format version: Open fails
//     with [ErrVersion], whatever Repair says.
//
// Finally Open fdatasyncs the last segment, so every recovered record counts
// as durable.
//
// Two limits of telling a tear from corruption: a file system that persists
// the pages of an unsynced batch out of order can leave a hole followed by
// valid records, which Open refuses as corruption although none of them was
// acknowledged (Repair salvages it); and a payload that itself contains a
// well-formed frame with a plausible position could make a torn tail look
// like corruption in the same way. Both need a crash in the middle of an
// unsynced write; neither loses an acknowledged record.
//
// # File system seam
//
// All file operations go through [FS] (default [OSFS]). Package
// wal/faultfs implements it in memory and injects power loss, torn writes,
// bit flips, failing fsyncs and a full disk; the package's tests run ten
// thousand random crash trials on it.
package wal
