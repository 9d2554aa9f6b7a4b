package main

import (
	"bytes"
	"context"
	"errors"
	"io"
	"runtime"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/brookmq/brook/broker"
	"github.com/brookmq/brook/command"
)

func TestLineReader(t *testing.T) {
	long := strings.Repeat("x", 100<<10) // longer than the reader's buffer
	type result struct {
		line string
		ok   bool
		err  error
	}
	tests := []struct {
		name, input string
		max         int
		want        []result
	}{
		{"lines", "a\n\nb c\n", 10, []result{{"a", true, nil}, {"", true, nil}, {"b c", true, nil}, {"", false, nil}}},
		{"no final newline", "a\nb", 10, []result{{"a", true, nil}, {"b", true, nil}, {"", false, nil}}},
		{"exactly the limit", "0123456789\n0123456789", 10, []result{{"0123456789", true, nil}, {"0123456789", true, nil}, {"", false, nil}}},
		{"over the limit", "01234567890\nok\n01234567890", 10,
			[]result{{"", true, errLineTooLong}, {"ok", true, nil}, {"", true, errLineTooLong}, {"", false, nil}}},
		{"long line", long + "\n" + long, len(long), []result{{long, true, nil}, {long, true, nil}, {"", false, nil}}},
		{"long line over", long + "x\nok\n", len(long), []result{{"", true, errLineTooLong}, {"ok", true, nil}, {"", false, nil}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			// One byte per read too, so lines arrive in pieces.
			for _, r := range []io.Reader{strings.NewReader(tc.input), iotest.OneByteReader(strings.NewReader(tc.input))} {
				lr := newLineReader(r, tc.max)
				for i, want := range tc.want {
					line, ok, err := lr.next()
					if line != want.line || ok != want.ok || !errors.Is(err, want.err) {
						t.Fatalf("line %d: got %.20q (%d bytes), %t, %v; want %.20q, %t, %v", i, line, len(line), ok, err, want.line, want.ok, want.err)
					}
				}
			}
		})
	}
}

// endless is a reader of n bytes of 'x' followed by "\nPING\n", made as it
// is read.
type endless struct{ n int }

func (e *endless) Read(p []byte) (int, error) {
	if e.n <= 0 {
		return 0, io.EOF
	}
	if e.n <= 6 {
		n := copy(p, "\nPING\n"[6-e.n:])
		e.n -= n
		return n, nil
	}
	k := min(len(p), e.n-6)
	for i := range k {
		p[i] = 'x'
	}
	e.n -= k
	return k, nil
}

// TestLineReaderDoesNotKeepLongLines reads a 64 MiB line with a 1 KiB limit
// and checks that it was not gathered in memory.
func TestLineReaderDoesNotKeepLongLines(t *testing.T) {
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	lr := newLineReader(&endless{n: 64<<20 + 6}, 1<<10)
	if _, ok, err := lr.next(); !ok || !errors.Is(err, errLineTooLong) {
		t.Fatalf("long line: %t, %v", ok, err)
	}
	if line, _, err := lr.next(); line != "PING" || err != nil {
		t.Fatalf("next line: %q, %v", line, err)
	}
	runtime.ReadMemStats(&after)
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 8<<20 {
		t.Errorf("reading a 64 MiB line over the limit allocated %d bytes", alloc)
	}
}

// TestScriptLimits runs a script with small limits: a line over the line
// limit is refused without being run and brook goes on; an argument over
// the argument limit gets Redis's protocol error.
func TestScriptLimits(t *testing.T) {
	b, _ := broker.New(broker.Options{})
	defer b.Close()
	h := &command.Handler{B: b, MaxArgLen: 8, NoBlockForever: true}
	input := "ECHO 01234567\nECHO 012345678\nXADD s 1-0 f " + strings.Repeat("v", 20) + "\nXLEN s\nPING\n"
	var out, errOut bytes.Buffer
	status := script(context.Background(), h, strings.NewReader(input), &out, &errOut, 24)
	want := "\"01234567\"\n" +
		"(error) ERR Protocol error: invalid bulk length\n" +
		"(error) ERR Protocol error: line longer than 24 bytes (brook's limit)\n" +
		"(integer) 0\n" +
		"PONG\n"
	if status != 0 || out.String() != want || errOut.Len() != 0 {
		t.Errorf("status %d, stdout %q, stderr %q; want 0, %q", status, out.String(), errOut.String(), want)
	}
}
