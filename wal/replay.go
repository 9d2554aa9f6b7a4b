package wal

import (
	"errors"
	"fmt"
	"io"
	"os"
)

// Replay calls fn for every record with position >= from, in order, up to
// the last record written when Replay started (normally called after Open,
// before appending). from 0 means from [Log.FirstPos]; a from below FirstPos
// returns [ErrCompacted], since the records in between are gone. fn owns rec
// and may keep it. An error from fn stops Replay, which returns it as is.
// Replay does not hold the log's lock while reading: appends may proceed.
func (l *Log) Replay(from uint64, fn func(pos uint64, rec []byte) error) error {
	return l.replay(from, scanKeep, fn)
}

// ReplayView is [Log.Replay] without a copy of each record: rec is a view
// of the read buffer, valid only until fn returns, and fn must not modify
// it. A caller that keeps anything of a record past fn copies it. It reads
// the log faster than Replay (no copy, no allocation per record), which
// matters where records are decoded and dropped, as in recovery.
func (l *Log) ReplayView(from uint64, fn func(pos uint64, rec []byte) error) error {
	return l.replay(from, scanView, fn)
}

// replay is Replay and ReplayView, which hand fn what mode says.
func (l *Log) replay(from uint64, mode scanMode, fn func(pos uint64, rec []byte) error) error {
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		return ErrClosed
	}
	segs := append([]segment(nil), l.segs...)
	limit := l.writtenPos
	l.mu.Unlock()
	if from == 0 {
		from = segs[0].firstPos
	}
	if from < segs[0].firstPos {
		return fmt.Errorf("%w: replay from %d, first position %d", ErrCompacted, from, segs[0].firstPos)
	}
	for i, s := range segs {
		if i+1 < len(segs) && segs[i+1].firstPos <= from {
			continue // every record of s is before from
		}
		if s.firstPos > limit {
			break
		}
		if err := l.replaySegment(s, from, limit, mode, fn); err != nil {
			return err
		}
	}
	return nil
}

// replaySegment calls fn for the records of s with from <= pos <= limit.
func (l *Log) replaySegment(s segment, from, limit uint64, mode scanMode, fn func(uint64, []byte) error) error {
	f, err := l.fs.OpenFile(l.path(s.name), os.O_RDONLY, 0)
	if err != nil {
		return fmt.Errorf("wal: replay: open segment %s: %w", s.name, err)
	}
	defer f.Close()
	size, err := f.Size()
	if err != nil {
		return fmt.Errorf("wal: replay: stat segment %s: %w", s.name, err)
	}
	if size < s.dataOff {
		return &CorruptError{Segment: s.name, Pos: s.firstPos, Err: errTruncated}
	}
	sc := newScanner(f, size, s.dataOff, s.firstPos, mode)
	for sc.next <= limit {
		pos := sc.next
		rec, err := sc.scan()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			if isDecodeError(err) {
				return &CorruptError{Segment: s.name, Offset: sc.off, Pos: pos, Err: err}
			}
			return fmt.Errorf("wal: replay: segment %s: %w", s.name, err)
		}
		if pos < from {
			continue
		}
		if err := fn(pos, rec); err != nil {
			return err
		}
	}
	return nil
}

// TruncateFront deletes the segments whose records all have positions below
// pos (normally pos = 1 + the position a durable snapshot covers). The
// segment being written is never deleted, so FirstPos() may stay below pos.
// Segments go oldest first, each followed by a directory fsync, so a crash
// part way leaves a contiguous log. A failed directory fsync poisons the log.
func (l *Log) TruncateFront(pos uint64) error {
	l.truncateMu.Lock()
	defer l.truncateMu.Unlock()
	l.mu.Lock()
	err := l.usableLocked()
	l.mu.Unlock()
	if err != nil {
		return err
	}
	for {
		l.mu.Lock()
		if len(l.segs) < 2 || l.segs[1].firstPos > pos {
			l.mu.Unlock()
			return nil
		}
		victim := l.segs[0]
		l.segs = l.segs[1:]
		l.mu.Unlock()
		if err := l.fs.Remove(l.path(victim.name)); err != nil && !errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("wal: truncate front: remove %s: %w", victim.name, err)
		}
		if err := l.syncDir(); err != nil {
			err = fmt.Errorf("truncate front: %w", err)
			l.poison(err)
			return l.Err()
		}
	}
}
