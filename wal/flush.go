package wal

import (
	"fmt"
	"runtime"
	"time"
)

// maxSpare is the largest buffer the flusher keeps for reuse: past a stall
// of the disk (a segment roll's or a snapshot's fsync) under a relaxed
// policy, batches of several MiB are normal.
const maxSpare = 16 << 20

// run is the flusher goroutine: it takes every pending frame in one batch,
// writes it with one write per segment touched, and fdatasyncs when the
// policy (or Sync, a tick, or Close) asks. Records appended while it writes
// and syncs wait for the next batch: that is the group commit.
func (l *Log) run() {
	defer l.flusherWait.Done()
	defer l.stopBackground()
	var tick <-chan time.Time
	if l.opts.Fsync == FsyncEverySec {
		t := time.NewTicker(time.Second)
		defer t.Stop()
		tick = t.C
	}
	for {
		ticked, final := false, false
		select {
		case <-l.kick:
			if l.opts.Fsync == FsyncAlways {
				l.gather()
			} else {
				l.linger()
			}
		case <-tick:
			ticked = true
		case <-l.stop:
			final = true
		}
		err := l.flush(ticked, final)
		if err == nil && final {
			err = l.finalMark()
		}
		if err != nil {
			l.poison(err)
			return
		}
		if final {
			return
		}
	}
}

// gather stops waiting for the appenders a sync woke once none of them
// appended for gatherIdle, and after gatherMax in all: well under an
// fdatasync (about 100-200 µs here), so that a waiter that does not come
// back costs the cycle little. (20 and 200 µs gave as full batches but a
// lower fsync rate in some runs, 10 and 100 µs no better: interleaved runs
// of BenchmarkDurableXAdd, 64 producers.) It also stops after
// maxGatherYields yields, whatever the clock says (under testing/synctest it
// stands still).
const (
	gatherIdle      = 5 * time.Microsecond
	gatherMax       = 50 * time.Microsecond
	maxGatherYields = 256
)

// gather lets appenders that are already runnable queue their records before
// the flusher cuts a batch. A sync wakes all its waiters at once; without
// this, the first of them to append would start the next batch alone and the
// rest would wait a whole fsync for the one after. It yields the processor
// until as many records were appended since that wake-up as the sync woke
// waiters (each of them may be about to append again), or until no record
// was appended for gatherIdle, at most gatherMax (or maxGatherYields
// yields); and only when the previous batch held more than one record: a
// lone appender never waits.
func (l *Log) gather() {
	if l.lastBatch <= 1 {
		return
	}
	target, base := l.woken.Load(), l.wokenAt.Load()
	n := l.st.appends.Load()
	start := time.Now()
	last := start
	for i := 0; n-base < target && i < maxGatherYields; i++ {
		runtime.Gosched()
		m := l.st.appends.Load()
		now := time.Now()
		if m != n {
			last = now
		} else if now.Sub(last) >= gatherIdle || now.Sub(start) >= gatherMax {
			return
		}
		n = m
	}
}

// Under the relaxed policies, the flusher lingers before writing a batch:
// up to lingerTime after its first record, until lingerBytes are pending, or
// until someone waits.
const (
	lingerTime  = time.Millisecond
	lingerBytes = 256 << 10
)

// linger lets a batch grow under FsyncEverySec and FsyncNo, where appenders
// do not wait for it: one write(2) then carries many records, and an append
// costs no wake-up of the flusher but the first of a batch. It returns at
// once when a Wait or Sync waits for the pending records, when lingerBytes
// are pending, or when the log closes; else after lingerTime.
func (l *Log) linger() {
	if l.urgent() {
		return
	}
	t := time.NewTimer(lingerTime)
	defer t.Stop()
	for {
		select {
		case <-t.C:
			return
		case <-l.stop:
			return
		case <-l.kick: // a waiter, or the batch grew: look again
			if l.urgent() {
				return
			}
		}
	}
}

// urgent reports whether the pending batch should be written now: someone
// waits for it, or it is big enough.
func (l *Log) urgent() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.batchDone != nil || l.flightDone != nil || l.syncWant > l.syncedPos || len(l.pending) >= lingerBytes
}

// flush writes the pending batch and syncs it if needed, then publishes the
// new written and synced positions. Under the relaxed policies, a sync
// other than Close's runs in the background (see background.go).
func (l *Log) flush(ticked, final bool) error {
	l.mu.Lock()
	if l.err != nil { // the background sync failed: no more I/O
		err := l.err
		l.mu.Unlock()
		return err
	}
	buf, rolls, last := l.pending, l.rolls, l.lastPos
	l.pending, l.rolls = l.spare[:0], l.spareRolls[:0]
	l.backlog.Store(0)
	l.lastBatch = last - l.flightLast
	l.flightDone, l.batchDone, l.flightLast = l.batchDone, nil, last
	l.flightWait, l.batchWait = l.batchWait, 0
	synced := l.syncedPos
	dirty := len(buf) > 0 || l.writtenPos > l.syncedPos
	sync := dirty && (final || ticked || l.opts.Fsync == FsyncAlways || l.syncWant > l.syncedPos)
	l.mu.Unlock()

	sealFrames(buf)
	if err := l.writeBatch(buf, rolls); err != nil {
		return err
	}
	l.bgSince += int64(len(buf))
	if l.bgJobs != nil && !final {
		if err := l.syncBehind(sync, last, synced); err != nil {
			return err
		}
		sync = false
	}
	if sync {
		l.waitBackground()
		l.preallocate()
		if err := l.syncFile(l.active); err != nil {
			return fmt.Errorf("fdatasync %s: %w", l.currentName(), err)
		}
		l.markDirty = false
	}
	if cap(buf) <= maxSpare {
		l.spare = buf[:0]
	} else {
		l.spare = nil
	}
	l.spareRolls = rolls[:0]

	l.mu.Lock()
	l.writtenPos = last
	if sync {
		l.syncedPos = last
	}
	if l.opts.Fsync == FsyncAlways {
		l.durablePos.Store(l.syncedPos)
	} else {
		l.durablePos.Store(l.writtenPos)
	}
	if l.flightDone != nil {
		close(l.flightDone) // wakes the waiters of this batch only
		l.flightDone = nil
		l.woken.Store(uint64(l.flightWait))
		l.wokenAt.Store(l.st.appends.Load())
	}
	l.cond.Broadcast() // Sync
	l.mu.Unlock()
	if sync {
		return l.writeMark(last)
	}
	return nil
}

// writeMark records in the active segment's next mark slot that every
// record up to pos is synced, after the fdatasync that made it so; the
// next fdatasync of the segment makes the mark durable (roll, the next
// synced batch, Close). It writes nothing if the active segment has no mark
// slots or its marks already say as much. Recovery refuses a segment whose
// records end before its mark: synced records lost to zeros are corruption,
// not a torn tail. The slots alternate, so a crash tearing one leaves the
// other, which the previous fdatasync covered.
func (l *Log) writeMark(pos uint64) error {
	if !l.marks || pos <= l.markPos {
		return nil
	}
	encodeMark(l.markBuf[:], l.markHdr[:], pos)
	n, err := l.active.WriteAt(l.markBuf[:], markOffset(l.markSlot))
	if err == nil && n < len(l.markBuf) {
		err = fmt.Errorf("short write: %d of %d bytes", n, len(l.markBuf))
	}
	l.markDirty = true // even in part: the next fdatasync may persist it
	if err != nil {
		return fmt.Errorf("write mark in %s: %w", l.currentName(), err)
	}
	l.markSlot ^= 1
	l.markPos = pos
	return nil
}

// finalMark makes Close's mark say every record this session wrote is
// synced (a background sync may have covered them after the last mark was
// written) and fdatasyncs it if needed. A log that only recovered is left
// as it was.
func (l *Log) finalMark() error {
	l.mu.Lock()
	synced := l.syncedPos
	l.mu.Unlock()
	if synced > l.openedPos {
		if err := l.writeMark(synced); err != nil {
			return err
		}
	}
	return l.syncMark()
}

// syncMark fdatasyncs the active segment if a mark was written since its
// last fdatasync: Close makes the mark of its final sync durable, so a log
// closed cleanly proves every record synced.
func (l *Log) syncMark() error {
	if !l.markDirty {
		return nil
	}
	if err := l.syncFile(l.active); err != nil {
		return fmt.Errorf("fdatasync %s: %w", l.currentName(), err)
	}
	l.markDirty = false
	return nil
}

// setMarks prepares the mark writes of the active segment, whose header is
// h (recovered or just created).
func (l *Log) setMarks(h segmentHeader) {
	l.marks = h.version >= markVersion
	l.markSlot, l.markPos, l.markDirty = h.markSlot, h.mark, false
	copy(l.markHdr[:], h.encode()[:headerSizeV2])
}

// writeBatch writes buf, starting a new segment at each roll point.
func (l *Log) writeBatch(buf []byte, rolls []rollPoint) error {
	start := 0
	for _, r := range rolls {
		if err := l.write(buf[start:r.off]); err != nil {
			return err
		}
		if err := l.rollBehind(r.firstPos); err != nil {
			return err
		}
		start = r.off
	}
	return l.write(buf[start:])
}

// write writes frames to the active segment at its write offset. A short
// write is an error.
func (l *Log) write(b []byte) error {
	if len(b) == 0 {
		return nil
	}
	n, err := l.active.WriteAt(b, l.writeOff)
	l.writeOff += int64(n)
	l.zeroEnd = max(l.zeroEnd, l.writeOff)
	l.st.writes.Add(1)
	l.st.bytes.Add(uint64(n))
	if err == nil && n < len(b) {
		err = fmt.Errorf("short write: %d of %d bytes", n, len(b))
	}
	if err != nil {
		return fmt.Errorf("write %s: %w", l.currentName(), err)
	}
	return nil
}

// roll fdatasyncs the active segment, so that only the last segment can ever
// hold a torn tail, then makes a new segment whose first record is firstPos
// durable and switches to it.
func (l *Log) roll(firstPos uint64) error {
	if err := l.syncFile(l.active); err != nil {
		return fmt.Errorf("fdatasync %s: %w", l.currentName(), err)
	}
	h := segmentHeader{number: l.activeNum + 1, firstPos: firstPos}
	f, err := l.createSegment(h)
	if err != nil {
		return err
	}
	if err := l.active.Close(); err != nil {
		f.Close()
		return fmt.Errorf("close %s: %w", l.currentName(), err)
	}
	l.active, l.activeNum = f, h.number
	l.writeOff, l.zeroEnd, l.noZeros = SegmentHeaderSize, SegmentHeaderSize, false
	h.version, h.mark = FormatVersion, firstPos-1
	l.setMarks(h)
	l.mu.Lock()
	l.segs = append(l.segs, segment{name: segmentName(firstPos), number: h.number, firstPos: firstPos, dataOff: SegmentHeaderSize})
	l.mu.Unlock()
	return nil
}

// minPreallocate is the smallest chunk of zeros preallocate writes.
const minPreallocate = 64 << 10

// zeroBlock is what preallocate writes, a block at a time.
var zeroBlock [128 << 10]byte // at least a scan window (64 KiB) and a frame header

// preallocate keeps zeros written after the write offset of the active
// segment, between half a chunk and one and a half (a chunk is the
// segment's size so far, from 64 KiB up to Preallocate; never past
// SegmentSize), before the batch's fdatasync: the sync that makes the batch
// durable also makes the zeros and the new file size durable, and the
// batches that later overwrite the zeros only change data. Recovery reads a
// frame header of zeros followed by zeros to the end of the file as the end
// of the records. A failed write (say ENOSPC) is not fatal: the records
// were written, and the segment just grows as records are written.
func (l *Log) preallocate() {
	// The chunk grows with the segment up to Preallocate, so that a small
	// log (a test, a quiet service) does not write a MiB of zeros at once.
	chunk := min(l.opts.Preallocate, max(minPreallocate, l.writeOff))
	if chunk <= 0 || l.noZeros || l.zeroEnd-l.writeOff >= chunk/2 {
		return
	}
	off, end := l.zeroEnd, min(l.zeroEnd+chunk, l.opts.SegmentSize)
	for off < end {
		n, err := l.active.WriteAt(zeroBlock[:min(64<<10, end-off)], off)
		off += int64(n)
		if err != nil {
			l.noZeros = true
			l.opts.Logf("wal: preallocating segment %s stopped at offset %d: %v", l.currentName(), off, err)
			break
		}
	}
	l.zeroEnd = off
}

// currentName returns the name of the active segment.
func (l *Log) currentName() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.segs[len(l.segs)-1].name
}
