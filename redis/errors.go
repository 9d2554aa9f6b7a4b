package brookredis

import (
	"errors"
	"fmt"
	"strings"

	"github.com/brookmq/brook/broker"
	"github.com/redis/go-redis/v9"
)

// replyErrors maps Redis 7 error replies, by a part of their text, to the
// broker's sentinels. The first match wins: the NOGROUP of a blocked
// XREADGROUP whose group went comes before the plain NOGROUP.
var replyErrors = []struct {
	text string
	err  error
}{
	{"BUSYGROUP", broker.ErrGroupExists},
	{"NOGROUP the consumer group this client was blocked on", broker.ErrGroupDeleted},
	{"UNBLOCKED the stream key no longer exists", broker.ErrStreamDeleted},
	{"NOGROUP", broker.ErrNoGroup}, // or a missing key: see Client.noGroup
	{"requires the key to exist", broker.ErrNoStream},
	{"equal or smaller than the target stream top item", broker.ErrIDTooSmall},
	{"must be greater than 0-0", broker.ErrIDZero},
	{"exhausted the last possible ID", broker.ErrExhausted},
	{"Elements are too large to be stored", broker.ErrSeqExhausted},
	{"Invalid stream ID", broker.ErrInvalidID},
	{"CROSSSLOT", broker.ErrInvalidArgument},
	{"ENTRIESREAD", broker.ErrEntriesRead},
	{"syntax error", broker.ErrInvalidArgument},
	{"timeout is negative", broker.ErrInvalidArgument},
	{"not an integer or out of range", broker.ErrInvalidArgument},
}

// mapError turns a go-redis error into the broker's: ErrClosed for a closed
// client, a sentinel for a known error reply (wrapped with the reply's text),
// other errors (network, unknown replies) wrapped as they are.
func mapError(err error) error {
	if errors.Is(err, redis.ErrClosed) {
		return broker.ErrClosed
	}
	var re redis.Error
	if !errors.As(err, &re) {
		return fmt.Errorf("brookredis: %w", err)
	}
	msg := re.Error()
	for _, m := range replyErrors {
		if strings.Contains(msg, m.text) {
			return fmt.Errorf("%w (redis: %s)", m.err, msg)
		}
	}
	return fmt.Errorf("brookredis: %w", err)
}
