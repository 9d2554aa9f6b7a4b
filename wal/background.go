package wal

import (
	"fmt"
	"os"
)

// Background syncs (FsyncEverySec and FsyncNo). Appenders never wait for
// an fdatasync under these policies, but they wait for the flusher once
// the log holds more than the caller's bound of unwritten bytes (package
// broker: 8 MiB), and a flusher inside an fdatasync writes nothing: the
// once-a-second sync, a Sync for a snapshot, or a segment roll's sync of
// 64 MiB written since the last one stalled every appender for as long as
// the disk took. So the flusher hands those syncs to one background
// goroutine, through its own handle of the active segment, and goes on
// writing: a sync covers the records written before it started, and
// syncedPos moves to them when it returns. The flusher also asks for one
// each time bgSyncBytes more were written, so that a roll, which must sync
// the segment it leaves before it creates the next one (only the last
// segment may end torn), finds little left to write. Only Close and rolls
// still sync on the flusher, after waiting for the background sync. A
// failed background sync poisons the log like any other.

// bgSyncBytes is how many bytes written since the last sync make the
// flusher ask for a background sync under the relaxed policies.
const bgSyncBytes = 8 << 20

// startBackground opens the background syncer's handle of the active
// segment and starts it, under the relaxed policies.
func (l *Log) startBackground() error {
	if l.opts.Fsync == FsyncAlways {
		return nil
	}
	if err := l.openBackgroundFile(); err != nil {
		return err
	}
	l.bgJobs = make(chan syncJob, 1)
	l.bgDone = make(chan struct{}, 1)
	l.flusherWait.Add(1)
	go l.background()
	return nil
}

// syncJob is an fdatasync for the background syncer.
type syncJob struct {
	f    File   // the handle to fdatasync
	name string // the segment's name, for errors
	pos  uint64 // every record up to pos was written before the sync
}

// background runs the syncs the flusher asks for until stopBackground.
func (l *Log) background() {
	defer l.flusherWait.Done()
	for j := range l.bgJobs {
		if err := l.syncFile(j.f); err != nil {
			l.poison(fmt.Errorf("fdatasync %s: %w", j.name, err))
		} else {
			l.mu.Lock()
			l.syncedPos = max(l.syncedPos, j.pos)
			l.cond.Broadcast() // Sync
			l.mu.Unlock()
		}
		l.bgDone <- struct{}{}
		l.wake() // the flusher may owe another sync
	}
}

// syncBehind asks for a background sync of everything written up to last,
// if one is due (sync: a tick or a Sync asked for it; or bgSyncBytes were
// written since the last one) and none runs; else it remembers it is due.
// synced is the last position a sync covered when the batch was taken.
func (l *Log) syncBehind(sync bool, last, synced uint64) error {
	l.syncDue = l.syncDue || sync || l.bgSince >= bgSyncBytes
	if !l.syncDue || !l.backgroundIdle() {
		return nil
	}
	l.mu.Lock()
	synced = max(synced, l.syncedPos)
	l.mu.Unlock()
	l.syncDue, l.bgSince = false, 0
	if last <= synced {
		return nil
	}
	if err := l.writeMark(synced); err != nil { // made durable by this sync
		return err
	}
	l.preallocate()
	l.bgBusy = true
	l.bgJobs <- syncJob{f: l.bgFile, name: l.currentName(), pos: last}
	return nil
}

// backgroundIdle reports whether no background sync runs, collecting the
// end of one that finished.
func (l *Log) backgroundIdle() bool {
	if !l.bgBusy {
		return true
	}
	select {
	case <-l.bgDone:
		l.bgBusy = false
		return true
	default:
		return false
	}
}

// waitBackground waits for the background sync that runs, if any.
func (l *Log) waitBackground() {
	if l.bgBusy {
		<-l.bgDone
		l.bgBusy = false
	}
}

// stopBackground waits for the background sync and stops the syncer.
func (l *Log) stopBackground() {
	if l.bgJobs == nil {
		return
	}
	l.waitBackground()
	close(l.bgJobs)
}

// rollBehind rolls to a new segment starting at firstPos; with a
// background syncer, it first waits for its sync, writes the mark of what
// was synced (roll's fdatasync makes it durable), and afterwards moves the
// syncer's handle to the new segment.
func (l *Log) rollBehind(firstPos uint64) error {
	if l.bgJobs == nil {
		return l.roll(firstPos)
	}
	l.waitBackground()
	l.mu.Lock()
	synced, err := l.syncedPos, l.err
	l.mu.Unlock()
	if err != nil { // the background sync failed: no more I/O
		return err
	}
	if err := l.writeMark(synced); err != nil {
		return err
	}
	if err := l.roll(firstPos); err != nil {
		return err
	}
	l.bgSince = 0
	if err := l.bgFile.Close(); err != nil {
		return fmt.Errorf("close a handle of the previous segment: %w", err)
	}
	return l.openBackgroundFile()
}

// openBackgroundFile opens the syncer's handle of the active segment.
func (l *Log) openBackgroundFile() error {
	name := l.currentName()
	f, err := l.fs.OpenFile(l.path(name), os.O_WRONLY, 0)
	if err != nil {
		l.bgFile = nil
		return fmt.Errorf("wal: open segment %s: %w", name, err)
	}
	l.bgFile = f
	return nil
}

// closeBackgroundFile closes the syncer's handle (Close).
func (l *Log) closeBackgroundFile() error {
	if l.bgFile == nil {
		return nil
	}
	return l.bgFile.Close()
}
