package wal

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// FsyncPolicy says when appended records count as durable.
type FsyncPolicy uint8

const (
	// FsyncAlways (the zero value, safest): [Log.Wait] returns only after an
	// fdatasync covered the record. Concurrent appenders share fsyncs.
	FsyncAlways FsyncPolicy = iota
	// FsyncEverySec: Wait returns once the record is written to the OS; a
	// background fdatasync runs once a second, bounding the loss window on
	// power failure to about a second. Records nobody waits for are written
	// in batches, within about a millisecond of the first one's append.
	FsyncEverySec
	// FsyncNo: Wait returns once the record is written to the OS; syncing is
	// left to the OS (and to [Log.Sync], segment rolls and [Log.Close]; and,
	// in the background, once per 8 MiB written, so that a roll's sync is
	// short). Records are written as under FsyncEverySec.
	FsyncNo
)

// ParseFsyncPolicy parses "always", "everysec" or "no" (Redis's appendfsync
// values), ignoring case as Redis does.
func ParseFsyncPolicy(s string) (FsyncPolicy, error) {
	switch strings.ToLower(s) {
	case "always":
		return FsyncAlways, nil
	case "everysec":
		return FsyncEverySec, nil
	case "no":
		return FsyncNo, nil
	}
	return 0, fmt.Errorf("wal: unknown fsync policy %q (want always, everysec or no)", s)
}

// String returns the name ParseFsyncPolicy accepts.
func (p FsyncPolicy) String() string {
	switch p {
	case FsyncAlways:
		return "always"
	case FsyncEverySec:
		return "everysec"
	case FsyncNo:
		return "no"
	}
	return fmt.Sprintf("FsyncPolicy(%d)", uint8(p))
}

// Defaults of [Options].
const (
	// DefaultSegmentSize is the segment size used when Options.SegmentSize
	// is zero: 64 MiB.
	DefaultSegmentSize = 64 << 20
	// DefaultMaxRecordSize is the record limit used when
	// Options.MaxRecordSize is zero: 64 MiB.
	DefaultMaxRecordSize = 64 << 20
	// DefaultPreallocate is the zero-filled space kept ahead of the write
	// offset when Options.Preallocate is zero: 1 MiB.
	DefaultPreallocate = 1 << 20
)

// Options configure a [Log]. The zero value works.
type Options struct {
	// SegmentSize is the size in bytes at which the log starts a new segment
	// file. Default 64 MiB. A record larger than it gets a segment of its own.
	SegmentSize int64
	// Fsync is the durability policy. Default FsyncAlways.
	Fsync FsyncPolicy
	// FS is the file system. Default [OSFS].
	FS FS
	// Repair makes Open salvage a corrupt log: the segment is cut before the
	// first invalid or missing record (a copy is kept as *.broken), or set
	// aside and created again if its header is invalid, and later segments
	// are set aside (renamed *.broken): every record from the damaged
	// position to the end of the log is discarded. Default false: Open
	// refuses with a *[CorruptError].
	Repair bool
	// MaxRecordSize is the largest record in bytes Append accepts. Default
	// 64 MiB; at most [HardMaxRecordSize].
	MaxRecordSize int
	// Preallocate is how many bytes of zeros the log keeps written (and
	// synced with the records) ahead of its write offset in the active
	// segment, so that the fdatasync of a batch writes data only: no block
	// allocation and no file size change for the file system to journal.
	// On ext4 that makes a small synced write about 1.5-2x faster. Default
	// 1 MiB; negative disables it (e.g. on a copy-on-write file system,
	// where overwriting zeros gains nothing).
	Preallocate int64
	// Logf reports truncations and repairs made by Open, and mark slots it
	// found invalid and ignored. Default: discard.
	Logf func(format string, args ...any)
}

func (o Options) normalize() (Options, error) {
	if o.SegmentSize <= 0 {
		o.SegmentSize = DefaultSegmentSize
	}
	if o.Preallocate == 0 {
		o.Preallocate = DefaultPreallocate
	}
	if o.Fsync > FsyncNo {
		return o, fmt.Errorf("wal: invalid fsync policy %d", o.Fsync)
	}
	if o.FS == nil {
		o.FS = OSFS{}
	}
	if o.MaxRecordSize <= 0 {
		o.MaxRecordSize = DefaultMaxRecordSize
	}
	o.MaxRecordSize = min(o.MaxRecordSize, HardMaxRecordSize)
	if o.Logf == nil {
		o.Logf = func(string, ...any) {}
	}
	return o, nil
}

// Log is an ordered log of opaque records in segment files. Positions start
// at 1 and grow by one per record. Append never waits for I/O: one background
// goroutine (the flusher) writes appended records in batches and syncs them
// under the fsync policy; Wait blocks until a record is durable. A Log is
// safe for concurrent use.
type Log struct {
	dir  string
	fs   FS
	opts Options

	mu         sync.Mutex
	cond       sync.Cond // signalled when writtenPos, syncedPos, err or closed change
	closed     bool
	err        error        // sticky: wraps ErrPoisoned and the cause
	poisoned   atomic.Bool  // err != nil, readable without mu
	lastPos    uint64       // last appended
	writtenPos uint64       // last written to the OS
	syncedPos  uint64       // last covered by an fdatasync
	syncWant   uint64       // Sync asked for everything up to here to be synced
	pending    []byte       // frames appended but not yet written
	backlog    atomic.Int64 // len(pending), readable without mu
	rolls      []rollPoint
	segStart   int64     // where the records of the current segment start (its header size)
	segBytes   int64     // size of the current segment, pending frames included
	segs       []segment // oldest first; the last is the one being written

	// Wait's wake-ups: one channel per batch, closed once the batch is
	// durable, so a sync wakes exactly the waiters of the records it covered
	// and they return without taking mu (they read durablePos).
	durablePos atomic.Uint64 // last durable under the policy; written under mu
	batchDone  chan struct{} // pending records' batch; nil until a waiter asks
	flightDone chan struct{} // the batch the flusher is writing; nil if none waits
	flightLast uint64        // last position of the batch the flusher took
	batchWait  int           // Waits that blocked on batchDone
	flightWait int           // Waits that blocked on flightDone

	// What the last sync woke, for gather: how many Waits, and the count of
	// appends when it did.
	woken, wokenAt atomic.Uint64

	// Owned by the flusher goroutine (and by Open before it starts).
	active      File
	activeNum   uint64
	writeOff    int64  // offset in active of the next write
	zeroEnd     int64  // size of active: zeros from writeOff up to here
	noZeros     bool   // do not preallocate in active: a write of zeros failed, or its format predates them
	marks       bool   // active has mark slots (format version 3)
	markSlot    int    // the mark slot of active to write next
	markPos     uint64 // the largest mark in active: every record <= markPos was synced
	markDirty   bool   // a mark was written to active since its last fdatasync
	markHdr     [headerSizeV2]byte
	markBuf     [markSlotSize]byte
	spare       []byte
	spareRolls  []rollPoint
	lastBatch   uint64 // records in the last batch taken
	bgFile      File   // relaxed policies: the background syncer's handle of active
	bgJobs      chan syncJob
	bgDone      chan struct{} // a background sync returned
	bgBusy      bool          // a background sync runs
	bgSince     int64         // bytes written since the last sync was asked for
	syncDue     bool          // a sync is owed (a tick, Sync, bgSyncBytes) but one runs
	openedPos   uint64        // lastPos after recovery
	kick        chan struct{}
	stop        chan struct{}
	truncateMu  sync.Mutex // serializes TruncateFront
	report      RecoveryReport
	st          counters
	flusherWait sync.WaitGroup
}

// rollPoint marks where, in the pending frames, a new segment starts.
type rollPoint struct {
	off      int    // offset in pending
	firstPos uint64 // position of the first record of the new segment
}

// Open opens the log in dir, creating dir (0700) and a first segment if
// needed, and recovers it: a torn tail of the last segment is cut (a copy is
// kept) before anything is appended; mid-log corruption makes Open fail with
// a *[CorruptError] unless o.Repair is set. See the package documentation.
func Open(dir string, o Options) (*Log, error) {
	o, err := o.normalize()
	if err != nil {
		return nil, err
	}
	if err := MkdirAll(o.FS, dir, dirPerm); err != nil {
		return nil, fmt.Errorf("wal: create directory: %w", err)
	}
	l := &Log{
		dir:  dir,
		fs:   o.FS,
		opts: o,
		kick: make(chan struct{}, 1),
		stop: make(chan struct{}),
	}
	l.cond.L = &l.mu
	if err := l.recover(); err != nil {
		if l.active != nil {
			l.active.Close()
		}
		return nil, err
	}
	l.durablePos.Store(l.syncedPos)
	l.flightLast, l.openedPos = l.writtenPos, l.lastPos
	if err := l.startBackground(); err != nil {
		l.active.Close()
		return nil, err
	}
	l.flusherWait.Add(1)
	go l.run()
	return l, nil
}

// MkdirAll creates dir and its missing parents in fsys with permissions
// perm, as [FS.MkdirAll] does, and makes the creation durable: it fsyncs
// every directory it created, deepest first, then the parent of the topmost
// one, which holds its entry. Without that a new directory, and everything
// in it, can vanish on power loss even after its files were fsynced. A
// directory that already existed is not synced.
func MkdirAll(fsys FS, dir string, perm fs.FileMode) error {
	dir = filepath.Clean(dir)
	var created []string // missing before MkdirAll, deepest first
	for d := dir; ; d = filepath.Dir(d) {
		if _, err := fsys.ReadDir(d); !errors.Is(err, fs.ErrNotExist) {
			break // exists, or an error MkdirAll will report
		}
		created = append(created, d)
		if filepath.Dir(d) == d {
			break
		}
	}
	if err := fsys.MkdirAll(dir, perm); err != nil {
		return err
	}
	if len(created) == 0 {
		return nil
	}
	if top := created[len(created)-1]; filepath.Dir(top) != top {
		created = append(created, filepath.Dir(top))
	}
	for _, d := range created {
		if err := fsys.SyncDir(d); err != nil {
			return fmt.Errorf("sync directory %s: %w", d, err)
		}
	}
	return nil
}

// Append adds rec at the end of the log and returns its position. It copies
// rec and never waits for I/O; call [Log.Wait] with the position to know when
// the record is durable. It returns [ErrTooLarge] for a record over
// [Options.MaxRecordSize], [ErrClosed] after Close, and the sticky error of a
// poisoned log.
func (l *Log) Append(rec []byte) (uint64, error) {
	if len(rec) > l.opts.MaxRecordSize {
		return 0, fmt.Errorf("%w: %d bytes, limit %d", ErrTooLarge, len(rec), l.opts.MaxRecordSize)
	}
	return l.AppendFunc(func(b []byte) []byte { return append(b, rec...) })
}

// AppendFunc is [Log.Append] for a record that enc encodes: enc appends the
// record to b and returns the extended slice, which the log keeps, so the
// record is encoded once, in place, with no buffer of the caller's and no
// copy. enc runs with the log's lock held: it must be quick and must not
// call the log. A record over [Options.MaxRecordSize] is dropped and
// ErrTooLarge returned.
func (l *Log) AppendFunc(enc func(b []byte) []byte) (uint64, error) {
	l.mu.Lock()
	if err := l.usableLocked(); err != nil {
		l.mu.Unlock()
		return 0, err
	}
	pos := l.lastPos + 1
	was := len(l.pending)
	l.pending = enc(appendFrameHeader(l.pending, pos))
	n := len(l.pending) - was - RecordHeaderSize
	if n > l.opts.MaxRecordSize {
		l.pending = l.pending[:was]
		l.mu.Unlock()
		return 0, fmt.Errorf("%w: %d bytes, limit %d", ErrTooLarge, n, l.opts.MaxRecordSize)
	}
	putFrameLength(l.pending[was:], n)
	frame := int64(RecordHeaderSize + n)
	if l.segBytes > l.segStart && l.segBytes+frame > l.opts.SegmentSize {
		l.rolls = append(l.rolls, rollPoint{off: was, firstPos: pos})
		l.segStart, l.segBytes = SegmentHeaderSize, SegmentHeaderSize
	}
	l.segBytes += frame
	l.lastPos = pos
	l.backlog.Store(int64(len(l.pending)))
	// Under FsyncAlways every append wakes the flusher (an appender is about
	// to wait). Under the relaxed policies the flusher lingers to gather a
	// batch, so only the first record of a batch wakes it, and the one that
	// makes the batch big enough to write at once.
	wake := l.opts.Fsync == FsyncAlways || was == 0 || was < lingerBytes && len(l.pending) >= lingerBytes
	l.st.appends.Add(1)
	l.mu.Unlock()
	if wake {
		l.wake()
	}
	return pos, nil
}

// wake tells the flusher there is work, without blocking.
func (l *Log) wake() {
	select {
	case l.kick <- struct{}{}:
	default:
	}
}

// usableLocked returns why the log refuses new work, if it does. l.mu is held.
func (l *Log) usableLocked() error {
	if l.closed {
		return ErrClosed
	}
	return l.err
}

// durableLocked reports whether every record <= pos is durable under the
// policy. l.mu is held.
func (l *Log) durableLocked(pos uint64) bool {
	if l.opts.Fsync == FsyncAlways {
		return l.syncedPos >= pos
	}
	return l.writtenPos >= pos
}

// Wait returns nil once every record <= pos is durable under the fsync
// policy (FsyncAlways: covered by an fdatasync; otherwise written to the OS).
// Otherwise it returns the sticky error of a poisoned log, [ErrClosed] if the
// log closed first, or ctx's error. Waiters sleep on their batch's channel:
// a flush wakes only the waiters of the records it made durable.
func (l *Log) Wait(ctx context.Context, pos uint64) error {
	if l.durablePos.Load() >= pos {
		return nil
	}
	l.mu.Lock()
	for {
		if l.durableLocked(pos) {
			l.mu.Unlock()
			return nil
		}
		if err := l.usableLocked(); err != nil {
			l.mu.Unlock()
			return err
		}
		if err := ctx.Err(); err != nil {
			l.mu.Unlock()
			return err
		}
		done := l.doneChanLocked(pos)
		l.mu.Unlock()
		if l.opts.Fsync != FsyncAlways {
			l.wake() // the flusher may be lingering: someone waits now
		}
		select {
		case <-done:
		case <-ctx.Done():
		}
		if l.durablePos.Load() >= pos {
			return nil
		}
		l.mu.Lock()
	}
}

// doneChanLocked returns the channel closed once the batch holding the
// not yet durable record pos is durable (or the log is poisoned or closed).
// l.mu is held.
func (l *Log) doneChanLocked(pos uint64) <-chan struct{} {
	if pos <= l.flightLast {
		if l.flightDone == nil { // in flight, nobody waited on it before
			l.flightDone = make(chan struct{})
		}
		l.flightWait++
		return l.flightDone
	}
	if l.batchDone == nil {
		l.batchDone = make(chan struct{})
	}
	l.batchWait++
	return l.batchDone
}

// releaseWaitersLocked wakes every Wait (the log was poisoned or closed).
// l.mu is held.
func (l *Log) releaseWaitersLocked() {
	for _, c := range []*chan struct{}{&l.flightDone, &l.batchDone} {
		if *c != nil {
			close(*c)
			*c = nil
		}
	}
	l.cond.Broadcast()
}

// waitLocked blocks until ready holds, the log is poisoned or closed, or ctx
// ends. l.mu is held.
func (l *Log) waitLocked(ctx context.Context, ready func() bool) error {
	if ready() {
		return nil
	}
	if ctx.Done() != nil { // a context that can end must wake the wait
		stop := context.AfterFunc(ctx, func() {
			l.mu.Lock() // without the lock the broadcast can slip between check and Wait
			l.cond.Broadcast()
			l.mu.Unlock()
		})
		defer stop()
	}
	for !ready() {
		if err := l.usableLocked(); err != nil {
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		l.cond.Wait()
	}
	return nil
}

// Sync writes everything appended so far and fdatasyncs it, whatever the
// policy, and returns when that is done (or the log is poisoned or closed).
func (l *Log) Sync() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if err := l.usableLocked(); err != nil {
		return err
	}
	target := l.lastPos
	if l.syncedPos >= target {
		return nil
	}
	l.syncWant = max(l.syncWant, target)
	l.wake()
	return l.waitLocked(context.Background(), func() bool { return l.syncedPos >= target })
}

// LastPos returns the position of the last appended record (0 if none ever
// was). It may not be durable yet.
func (l *Log) LastPos() uint64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.lastPos
}

// FirstPos returns the position of the oldest record still in the log:
// 1 for a new log, later after [Log.TruncateFront]. It is LastPos()+1 when
// the log holds no record.
func (l *Log) FirstPos() uint64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.segs[0].firstPos
}

// Err returns the sticky error of a poisoned log (wrapping [ErrPoisoned] and
// the I/O error that caused it), or nil.
func (l *Log) Err() error {
	if !l.poisoned.Load() {
		return nil
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.err
}

// Backlog returns the bytes of the records appended that the flusher has
// not taken yet. Under the relaxed policies, where appenders need not wait,
// a caller can bound the memory the log holds by waiting when it is large.
func (l *Log) Backlog() int64 { return l.backlog.Load() }

// Recovery returns what Open found and did: segments, records, a torn tail
// cut, a repair, files set aside.
func (l *Log) Recovery() RecoveryReport {
	r := l.report
	r.Dropped = append([]string(nil), r.Dropped...)
	r.RemovedTemp = append([]string(nil), r.RemovedTemp...)
	return r
}

// Close writes and fdatasyncs what was appended, then fdatasyncs the mark
// that says so (see the segment format), stops the flusher and closes the
// files. It returns the sticky error if the log is poisoned.
// Close is idempotent; afterwards every method returns [ErrClosed].
func (l *Log) Close() error {
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		return nil
	}
	l.closed = true
	l.mu.Unlock()
	close(l.stop)
	l.flusherWait.Wait()
	cerr := l.closeBackgroundFile()
	if err := l.active.Close(); cerr == nil {
		cerr = err
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	l.releaseWaitersLocked()
	if l.err != nil {
		return l.err
	}
	if cerr != nil {
		return fmt.Errorf("wal: close segment: %w", cerr)
	}
	return nil
}

// poison makes err the sticky error (the first one wins) and wakes waiters.
func (l *Log) poison(err error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.err == nil {
		l.err = fmt.Errorf("%w: %w", ErrPoisoned, err)
		l.poisoned.Store(true)
	}
	l.releaseWaitersLocked()
}

func (l *Log) path(name string) string { return filepath.Join(l.dir, name) }

// Stats are counters of a [Log] since Open.
type Stats struct {
	Appends  uint64        // records appended
	Writes   uint64        // write calls of batches to segment files (marks not counted)
	Bytes    uint64        // record bytes (frames) written to segment files
	Syncs    uint64        // fdatasyncs of segment files
	SyncTime time.Duration // total time spent in those fdatasyncs
	DirSyncs uint64        // fsyncs of the directory
	Segments uint64        // segments created
}

type counters struct {
	appends, writes, bytes, syncs, syncNanos, dirSyncs, segments atomic.Uint64
}

// Stats returns the log's counters. Appends/Syncs is the group-commit factor.
func (l *Log) Stats() Stats {
	return Stats{
		Appends:  l.st.appends.Load(),
		Writes:   l.st.writes.Load(),
		Bytes:    l.st.bytes.Load(),
		Syncs:    l.st.syncs.Load(),
		SyncTime: time.Duration(l.st.syncNanos.Load()),
		DirSyncs: l.st.dirSyncs.Load(),
		Segments: l.st.segments.Load(),
	}
}
