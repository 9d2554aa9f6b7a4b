package command

import "errors"

// ErrInvalidArgs is returned by [SplitArgs] for a line redis-cli refuses: an
// unclosed quote, or a closing quote followed by something other than a
// blank. A CLI prints [InvalidArgsMessage] for such a line and runs nothing.
var ErrInvalidArgs = errors.New("command: invalid argument(s)")

// InvalidArgsMessage is what redis-cli prints (on stdout, without "(error)")
// for a line that [SplitArgs] rejects.
const InvalidArgsMessage = "Invalid argument(s)"

// SplitArgs splits one input line into arguments exactly as redis-cli does
// (its sdssplitargs):
//
//   - arguments are separated by blanks; blanks before the first and after
//     the last argument are ignored;
//   - inside "double quotes" the escapes \" \\ \n \r \t \b \a and \xHH (two
//     hex digits) are understood, and any other \c stands for c; an invalid
//     \x escape such as \x4g is just x followed by 4g;
//   - inside 'single quotes' only \' is an escape;
//   - quotes may start in the middle of an argument (a"b c" is "ab c");
//   - outside quotes a backslash is an ordinary byte;
//   - a closing quote must be followed by a blank or the end of the line and
//     every quote must be closed, otherwise the result is [ErrInvalidArgs];
//   - a NUL byte ends the line, as it does for redis-cli's C strings.
//
// An empty or blank line gives no arguments and no error.
func SplitArgs(line string) ([]string, error) {
	for i := 0; i < len(line); i++ {
		if line[i] == 0 {
			line = line[:i]
			break
		}
	}
	var args []string
	p := 0
	for {
		for p < len(line) && isSpace(line[p]) {
			p++
		}
		if p == len(line) {
			return args, nil
		}
		arg, next, err := splitToken(line, p)
		if err != nil {
			return nil, err
		}
		args = append(args, arg)
		p = next
	}
}

// splitToken reads the argument starting at line[p] and returns it with the
// position after it.
func splitToken(line string, p int) (string, int, error) {
	// Fast path: a token without quotes is a substring of the line.
	start := p
	for p < len(line) {
		switch line[p] {
		case ' ', '\n', '\r', '\t':
			return line[start:p], p + 1, nil
		case '"', '\'':
			return splitQuoted(line, start, p)
		}
		p++
	}
	return line[start:], p, nil
}

// splitQuoted reads the rest of the token that started at line[start] and
// has its first quote at line[p].
func splitQuoted(line string, start, p int) (string, int, error) {
	cur := []byte(line[start:p])
	inDouble, inSingle := false, false
	at := func(i int) byte { // the C string view: 0 past the end
		if i < len(line) {
			return line[i]
		}
		return 0
	}
	for {
		c := at(p)
		switch {
		case inDouble:
			switch {
			case c == '\\' && at(p+1) == 'x' && isHex(at(p+2)) && isHex(at(p+3)):
				cur = append(cur, unhex(at(p+2))<<4|unhex(at(p+3)))
				p += 3
			case c == '\\' && at(p+1) != 0:
				p++
				cur = append(cur, unescape(line[p]))
			case c == '"':
				if n := at(p + 1); n != 0 && !isSpace(n) {
					return "", 0, ErrInvalidArgs
				}
				return string(cur), p + 1, nil
			case c == 0:
				return "", 0, ErrInvalidArgs
			default:
				cur = append(cur, c)
			}
		case inSingle:
			switch {
			case c == '\\' && at(p+1) == '\'':
				p++
				cur = append(cur, '\'')
			case c == '\'':
				if n := at(p + 1); n != 0 && !isSpace(n) {
					return "", 0, ErrInvalidArgs
				}
				return string(cur), p + 1, nil
			case c == 0:
				return "", 0, ErrInvalidArgs
			default:
				cur = append(cur, c)
			}
		default:
			switch c {
			case ' ', '\n', '\r', '\t', 0:
				return string(cur), min(p+1, len(line)), nil
			case '"':
				inDouble = true
			case '\'':
				inSingle = true
			default:
				cur = append(cur, c)
			}
		}
		p++
	}
}

// isSpace is C's isspace in the C locale.
func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r'
}

func isHex(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

func unhex(c byte) byte {
	switch {
	case c >= '0' && c <= '9':
		return c - '0'
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10
	}
	return c - 'A' + 10
}

// unescape maps the byte after a backslash inside double quotes.
func unescape(c byte) byte {
	switch c {
	case 'n':
		return '\n'
	case 'r':
		return '\r'
	case 't':
		return '\t'
	case 'b':
		return '\b'
	case 'a':
		return '\a'
	}
	return c
}
