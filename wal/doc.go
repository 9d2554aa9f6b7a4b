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
//	err = l.ReplayView(from, apply)         // the same, rec valid only during apply
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
// returns its position ([Log.AppendFunc] lets the caller encode the record
// there in place); the record's checksum is left to the flusher. One
// goroutine, the flusher (started by Open, stopped and joined by Close),
// takes the whole pending buffer at once, checksums its frames, writes it
// with one write per segment touched, and under [FsyncAlways] fdatasyncs it
// before publishing the new durable position to waiters. Records appended
// while a write and fdatasync run go into the next batch, so N concurrent
// appenders share about one fsync per batch; [Log.Stats] reports the
// counts. Each batch has its own wake-up channel, closed once the batch is
// durable: a sync wakes only the waiters of the records it covered, and they
// return without taking the mutex. A sync wakes its appenders all at once,
// so before cutting a batch the flusher yields the processor until as many
// records were appended since as the sync woke waiters, or none was for
// 5 µs (50 µs at most, and only when the previous batch held more than one
// record): the appenders it just woke queue their next records into one
// batch instead of the first of them starting a batch alone and the rest
// waiting a whole fsync for the next. A lone appender never waits.
//
// Under [FsyncEverySec] and [FsyncNo] appenders need not wait, so the
// flusher lingers: it writes a batch up to a millisecond after its first
// record, once 256 KiB are pending, or at once when a Wait or Sync asks for
// it; only the first record of a batch wakes it. Under FsyncEverySec it
// has the log fdatasynced once a second if anything is unsynced; under
// FsyncNo it never syncs for the policy's sake. Under both, these syncs, a
// [Log.Sync]'s, and one each time 8 MiB more were written (so that a
// segment roll, which syncs the segment it leaves, finds little left to
// write) run on a background goroutine with its own handle of the segment
// while the flusher goes on writing: appenders never wait for an fdatasync
// under these policies. Rolls and Close sync on the flusher, after waiting
// for the background sync.
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
// # Segment format (version 3)
//
// All integers are little-endian. A segment is a 64-byte header (32 bytes
// of fields, then two mark slots) followed by records, back to back, with
// no padding between them, then possibly zeros to the end of the file:
// space preallocated for the next records (see [Options.Preallocate]):
//
//	offset  size  segment header
//	0       8     magic "BROOKWAL"
//	8       4     format version, uint32 (3; 2 and 1 are read too)
//	12      8     segment number, uint64: 1 for the first segment the log
//	              ever made, +1 for each next one
//	20      8     position of the segment's first record, uint64; equals the
//	              number in the file name
//	28      4     CRC-32C (Castagnoli) of bytes 0-27
//	32      16    mark slot 0
//	48      16    mark slot 1
//
//	offset  size  mark slot (synced-through mark)
//	0       8     position P, uint64: every record of the log up to P had
//	              been covered by an fdatasync when the slot was written
//	8       4     reserved, zero
//	12      4     CRC-32C of header bytes 0-31, then slot bytes 0-11
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
// end of the file mark the end of the segment's records.
//
// The mark slots tell recovery how far the segment's records were synced,
// so that synced records replaced by zeros (a lost or misdirected write, a
// bad disk) or cut off are never taken for preallocated space or a torn
// tail. A new segment has both slots holding its first position minus one
// (everything before it was synced before it was created). After each
// fdatasync that covers records of the active segment, the flusher writes
// the slot not holding the larger mark with the last position synced; it
// writes no more and syncs no more than before: the segment's next
// fdatasync (the next synced batch, a roll, Close, which fdatasyncs once
// more for this) makes the mark durable, so a mark only ever claims what an
// earlier fdatasync covered. The slots alternate, so a crash tearing the
// write of one leaves the other, which that earlier fdatasync covered: a
// slot whose CRC fails is ignored (and reported through [Options.Logf]),
// and a header with no valid slot is invalid. The mark of a segment is the
// larger of its valid slots.
//
// Versions 1 and 2 have the 32-byte header without the mark slots (their
// records start at offset 32); version 1 never ends in preallocated zeros.
// This package reads them and appends to them in their own format, without
// marks (and without preallocating in version 1), so that a build that
// reads only that version can still read them; the log's next segment is
// version 3. Builds that read up to version 2 refuse a version 3 segment
// with [ErrVersion].
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
//     and the log appends over them; but only past every record the
//     segment must hold: up to its mark, and, for a segment that has a
//     successor, up to the successor's first position (the flusher
//     fdatasyncs a segment before it creates the next one, so a successor
//     proves the segment complete). Records that stop short of that, in
//     zeros or at the end of the file, are corruption, as below.
//   - An invalid record in the last segment, past its mark, with no valid
//     frame anywhere after it (Open scans the rest of the file for one) is
//     a torn tail: the segment is copied to "<name>.broken", cut before
//     that record and fdatasynced, before anything new is appended;
//     [Log.Recovery] and [Options.Logf] report it.
//   - An invalid record anywhere else, at or before the mark, or with a
//     valid frame after it, is corruption: Open fails with a
//     *[CorruptError] naming the segment file, the offset and the
//     position, and saying what a repair discards. With [Options.Repair],
//     Open instead cuts there (keeping a copy, and lowering the marks to
//     the last record kept) and renames every later segment to *.broken;
//     [RecoveryReport.Repair] and Dropped say what was lost.
//   - A missing, short, empty or garbage header, in any segment, the last
//     one included, a gap in positions or numbers: corruption, as above.
//     A crash cannot leave a segment with an incomplete header under its
//     name: the header is fdatasynced under a temporary name before the
//     rename, so the name never becomes durable first. With Repair the
//     segment and the later ones are set aside and the segment created
//     again ([RecoveryReport.Recreated]).
//   - A header with a valid checksum but another format version: Open fails
//     with [ErrVersion], whatever Repair says.
//
// Finally Open fdatasyncs the last segment, so every recovered record counts
// as durable.
//
// Limits. What the marks can prove: a mark is written after the fdatasync
// it reports and made durable by the next one, so the records of the last
// fdatasync before a power loss are covered by no durable mark yet (unless
// the OS wrote the mark back on its own, or the log was closed); zeros over
// them read as the end of the log, as they must for an unsynced batch,
// which no format can tell apart without an extra fdatasync per batch.
// Every earlier synced record is covered. Zeros over a whole segment's
// header, or over both its mark slots, are refused as a bad header; zeros
// over the last segment's file entirely (a missing file) are not seen by
// the log (package broker checks its snapshot against the log's end).
// Version 1 and 2 segments carry no marks. Telling a tear from corruption
// has two more limits: a file system that persists the pages of an
// unsynced batch out of order can leave a hole followed by valid records,
// which Open refuses as corruption although none of them was acknowledged
// (Repair salvages it); and a payload that itself contains a well-formed
// frame with a plausible position could make a torn tail look like
// corruption in the same way. Both need a crash in the middle of an
// unsynced write; neither loses an acknowledged record.
//
// # File system seam
//
// All file operations go through [FS] (default [OSFS]). Package
// wal/faultfs implements it in memory and injects power loss, torn writes,
// bit flips, failing fsyncs and a full disk; the package's tests run ten
// thousand random crash trials on it.
package wal
