package brookredis

import (
	"context"
	"errors"

	"github.com/brookmq/brook/broker"
	"github.com/redis/go-redis/v9"
)

var _ broker.DeadLetterMover = (*Client)(nil)

// moveScript moves the entry ARGV[2] of KEYS[1], if it is pending in the
// group ARGV[1] for the consumer ARGV[3], to KEYS[2] with the fields
// ARGV[4..], and acknowledges it; it returns the new entry's ID, or false
// when the entry is not pending for the consumer. A script runs atomically:
// no other command sees the entry moved and not acknowledged.
var moveScript = redis.NewScript(`
local p = redis.call('XPENDING', KEYS[1], ARGV[1], ARGV[2], ARGV[2], 1, ARGV[3])
if #p == 0 then return false end
local id = redis.call('XADD', KEYS[2], '*', unpack(ARGV, 4))
redis.call('XACK', KEYS[1], ARGV[1], ARGV[2])
return id
`)

// maxMoveFields bounds the fields of a dead letter the script can add: Lua's
// unpack and redis.call take at most about 8000 values on the stack.
const maxMoveFields = 3900

// MoveDeadLetter is [broker.DeadLetterMover.MoveDeadLetter], for
// [broker.Worker]: one Lua script (EVALSHA) checks that d.Original is
// pending for d.Consumer (XPENDING), adds the dead letter (XADD) and
// acknowledges the entry (XACK), atomically. A script's keys must be in one
// hash slot on a Cluster: a deadKey in another slot than d.Stream is
// [broker.ErrInvalidArgument], found before anything is sent (the worker's
// default dead-letter key is hash-tagged with the source key for this). A
// dead letter of more than 3900 fields (metadata included) is
// [broker.ErrEntryTooLarge]: the worker then moves it without its fields.
func (c *Client) MoveDeadLetter(ctx context.Context, deadKey string, d broker.DeadLetter) (broker.ID, bool, error) {
	if deadKey == d.Stream {
		return broker.ID{}, false, invalid("the dead-letter key is the source key %q", d.Stream)
	}
	if err := c.sameSlot([]string{d.Stream, deadKey}); err != nil {
		return broker.ID{}, false, err
	}
	fields := d.EntryFields()
	if len(fields) > maxMoveFields {
		return broker.ID{}, false, broker.ErrEntryTooLarge
	}
	if err := c.check(ctx); err != nil {
		return broker.ID{}, false, err
	}
	args := make([]any, 0, 3+2*len(fields))
	args = append(args, d.Group, d.Original.String(), d.Consumer)
	for _, f := range fields {
		args = append(args, f.Name, f.Value)
	}
	v, err := moveScript.Run(ctx, c.rdb, []string{d.Stream, deadKey}, args...).Result()
	if errors.Is(err, redis.Nil) {
		return broker.ID{}, false, nil
	}
	if err != nil {
		if ctxErr := ctx.Err(); ctxErr != nil {
			return broker.ID{}, false, ctxErr
		}
		return broker.ID{}, false, c.noGroup(ctx, mapError(err), d.Stream)
	}
	id, err := toID(v)
	return id, err == nil, err
}
