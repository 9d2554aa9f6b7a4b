package command_test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/brookmq/brook/command"
)

func TestReplyFormat(t *testing.T) {
	entry := command.Array(command.Bulk("1-0"), command.BulkArray("field", "value"))
	twelve := make([]command.Reply, 12)
	for i := range twelve {
		twelve[i] = command.Int(int64(i))
	}
	tests := []struct {
		name  string
		reply command.Reply
		want  string
	}{
		{"nil", command.Nil(), "(nil)\n"},
		{"simple", command.OK(), "OK\n"},
		{"error", command.Error("ERR syntax error"), "(error) ERR syntax error\n"},
		{"integer", command.Int(-42), "(integer) -42\n"},
		{"bulk", command.Bulk("hi there"), "\"hi there\"\n"},
		{"empty bulk", command.Bulk(""), "\"\"\n"},
		{"empty array", command.Array(), "(empty array)\n"},
		{"flat array", command.BulkArray("a", "b"), "1) \"a\"\n2) \"b\"\n"},
		{"nested empty", command.Array(command.Bulk("k"), command.Array()),
			"1) \"k\"\n2) (empty array)\n"},
		{"xread", command.Array(command.Array(command.Bulk("s"), command.Array(entry))),
			"1) 1) \"s\"\n   2) 1) 1) \"1-0\"\n         2) 1) \"field\"\n            2) \"value\"\n"},
		{"twelve", command.Array(twelve...),
			" 1) (integer) 0\n 2) (integer) 1\n 3) (integer) 2\n 4) (integer) 3\n" +
				" 5) (integer) 4\n 6) (integer) 5\n 7) (integer) 6\n 8) (integer) 7\n" +
				" 9) (integer) 8\n10) (integer) 9\n11) (integer) 10\n12) (integer) 11\n"},
		{"twelve nested", command.Array(command.Array(twelve[:10]...), command.Nil()),
			"1)  1) (integer) 0\n    2) (integer) 1\n    3) (integer) 2\n    4) (integer) 3\n" +
				"    5) (integer) 4\n    6) (integer) 5\n    7) (integer) 6\n    8) (integer) 7\n" +
				"    9) (integer) 8\n   10) (integer) 9\n2) (nil)\n"},
		{"nested in wide", command.Array(append(append([]command.Reply{}, twelve[:11]...), entry)...),
			" 1) (integer) 0\n 2) (integer) 1\n 3) (integer) 2\n 4) (integer) 3\n" +
				" 5) (integer) 4\n 6) (integer) 5\n 7) (integer) 6\n 8) (integer) 7\n" +
				" 9) (integer) 8\n10) (integer) 9\n11) (integer) 10\n" +
				"12) 1) \"1-0\"\n    2) 1) \"field\"\n       2) \"value\"\n"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.reply.String(); got != tc.want {
				t.Errorf("String() =\n%s\nwant\n%s", got, tc.want)
			}
			var buf bytes.Buffer
			n, err := tc.reply.WriteTo(&buf)
			if err != nil || n != int64(len(tc.want)) || buf.String() != tc.want {
				t.Errorf("WriteTo = %d, %v, %q; want %d, nil, %q", n, err, buf.String(), len(tc.want), tc.want)
			}
		})
	}
}

func TestAppendQuoted(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"printable", "abc XYZ ~!", `"abc XYZ ~!"`},
		{"backslash and quote", `a\b"c`, `"a\\b\"c"`},
		{"control escapes", "\n\r\t\a\b", `"\n\r\t\a\b"`},
		{"other controls", "\x00\x01\x1f\x0b\x0c\x1b", `"\x00\x01\x1f\x0b\x0c\x1b"`},
		{"del and high", "\x7f\x80\xff", `"\x7f\x80\xff"`},
		{"utf-8", "中", `"\xe4\xb8\xad"`},
		{"single quote stays", "it's", `"it's"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := string(command.AppendQuoted(nil, tc.in)); got != tc.want {
				t.Errorf("AppendQuoted(%q) = %s, want %s", tc.in, got, tc.want)
			}
		})
	}
}

func TestAppendQuotedEveryByte(t *testing.T) {
	for c := 0; c < 256; c++ {
		got := string(command.AppendQuoted(nil, string([]byte{byte(c)})))
		inner := got[1 : len(got)-1]
		switch {
		case strings.ContainsRune(`\"`, rune(c)):
			if inner != `\`+string(rune(c)) {
				t.Errorf("byte %#x: %s", c, got)
			}
		case strings.IndexByte("\n\r\t\a\b", byte(c)) >= 0:
			if len(inner) != 2 || inner[0] != '\\' {
				t.Errorf("byte %#x: %s", c, got)
			}
		case c >= 0x20 && c <= 0x7e:
			if inner != string(rune(c)) {
				t.Errorf("byte %#x: %s", c, got)
			}
		default:
			if len(inner) != 4 || inner[:2] != `\x` || strings.ToLower(inner) != inner {
				t.Errorf("byte %#x: %s", c, got)
			}
		}
	}
}
