package wal

import (
	"fmt"
	"io"
	"os"
	"strconv"
)

// brokenName returns a free name for a copy of name set aside as broken:
// name.broken, else name.broken.1, name.broken.2, ...
func brokenName(name string, taken map[string]bool) string {
	b := name + brokenExt
	for i := 1; taken[b]; i++ {
		b = name + brokenExt + "." + strconv.Itoa(i)
	}
	taken[b] = true
	return b
}

// setAside renames segments to *.broken names, oldest last so that a crash
// part way leaves the log a prefix of what it was, and fsyncs the directory.
// It returns the new names.
func (l *Log) setAside(segs []segment, taken map[string]bool) ([]string, error) {
	var names []string
	for i := len(segs) - 1; i >= 0; i-- {
		b := brokenName(segs[i].name, taken)
		if err := l.fs.Rename(l.path(segs[i].name), l.path(b)); err != nil {
			return nil, fmt.Errorf("wal: set aside %s: %w", segs[i].name, err)
		}
		names = append(names, b)
	}
	if len(names) > 0 {
		if err := l.syncDir(); err != nil {
			return nil, fmt.Errorf("wal: set aside segments: %w", err)
		}
	}
	return names, nil
}

// cut keeps a durable copy of segment name as *.broken, then truncates the
// segment to size bytes and fdatasyncs it. If the segment's mark (in hdr)
// says records after lastPos, the last one kept, were synced, both mark
// slots are lowered to lastPos first, with one write: a torn write spoils at
// most one slot, and the other holds a mark that is also true. It returns
// the copy's name.
func (l *Log) cut(name string, size int64, hdr segmentHeader, lastPos uint64, taken map[string]bool) (string, error) {
	cp := brokenName(name, taken)
	if err := l.copyFile(name, cp); err != nil {
		return "", err
	}
	f, err := l.fs.OpenFile(l.path(name), os.O_WRONLY, 0)
	if err != nil {
		return "", fmt.Errorf("wal: truncate %s: %w", name, err)
	}
	defer f.Close()
	if hdr.version >= markVersion && hdr.mark > lastPos {
		raw := hdr.encode()[:headerSizeV2]
		slots := make([]byte, 2*markSlotSize)
		encodeMark(slots[:markSlotSize], raw, lastPos)
		encodeMark(slots[markSlotSize:], raw, lastPos)
		if _, err := f.WriteAt(slots, markOffset(0)); err != nil {
			return "", fmt.Errorf("wal: lower the marks of %s: %w", name, err)
		}
	}
	if err := f.Truncate(size); err != nil {
		return "", fmt.Errorf("wal: truncate %s: %w", name, err)
	}
	if err := l.syncFile(f); err != nil {
		return "", fmt.Errorf("wal: truncate %s: fdatasync: %w", name, err)
	}
	return cp, nil
}

// copyFile copies src to the new file dst, fdatasyncs it and the directory.
func (l *Log) copyFile(src, dst string) (err error) {
	in, err := l.fs.OpenFile(l.path(src), os.O_RDONLY, 0)
	if err != nil {
		return fmt.Errorf("wal: copy %s: %w", src, err)
	}
	defer in.Close()
	out, err := l.fs.OpenFile(l.path(dst), os.O_RDWR|os.O_CREATE|os.O_EXCL, filePerm)
	if err != nil {
		return fmt.Errorf("wal: copy %s: %w", src, err)
	}
	defer func() {
		if cerr := out.Close(); err == nil && cerr != nil {
			err = fmt.Errorf("wal: copy %s: %w", src, cerr)
		}
	}()
	size, err := in.Size()
	if err != nil {
		return fmt.Errorf("wal: copy %s: %w", src, err)
	}
	buf := make([]byte, max(1, min(copyBufSize, size)))
	for off := int64(0); ; {
		n, rerr := in.ReadAt(buf, off)
		if n > 0 {
			if _, err := out.Write(buf[:n]); err != nil {
				return fmt.Errorf("wal: copy %s: %w", src, err)
			}
			off += int64(n)
		}
		if rerr == io.EOF {
			break
		}
		if rerr != nil {
			return fmt.Errorf("wal: copy %s: %w", src, rerr)
		}
	}
	if err := l.syncFile(out); err != nil {
		return fmt.Errorf("wal: copy %s: fdatasync: %w", src, err)
	}
	if err := l.syncDir(); err != nil {
		return fmt.Errorf("wal: copy %s: %w", src, err)
	}
	return nil
}
