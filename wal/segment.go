package wal

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"strconv"
	"strings"
	"time"
)

const (
	segmentExt  = ".wal"
	tempSuffix  = ".tmp"
	brokenExt   = ".broken"
	nameDigits  = 20
	filePerm    = 0o600
	dirPerm     = 0o700
	copyBufSize = 1 << 20
	arenaSize   = 64 << 10
)

// segment is one segment file of the log.
type segment struct {
	name     string // base name: zero-padded first position + ".wal"
	number   uint64 // from the header
	firstPos uint64 // from the name, checked against the header
	dataOff  int64  // where the records start: the header size of its format version
}

// segmentName returns the file name of the segment whose first record has
// position firstPos.
func segmentName(firstPos uint64) string {
	return fmt.Sprintf("%0*d%s", nameDigits, firstPos, segmentExt)
}

// parseSegmentName returns the first position encoded in a segment file name.
func parseSegmentName(name string) (uint64, bool) {
	digits, ok := strings.CutSuffix(name, segmentExt)
	if !ok || len(digits) != nameDigits {
		return 0, false
	}
	for _, c := range digits {
		if c < '0' || c > '9' {
			return 0, false
		}
	}
	n, err := strconv.ParseUint(digits, 10, 64)
	return n, err == nil && n > 0
}

// createSegment makes a new segment durable before anyone relies on it: the
// header goes to a temporary file, which is fsynced, renamed into place, and
// the directory fsynced. It returns the open file, positioned after the
// header.
func (l *Log) createSegment(h segmentHeader) (File, error) {
	base := segmentName(h.firstPos)
	name := l.path(base)
	tmp := name + tempSuffix
	if err := l.fs.Remove(tmp); err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("wal: remove stale %s: %w", tmp, err)
	}
	f, err := l.fs.OpenFile(tmp, os.O_RDWR|os.O_CREATE|os.O_EXCL, filePerm)
	if err != nil {
		return nil, fmt.Errorf("wal: create segment: %w", err)
	}
	fail := func(step string, err error) (File, error) {
		f.Close()
		l.fs.Remove(tmp)
		return nil, fmt.Errorf("wal: create segment %s: %s: %w", base, step, err)
	}
	if _, err := f.Write(h.encode()); err != nil {
		return fail("write header", err)
	}
	if err := l.syncFile(f); err != nil {
		return fail("fsync", err)
	}
	if err := l.fs.Rename(tmp, name); err != nil {
		return fail("rename", err)
	}
	if err := l.syncDir(); err != nil {
		f.Close()
		return nil, fmt.Errorf("wal: create segment %s: %w", base, err)
	}
	l.st.segments.Add(1)
	return f, nil
}

// syncFile fdatasyncs f, counting and timing it.
func (l *Log) syncFile(f File) error {
	t0 := time.Now()
	err := f.Sync()
	l.st.syncNanos.Add(uint64(time.Since(t0)))
	l.st.syncs.Add(1)
	return err
}

// syncDir fsyncs the log directory.
func (l *Log) syncDir() error {
	l.st.dirSyncs.Add(1)
	if err := l.fs.SyncDir(l.dir); err != nil {
		return fmt.Errorf("fsync directory %s: %w", l.dir, err)
	}
	return nil
}

// crcWriter accumulates a CRC-32C of what is written to it.
type crcWriter struct{ c uint32 }

// Write adds p to the checksum. It never fails.
func (w *crcWriter) Write(p []byte) (int, error) {
	w.c = crc32.Update(w.c, castagnoli, p)
	return len(p), nil
}

// scanner reads the records of one segment file in order, checking each
// frame's length against the hard maximum and the bytes left before reading
// it, its checksum, and its position.
type scanner struct {
	f     io.ReaderAt
	r     *bufio.Reader
	size  int64  // file size
	off   int64  // offset of the next frame
	next  uint64 // position the next frame must hold
	mode  scanMode
	arena []byte // where payloads are carved from (scanKeep only)
	large []byte // scanView: holds a payload larger than the read buffer
	hdr   [RecordHeaderSize]byte
}

// scanMode says what scan returns of each record's payload.
type scanMode uint8

const (
	scanVerify scanMode = iota // nothing: only check it
	scanKeep                   // a copy the caller owns
	scanView                   // a view of the read buffer, valid until the next scan
)

// newScanner returns a scanner of the records of a segment of the given
// size, which start at offset start with position firstPos.
func newScanner(f io.ReaderAt, size, start int64, firstPos uint64, mode scanMode) *scanner {
	sr := io.NewSectionReader(f, start, size-start)
	return &scanner{f: f, r: bufio.NewReaderSize(sr, int(min(64<<10, max(16, size-start)))), size: size, off: start, next: firstPos, mode: mode}
}

// scan returns the next record's payload (nil for scanVerify; for scanView,
// valid until the next call). It returns io.EOF
// at a clean end: the end of the file, or zeros from s.off to the end of the
// file (space the log preallocated). Otherwise it returns a decoding error
// (errTruncated, errLength, errChecksum, errPosition) with s.off left at the
// bad frame, or an I/O error.
func (s *scanner) scan() ([]byte, error) {
	left := s.size - s.off
	if left == 0 {
		return nil, io.EOF
	}
	if left < RecordHeaderSize {
		return nil, s.endOr(errTruncated)
	}
	if _, err := io.ReadFull(s.r, s.hdr[:]); err != nil {
		return nil, fmt.Errorf("read record header: %w", err)
	}
	if s.hdr == [RecordHeaderSize]byte{} { // never a valid frame: position 0
		return nil, s.endOr(errChecksum)
	}
	length := binary.LittleEndian.Uint32(s.hdr[0:4])
	if length > HardMaxRecordSize {
		return nil, fmt.Errorf("%w (%d bytes)", errLength, length)
	}
	if int64(length) > left-RecordHeaderSize {
		return nil, errTruncated
	}
	w := crcWriter{crc32.Update(0, castagnoli, s.hdr[0:4])}
	w.c = crc32.Update(w.c, castagnoli, s.hdr[8:16])
	var rec []byte
	viewed := false // rec is in s.r's buffer, not yet consumed
	switch {
	case s.mode == scanView && int(length) <= s.r.Size():
		// Peek does not copy, and Discard below leaves the bytes in the
		// buffer: only the next read refills it.
		var err error
		if rec, err = s.r.Peek(int(length)); err != nil {
			if err == io.EOF { // the file ended early: as io.ReadFull says it
				err = io.ErrUnexpectedEOF
			}
			return nil, fmt.Errorf("read record: %w", err)
		}
		w.Write(rec)
		viewed = true
	case s.mode != scanVerify:
		if s.mode == scanKeep {
			rec = s.alloc(int(length))
		} else {
			if cap(s.large) < int(length) {
				s.large = make([]byte, length)
			}
			rec = s.large[:length:length]
		}
		if _, err := io.ReadFull(s.r, rec); err != nil {
			return nil, fmt.Errorf("read record: %w", err)
		}
		w.Write(rec)
	default:
		if err := s.checksum(&w, int(length)); err != nil {
			return nil, fmt.Errorf("read record: %w", err)
		}
	}
	if w.c != binary.LittleEndian.Uint32(s.hdr[4:8]) {
		return nil, errChecksum
	}
	if pos := binary.LittleEndian.Uint64(s.hdr[8:16]); pos != s.next {
		return nil, fmt.Errorf("%w: %d, expected %d", errPosition, pos, s.next)
	}
	if viewed {
		s.r.Discard(len(rec))
	}
	s.off += RecordHeaderSize + int64(length)
	s.next++
	return rec, nil
}

// endOr returns io.EOF if the file holds only zeros from s.off to its end,
// else err (or the I/O error met while looking).
func (s *scanner) endOr(err error) error {
	zero, rerr := zeroFrom(s.f, s.off, s.size)
	switch {
	case rerr != nil:
		return fmt.Errorf("read record: %w", rerr)
	case zero:
		return io.EOF
	}
	return err
}

// zeroFrom reports whether f holds only zero bytes from offset from to end.
func zeroFrom(f io.ReaderAt, from, end int64) (bool, error) {
	buf := make([]byte, min(64<<10, end-from))
	for off := from; off < end; {
		n, err := f.ReadAt(buf[:min(int64(len(buf)), end-off)], off)
		if !bytes.Equal(buf[:n], zeroBlock[:n]) {
			return false, nil
		}
		off += int64(n)
		if err != nil && (err != io.EOF || off < end) {
			return false, err
		}
	}
	return true, nil
}

// alloc returns n bytes for a payload, carved from a shared arena so that a
// replay does not allocate per record. Each payload has its own capacity, so
// a caller appending to one cannot overwrite the next.
func (s *scanner) alloc(n int) []byte {
	if len(s.arena) < n {
		s.arena = make([]byte, max(arenaSize, n))
	}
	b := s.arena[:n:n]
	s.arena = s.arena[n:]
	return b
}

// checksum feeds the next n bytes to w straight from the read buffer,
// without copying or allocating.
func (s *scanner) checksum(w *crcWriter, n int) error {
	for n > 0 {
		chunk, err := s.r.Peek(min(n, s.r.Size()))
		if len(chunk) == 0 {
			return err
		}
		w.Write(chunk)
		s.r.Discard(len(chunk))
		n -= len(chunk)
	}
	return nil
}

// isDecodeError reports whether err is a record decoding failure rather than
// an I/O error.
func isDecodeError(err error) bool {
	return errors.Is(err, errTruncated) || errors.Is(err, errLength) ||
		errors.Is(err, errChecksum) || errors.Is(err, errPosition)
}

// validFrameAfter reports whether any valid frame (length within bounds,
// plausible position >= next, matching checksum) starts in f after offset
// from. It tells a torn tail (nothing valid after the failure) from
// corruption in the middle of the log.
func validFrameAfter(f io.ReaderAt, from, size int64, next uint64) (bool, error) {
	maxPos := next + uint64(size-from)/RecordHeaderSize + 1
	const window = 64 << 10
	buf := make([]byte, min(window+RecordHeaderSize, size-from))
	var scratch []byte // for checksumming candidates, made on first use
	for base := from + 1; base+RecordHeaderSize <= size; base += window {
		n := min(int64(len(buf)), size-base)
		if _, err := f.ReadAt(buf[:n], base); err != nil && err != io.EOF {
			return false, fmt.Errorf("scan after corruption: %w", err)
		}
		if bytes.Equal(buf[:n], zeroBlock[:n]) {
			continue // preallocated space: an all-zero header is never valid
		}
		for i := int64(0); i < min(window, n-RecordHeaderSize+1); i++ {
			h := buf[i : i+RecordHeaderSize]
			length := int64(binary.LittleEndian.Uint32(h[0:4]))
			pos := binary.LittleEndian.Uint64(h[8:16])
			o := base + i
			if length > HardMaxRecordSize || length > size-o-RecordHeaderSize || pos < next || pos > maxPos {
				continue
			}
			if scratch == nil {
				scratch = make([]byte, 32<<10)
			}
			w := crcWriter{crc32.Update(0, castagnoli, h[0:4])}
			w.c = crc32.Update(w.c, castagnoli, h[8:16])
			if _, err := io.CopyBuffer(&w, io.NewSectionReader(f, o+RecordHeaderSize, length), scratch); err != nil {
				return false, fmt.Errorf("scan after corruption: %w", err)
			}
			if w.c == binary.LittleEndian.Uint32(h[4:8]) {
				return true, nil
			}
		}
	}
	return false, nil
}
