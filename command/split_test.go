package command_test

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/brookmq/brook/command"
)

func TestSplitArgs(t *testing.T) {
	tests := []struct {
		name string
		line string
		want []string
	}{
		{"empty", "", nil},
		{"blank", " \t \v\f\r\n", nil},
		{"words", "XADD s 1-0 f v", []string{"XADD", "s", "1-0", "f", "v"}},
		{"blanks around", "  \tPING   a\t", []string{"PING", "a"}},
		{"double quoted", `ECHO "hello world"`, []string{"ECHO", "hello world"}},
		{"single quoted", `ECHO 'hello world'`, []string{"ECHO", "hello world"}},
		{"empty double", `ECHO ""`, []string{"ECHO", ""}},
		{"empty single", `ECHO '' x`, []string{"ECHO", "", "x"}},
		{"double escapes", `"\"\\\n\r\t\b\a"`, []string{"\"\\\n\r\t\b\a"}},
		{"hex escape", `"\x41\x6a\xFF\x00"`, []string{"Aj\xff\x00"}},
		{"invalid hex escape", `"\x4g"`, []string{"x4g"}},
		{"short hex escape", `"\x4"`, []string{"x4"}},
		{"other escape", `"\q\'"`, []string{"q'"}},
		{"single escapes", `'it\'s \n \x41 \\ x'`, []string{`it's \n \x41 \\ x`}},
		{"backslash outside quotes", `a\nb`, []string{`a\nb`}},
		{"quote mid-word", `a"b c" d`, []string{"ab c", "d"}},
		{"single mid-word", `a'b c'`, []string{"ab c"}},
		{"quote after tab", "\"a\"\tb", []string{"a", "b"}},
		{"quote then vtab", "\"a\"\vb", []string{"a", "b"}},
		{"vtab inside word", "a\vb", []string{"a\vb"}},
		{"newline ends word", "a\nb", []string{"a", "b"}},
		{"nul ends line", "a b\x00c d", []string{"a", "b"}},
		{"utf-8", "ECHO 中", []string{"ECHO", "中"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := command.SplitArgs(tc.line)
			if err != nil || !slices.Equal(got, tc.want) {
				t.Errorf("SplitArgs(%q) = %q, %v; want %q", tc.line, got, err, tc.want)
			}
		})
	}
}

func TestSplitArgsInvalid(t *testing.T) {
	for _, line := range []string{
		`"unterminated`,
		`'unterminated`,
		`"a"b`,
		`'a'b`,
		`x "a"'b'`,
		`"ends with backslash\"`,
		`"\`,
		"\"a\x00\"",  // the NUL ends the C string inside the quotes
		`'it\'s \\'`, // \' escapes the closing quote
	} {
		t.Run(line, func(t *testing.T) {
			got, err := command.SplitArgs(line)
			if !errors.Is(err, command.ErrInvalidArgs) || got != nil {
				t.Errorf("SplitArgs(%q) = %q, %v; want ErrInvalidArgs", line, got, err)
			}
		})
	}
}

// quoteArgs joins args so that SplitArgs gives them back.
func quoteArgs(args []string) string {
	var b []byte
	for i, a := range args {
		if i > 0 {
			b = append(b, ' ')
		}
		b = command.AppendQuoted(b, a)
	}
	return string(b)
}

func FuzzSplitArgs(f *testing.F) {
	for _, seed := range []string{
		"", "PING", `ECHO "a b"`, `'x\'y'`, `"\x41\x4g"`, `a"b c"`, `"a"b`, "\"\\", "a\x00b", " \v\t",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, line string) {
		args, err := command.SplitArgs(line)
		if err != nil {
			if !errors.Is(err, command.ErrInvalidArgs) || args != nil {
				t.Fatalf("SplitArgs(%q) = %q, %v", line, args, err)
			}
			return
		}
		for _, a := range args {
			if a == "" {
				continue // only quotes make empty arguments
			}
			if !strings.ContainsAny(line, `"'`) && strings.ContainsAny(a, " \t\r\n") {
				t.Fatalf("SplitArgs(%q): unquoted argument %q holds a separator", line, a)
			}
		}
		// Quoting every argument the way replies print bulk strings must
		// give the same arguments back.
		again, err := command.SplitArgs(quoteArgs(args))
		if err != nil || !slices.Equal(again, args) {
			t.Fatalf("round trip of %q: %q, %v", args, again, err)
		}
	})
}
