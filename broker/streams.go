package broker

import (
	"context"
	"errors"
	"iter"
	"time"

	"github.com/brookmq/brook/stream"
)

// TEMPORARY: signatures of the Streams API so the command layer compiles;
// the bodies land in the next commits.

var errUnimplemented = errors.New("broker: streams: not yet implemented")

// ErrNoStream is returned when a key does not exist where it must: XADD with
// NoMkStream, XGROUP CREATE without MkStream, XINFO on a missing key.
var ErrNoStream = errors.New("broker: no such stream")

// ErrStreamDeleted is returned by a blocked read whose stream key was deleted.
var ErrStreamDeleted = errors.New("broker: the stream key no longer exists")

// ErrGroupDeleted is returned by a blocked XReadGroup whose group was destroyed.
var ErrGroupDeleted = errors.New("broker: the consumer group this client was blocked on no longer exists")

// AddOptions are XADD's options.
type AddOptions struct {
	ID         stream.AddID // default: automatic ("*")
	NoMkStream bool         // fail with ErrNoStream instead of creating the key
	Trim       stream.Trim  // applied after the append
}

// ReadStream is one stream of an XREAD.
type ReadStream struct {
	Key       string
	After     stream.ID // entries with a greater ID are returned
	Latest    bool      // "$": after the stream's last ID at call time
	LastEntry bool      // "+": the last entry
}

// ReadOptions are XREAD's options.
type ReadOptions struct {
	Count int  // <= 0: no limit
	Block bool // wait until data arrives or ctx ends
}

// StreamEntries is the part of a read reply for one stream.
type StreamEntries struct {
	Key     string
	Entries []stream.Entry
}

// GroupCreateOptions are XGROUP CREATE's options.
type GroupCreateOptions struct {
	ID          stream.ID
	Latest      bool   // "$"
	MkStream    bool   // create the stream if missing
	EntriesRead *int64 // nil: unknown
}

// GroupReadStream is one stream of an XREADGROUP.
type GroupReadStream struct {
	Key   string
	After stream.ID // history: the consumer's pending entries after this ID
	New   bool      // ">": never-delivered entries
}

// GroupReadOptions are XREADGROUP's options.
type GroupReadOptions struct {
	Count int
	Block bool
	NoAck bool
}

// XAdd appends an entry.
func (b *Broker) XAdd(ctx context.Context, key string, fields []stream.Field, o AddOptions) (stream.ID, error) {
	return stream.ID{}, errUnimplemented
}

// XLen returns the number of entries.
func (b *Broker) XLen(ctx context.Context, key string) (int64, error) { return 0, errUnimplemented }

// XRange returns entries oldest first.
func (b *Broker) XRange(ctx context.Context, key string, start, end stream.ID, count int) ([]stream.Entry, error) {
	return nil, errUnimplemented
}

// XRevRange returns entries newest first.
func (b *Broker) XRevRange(ctx context.Context, key string, end, start stream.ID, count int) ([]stream.Entry, error) {
	return nil, errUnimplemented
}

// Range pages through a range.
func (b *Broker) Range(ctx context.Context, key string, start, end stream.ID) iter.Seq2[stream.Entry, error] {
	return func(yield func(stream.Entry, error) bool) { yield(stream.Entry{}, errUnimplemented) }
}

// XDel deletes entries.
func (b *Broker) XDel(ctx context.Context, key string, ids ...stream.ID) (int64, error) {
	return 0, errUnimplemented
}

// XTrim trims a stream.
func (b *Broker) XTrim(ctx context.Context, key string, t stream.Trim) (int64, error) {
	return 0, errUnimplemented
}

// XRead reads from streams.
func (b *Broker) XRead(ctx context.Context, streams []ReadStream, o ReadOptions) ([]StreamEntries, error) {
	return nil, errUnimplemented
}

// XGroupCreate creates a group.
func (b *Broker) XGroupCreate(ctx context.Context, key, group string, o GroupCreateOptions) error {
	return errUnimplemented
}

// XGroupSetID moves a group's last-delivered-id.
func (b *Broker) XGroupSetID(ctx context.Context, key, group string, id stream.ID, latest bool, entriesRead *int64) error {
	return errUnimplemented
}

// XGroupDestroy destroys a group.
func (b *Broker) XGroupDestroy(ctx context.Context, key, group string) (bool, error) {
	return false, errUnimplemented
}

// XGroupCreateConsumer creates a consumer.
func (b *Broker) XGroupCreateConsumer(ctx context.Context, key, group, consumer string) (bool, error) {
	return false, errUnimplemented
}

// XGroupDelConsumer deletes a consumer.
func (b *Broker) XGroupDelConsumer(ctx context.Context, key, group, consumer string) (int64, error) {
	return 0, errUnimplemented
}

// XReadGroup reads as a group consumer.
func (b *Broker) XReadGroup(ctx context.Context, group, consumer string, streams []GroupReadStream, o GroupReadOptions) ([]StreamEntries, error) {
	return nil, errUnimplemented
}

// XAck acknowledges entries.
func (b *Broker) XAck(ctx context.Context, key, group string, ids ...stream.ID) (int64, error) {
	return 0, errUnimplemented
}

// XPending is XPENDING's summary form.
func (b *Broker) XPending(ctx context.Context, key, group string) (stream.PendingSummary, error) {
	return stream.PendingSummary{}, errUnimplemented
}

// XPendingRange is XPENDING's extended form.
func (b *Broker) XPendingRange(ctx context.Context, key, group string, q stream.PendingQuery) ([]stream.Pending, error) {
	return nil, errUnimplemented
}

// XClaim claims pending entries.
func (b *Broker) XClaim(ctx context.Context, key, group, consumer string, minIdle time.Duration, ids []stream.ID, o stream.ClaimOptions) ([]stream.Entry, error) {
	return nil, errUnimplemented
}

// XAutoClaim claims idle pending entries.
func (b *Broker) XAutoClaim(ctx context.Context, key, group, consumer string, minIdle time.Duration, start stream.ID, count int, justID bool) (next stream.ID, claimed []stream.Entry, deleted []stream.ID, err error) {
	return stream.ID{}, nil, nil, errUnimplemented
}

// XInfoGroups is XINFO GROUPS.
func (b *Broker) XInfoGroups(ctx context.Context, key string) ([]stream.GroupInfo, error) {
	return nil, errUnimplemented
}

// XInfoConsumers is XINFO CONSUMERS.
func (b *Broker) XInfoConsumers(ctx context.Context, key, group string) ([]stream.ConsumerInfo, error) {
	return nil, errUnimplemented
}

// Del deletes keys.
func (b *Broker) Del(ctx context.Context, keys ...string) (int64, error) { return 0, errUnimplemented }

// Exists counts existing keys.
func (b *Broker) Exists(ctx context.Context, keys ...string) (int64, error) {
	return 0, errUnimplemented
}

// Type returns "stream" or "none".
func (b *Broker) Type(ctx context.Context, key string) (string, error) { return "", errUnimplemented }

type registry struct{}

func newRegistry(b *Broker) *registry { return &registry{} }
func (r *registry) close()            {}
