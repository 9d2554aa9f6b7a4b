package command

import (
	"bytes"
	"io"
	"strconv"
)

// Kind is the RESP2 type of a [Reply].
type Kind uint8

// Reply kinds. A null bulk string and a null array print the same way, so
// both are [KindNil].
const (
	KindNil     Kind = iota // null bulk string or null array: "(nil)"
	KindSimple              // simple string (+OK): printed without quotes
	KindError               // error: "(error) " + text
	KindInteger             // integer: "(integer) n"
	KindBulk                // bulk string: quoted and escaped
	KindArray               // array, possibly empty
)

// Reply is one reply value as a Redis server would send it. The zero Reply is
// nil. Replies are plain values, safe to copy and to share between goroutines
// once built.
type Reply struct {
	Kind  Kind
	Str   string  // KindSimple, KindError, KindBulk
	Int   int64   // KindInteger
	Elems []Reply // KindArray
}

// Nil returns the null reply, printed "(nil)".
func Nil() Reply { return Reply{} }

// Simple returns a simple-string reply such as OK.
func Simple(s string) Reply { return Reply{Kind: KindSimple, Str: s} }

// OK returns the simple string OK.
func OK() Reply { return Simple("OK") }

// Error returns an error reply; text is the whole Redis error text including
// its code, e.g. "ERR syntax error".
func Error(text string) Reply { return Reply{Kind: KindError, Str: text} }

// Int returns an integer reply.
func Int(n int64) Reply { return Reply{Kind: KindInteger, Int: n} }

// Bulk returns a bulk-string reply.
func Bulk(s string) Reply { return Reply{Kind: KindBulk, Str: s} }

// Array returns an array reply of elems. Array() is the empty array.
func Array(elems ...Reply) Reply {
	if elems == nil {
		elems = []Reply{}
	}
	return Reply{Kind: KindArray, Elems: elems}
}

// BulkArray returns an array of bulk strings.
func BulkArray(ss ...string) Reply {
	elems := make([]Reply, len(ss))
	for i, s := range ss {
		elems[i] = Bulk(s)
	}
	return Array(elems...)
}

// IsError reports whether r is an error reply.
func (r Reply) IsError() bool { return r.Kind == KindError }

// String returns r as redis-cli --no-raw prints it, with the final newline.
func (r Reply) String() string {
	var b bytes.Buffer
	r.format(&b, "")
	return b.String()
}

// WriteTo writes r to w exactly as redis-cli --no-raw prints it, ending with
// a newline, in a single Write. It implements [io.WriterTo].
func (r Reply) WriteTo(w io.Writer) (int64, error) {
	var b bytes.Buffer
	r.format(&b, "")
	n, err := w.Write(b.Bytes())
	return int64(n), err
}

// writer is what format writes to.
type writer = *bytes.Buffer

// format prints r the way redis-cli's cliFormatReplyTTY does. prefix is the
// indentation of the lines after the first one of an array element.
func (r Reply) format(w writer, prefix string) {
	switch r.Kind {
	case KindSimple:
		w.WriteString(r.Str)
	case KindError:
		w.WriteString("(error) ")
		w.WriteString(r.Str)
	case KindInteger:
		w.WriteString("(integer) ")
		w.WriteString(strconv.FormatInt(r.Int, 10))
	case KindBulk:
		w.Write(AppendQuoted(w.AvailableBuffer(), r.Str))
	case KindArray:
		r.formatArray(w, prefix)
		return // every element ended its own line
	default:
		w.WriteString("(nil)")
	}
	w.WriteByte('\n')
}

// formatArray prints the elements numbered "1) ", right-aligned to the width
// of the largest index; nested lines are indented by that width plus two.
func (r Reply) formatArray(w writer, prefix string) {
	if len(r.Elems) == 0 {
		w.WriteString("(empty array)\n")
		return
	}
	width := len(strconv.Itoa(len(r.Elems)))
	inner := prefix + spaces(width+2)
	for i, e := range r.Elems {
		if i > 0 {
			w.WriteString(prefix)
		}
		idx := strconv.Itoa(i + 1)
		w.WriteString(spaces(width - len(idx)))
		w.WriteString(idx)
		w.WriteString(") ")
		e.format(w, inner)
	}
}

func spaces(n int) string {
	const blank = "                                "
	if n <= len(blank) {
		return blank[:n]
	}
	return string(bytes.Repeat([]byte{' '}, n))
}

// AppendQuoted appends s to b double-quoted the way redis-cli prints a bulk
// string (sdscatrepr): \ and " are backslash-escaped; newline, carriage
// return, tab, bell and backspace become \n \r \t \a \b; every other byte
// outside printable ASCII (0x20..0x7e) becomes \xhh in lowercase hex.
func AppendQuoted(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch c {
		case '\\', '"':
			b = append(b, '\\', c)
		case '\n':
			b = append(b, '\\', 'n')
		case '\r':
			b = append(b, '\\', 'r')
		case '\t':
			b = append(b, '\\', 't')
		case '\a':
			b = append(b, '\\', 'a')
		case '\b':
			b = append(b, '\\', 'b')
		default:
			if c >= 0x20 && c <= 0x7e {
				b = append(b, c)
			} else {
				b = append(b, '\\', 'x', hex[c>>4], hex[c&0xf])
			}
		}
	}
	return append(b, '"')
}
