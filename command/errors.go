package command

import (
	"context"
	"errors"
	"math"
	"strconv"
	"strings"

	"github.com/brookmq/brook/broker"
	"github.com/brookmq/brook/stream"
)

// Redis error texts shared by several commands.
const (
	errSyntax        = "ERR syntax error"
	errNotInteger    = "ERR value is not an integer or out of range"
	errInvalidID     = "ERR Invalid stream ID specified as stream command argument"
	errInvalidStart  = "ERR invalid start ID for the interval"
	errInvalidEnd    = "ERR invalid end ID for the interval"
	errNoKey         = "ERR no such key"
	errGroupKeyMusts = "ERR The XGROUP subcommand requires the key to exist. " +
		"Note that for CREATE you may want to use the MKSTREAM option to create an empty stream automatically."
	errInterrupted = "ERR interrupted"
)

// errorReply maps an error from the broker or the stream package to the
// reply Redis gives for the same condition. Command-specific texts (NOGROUP
// wordings, ErrNoStream) are handled by the commands before calling it.
func errorReply(err error) Reply {
	switch {
	case errors.Is(err, stream.ErrInvalidID):
		return Error(errInvalidID)
	case errors.Is(err, errInvalidStartID):
		return Error(errInvalidStart)
	case errors.Is(err, errInvalidEndID):
		return Error(errInvalidEnd)
	case errors.Is(err, stream.ErrIDZero):
		return Error("ERR The ID specified in XADD must be greater than 0-0")
	case errors.Is(err, stream.ErrIDTooSmall):
		return Error("ERR The ID specified in XADD is equal or smaller than the target stream top item")
	case errors.Is(err, stream.ErrExhausted):
		return Error("ERR The stream has exhausted the last possible ID, unable to add more items")
	case errors.Is(err, stream.ErrTooLarge):
		return Error("ERR Elements are too large to be stored")
	case errors.Is(err, stream.ErrGroupExists):
		return Error("BUSYGROUP Consumer Group name already exists")
	case errors.Is(err, broker.ErrEntryTooLarge):
		// Redis has no such limit below proto-max-bulk-len; brook's own text.
		return Error("ERR entry exceeds the broker's entry size or field count limit")
	case errors.Is(err, broker.ErrStreamDeleted):
		return Error("UNBLOCKED the stream key no longer exists")
	case errors.Is(err, broker.ErrGroupDeleted):
		return Error("NOGROUP the consumer group this client was blocked on no longer exists")
	case errors.Is(err, context.Canceled):
		return Error(errInterrupted)
	}
	return Error(sanitize("ERR " + err.Error()))
}

// parseInt parses a signed 64-bit integer as Redis's string2ll does: an
// optional '-', no '+', no blanks, no leading zeros ("0" itself is fine).
func parseInt(s string) (int64, bool) {
	if s == "0" {
		return 0, true
	}
	d := s
	if len(d) > 0 && d[0] == '-' {
		d = d[1:]
	}
	if len(d) == 0 || d[0] < '1' || d[0] > '9' {
		return 0, false
	}
	for i := 1; i < len(d); i++ {
		if d[i] < '0' || d[i] > '9' {
			return 0, false
		}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	return n, err == nil
}

// toInt converts a count to int, saturating.
func toInt(n int64) int {
	if n > math.MaxInt {
		return math.MaxInt
	}
	if n < math.MinInt {
		return math.MinInt
	}
	return int(n)
}

// parseStrictID parses an ID where "-" and "+" are not allowed.
func parseStrictID(s string) (stream.ID, bool) {
	id, err := parseRedisID(s)
	return id, err == nil
}

// parseLooseID parses an ID where "-" and "+" mean the minimum and maximum.
func parseLooseID(s string) (stream.ID, bool) {
	id, err := parseRedisLooseID(s)
	return id, err == nil
}

// cstr returns s up to its first NUL byte. Redis compares the special IDs
// "$", ">", "*" with strcmp, so "$\x00junk" is "$" to it.
func cstr(s string) string {
	if i := strings.IndexByte(s, 0); i >= 0 {
		return s[:i]
	}
	return s
}
