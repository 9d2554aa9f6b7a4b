// Package faultfs is an in-memory file system for package wal (it implements
// [wal.FS]) that injects the failures a log must survive:
//
//   - power loss: [FS.Crash] returns the state a power failure would leave:
//     only synced file data and synced directory entries survive, and each
//     file's unsynced writes (appends and overwrites alike) reach the disk
//     in order up to a random one, torn at a random byte (possibly all
//     kept, possibly none); [FS.DropUnsynced] keeps none;
//   - a torn write: [FS.TearLastWrite] undoes the most recent write from a
//     random byte on (the overwritten bytes come back), as a crash in the
//     middle of it would;
//   - bit rot: [FS.FlipBit] and [FS.FlipRandomSyncedBit] flip bits of data
//     already on "disk";
//   - lost data: [FS.ZeroRange] and [FS.ZeroRandomSyncedRange] replace data
//     already on "disk" with zeros (a lost or misdirected write, a bad
//     disk);
//   - I/O errors: [FS.FailSyncAfter] and [FS.FailDirSyncAfter] make one fsync
//     fail (later ones succeed, as on Linux after a write-back error, which
//     is why a log must never retry one); [FS.FailWriteAfter] makes one write
//     fail after writing a random prefix; [FS.SetSpace] makes writes beyond a
//     capacity fail with ENOSPC after a short write.
//
// Every random choice comes from the seed given to [New], so a run is
// reproducible given the same sequence of calls. An FS is safe for
// concurrent use. The model is strict: a created, renamed or removed name is
// durable only after SyncDir of its directory; file data only after Sync.
// Directories made by MkdirAll are durable at once. Directory locks
// ([FS.Lock]) live in the FS's memory, one table per FS: the FS a crash
// returns starts with none.
package faultfs
