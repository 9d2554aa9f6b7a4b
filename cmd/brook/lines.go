package main

import (
	"bufio"
	"errors"
	"io"
	"strings"
)

// defaultMaxLine is the longest input line brook reads, in bytes: Redis's
// default client-query-buffer-limit (1 GB), the most input a Redis client
// may have pending. A line holds at least one argument, and each argument
// is limited to 512 MB by command.Handler.MaxArgLen (proto-max-bulk-len),
// as Redis limits it.
const defaultMaxLine = 1 << 30

// errLineTooLong is returned by [lineReader.next] for a line over the limit,
// once the rest of that line has been read and dropped.
var errLineTooLong = errors.New("line too long")

// lineReader reads newline-terminated lines without ever holding more than
// max bytes of one line: the rest of a longer line is read and dropped as
// it arrives.
type lineReader struct {
	r   *bufio.Reader
	max int
}

func newLineReader(r io.Reader, max int) *lineReader {
	return &lineReader{r: bufio.NewReaderSize(r, 64<<10), max: max}
}

// next returns the next line without its "\n" and whether one was read
// (false at the end of input). A line over the limit gives errLineTooLong
// and ok true; a read error gives the error and whatever line ended with
// it.
func (lr *lineReader) next() (line string, ok bool, err error) {
	frag, err := lr.r.ReadSlice('\n')
	if err == nil || len(frag) == 0 && err == io.EOF {
		// The common case: the whole line was in the buffer.
		if len(frag) == 0 {
			return "", false, nil
		}
		if len(frag)-1 > lr.max {
			return "", true, errLineTooLong
		}
		return string(frag[:len(frag)-1]), true, nil
	}
	// Longer than the buffer, or the last line without "\n": gather the
	// fragments (copies: the buffer is reused), then make one string.
	var chunks [][]byte
	n := 0
	tooLong := false
	for {
		body := frag
		if err == nil {
			body = frag[:len(frag)-1]
		}
		if !tooLong {
			if n+len(body) > lr.max {
				tooLong, chunks = true, nil
			} else {
				chunks = append(chunks, append([]byte(nil), body...))
			}
		}
		n += len(body)
		if err != bufio.ErrBufferFull {
			break
		}
		frag, err = lr.r.ReadSlice('\n')
	}
	if err == io.EOF {
		err = nil
		if n == 0 {
			return "", false, nil
		}
	}
	if err != nil {
		return "", n > 0, err
	}
	if tooLong {
		return "", true, errLineTooLong
	}
	var b strings.Builder
	b.Grow(n)
	for i, c := range chunks {
		b.Write(c)
		chunks[i] = nil
	}
	return b.String(), true, nil
}

// buffered reports whether more input has already been read.
func (lr *lineReader) buffered() bool { return lr.r.Buffered() > 0 }
