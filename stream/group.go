package stream

import "errors"

// CONTRACT STUBS for consumer groups (see stream.go).

// Errors returned by consumer-group operations.
var (
	// ErrGroupExists: CreateGroup with a name already in use (BUSYGROUP).
	ErrGroupExists = errors.New("stream: consumer group name already exists")
	// ErrNoGroup: the named group does not exist (NOGROUP).
	ErrNoGroup = errors.New("stream: no such consumer group")
)

// EntriesReadUnknown is the entries-read value of a group that does not know
// how many entries it has read (printed as nil by XINFO GROUPS).
const EntriesReadUnknown int64 = -1

// Pending is one pending entry of a group: delivered, not yet acknowledged.
type Pending struct {
	ID            ID
	Consumer      string
	DeliveryMs    uint64 // time of the last delivery, Unix ms
	DeliveryCount uint64
}

// PendingSummary is XPENDING's summary form.
type PendingSummary struct {
	Count     int64
	Min, Max  ID
	Consumers []ConsumerCount // sorted by name
}

// ConsumerCount is one consumer's number of pending entries.
type ConsumerCount struct {
	Consumer string
	Count    int64
}

// PendingQuery selects pending entries for XPENDING's extended form.
type PendingQuery struct {
	Start, End ID
	Count      int
	Consumer   string // "" = every consumer
	MinIdleMs  uint64
}

// ClaimOptions are XCLAIM's options.
type ClaimOptions struct {
	IdleMs     *uint64 // IDLE: set delivery time to now-IdleMs
	TimeMs     *uint64 // TIME: set delivery time to this Unix ms (clamped to now)
	RetryCount *uint64 // RETRYCOUNT: set the delivery count
	Force      bool    // FORCE: create the PEL entry if the ID exists in the stream
	JustID     bool    // JUSTID: do not increment the count, return IDs only
	LastID     *ID     // LASTID: raise the group's last-delivered-id to this
}

// GroupInfo is one row of XINFO GROUPS.
type GroupInfo struct {
	Name            string
	Consumers       int64
	Pending         int64
	LastDeliveredID ID
	EntriesRead     int64 // EntriesReadUnknown when unknown
	Lag             int64 // -1 when unknown (nil)
}

// ConsumerInfo is one row of XINFO CONSUMERS.
type ConsumerInfo struct {
	Name       string
	Pending    int64
	IdleMs     int64 // since the last attempted interaction (seen-time)
	InactiveMs int64 // since the last successful interaction (active-time); -1 = never
}

// CreateGroup creates group with last-delivered-id last (XGROUP CREATE).
func (s *Stream) CreateGroup(group string, last ID, entriesRead int64) error {
	panic("unimplemented")
}

// SetGroupID moves a group's last-delivered-id (XGROUP SETID).
func (s *Stream) SetGroupID(group string, last ID, entriesRead int64) error {
	panic("unimplemented")
}

// DestroyGroup removes a group and its PEL; false if it did not exist.
func (s *Stream) DestroyGroup(group string) bool { panic("unimplemented") }

// CreateConsumer creates a consumer; false if it existed.
func (s *Stream) CreateConsumer(group, consumer string, nowMs uint64) (bool, error) {
	panic("unimplemented")
}

// DeleteConsumer removes a consumer and its pending entries, returning how many it had.
func (s *Stream) DeleteConsumer(group, consumer string) (int64, error) {
	panic("unimplemented")
}

// ReadGroupNew delivers up to count (<= 0: all) entries after the group's
// last-delivered-id to consumer (XREADGROUP ">"), adding them to the PEL
// unless noAck.
func (s *Stream) ReadGroupNew(group, consumer string, nowMs uint64, count int, noAck bool) ([]Entry, error) {
	panic("unimplemented")
}

// ReadGroupHistory returns consumer's own pending entries with ID > after
// (XREADGROUP with an ID), incrementing their delivery counts.
func (s *Stream) ReadGroupHistory(group, consumer string, nowMs uint64, after ID, count int) ([]Entry, error) {
	panic("unimplemented")
}

// Ack removes ids from the group's PEL and returns how many were pending.
func (s *Stream) Ack(group string, ids ...ID) int64 { panic("unimplemented") }

// PendingSummary is XPENDING's summary form.
func (s *Stream) PendingSummary(group string) (PendingSummary, error) { panic("unimplemented") }

// PendingRange is XPENDING's extended form.
func (s *Stream) PendingRange(group string, nowMs uint64, q PendingQuery) ([]Pending, error) {
	panic("unimplemented")
}

// Claim is XCLAIM. It returns the claimed entries (IDs only with JustID:
// Fields nil).
func (s *Stream) Claim(group, consumer string, nowMs, minIdleMs uint64, ids []ID, o ClaimOptions) ([]Entry, error) {
	panic("unimplemented")
}

// AutoClaim is XAUTOCLAIM: it scans the PEL from start, claims up to count
// entries idle for at least minIdleMs, and returns the next cursor (0-0 when
// done), the claimed entries and the IDs of pending entries whose stream
// entry was deleted (removed from the PEL).
func (s *Stream) AutoClaim(group, consumer string, nowMs, minIdleMs uint64, start ID, count int, justID bool) (next ID, claimed []Entry, deleted []ID, err error) {
	panic("unimplemented")
}

// Groups is XINFO GROUPS.
func (s *Stream) Groups() []GroupInfo { panic("unimplemented") }

// Consumers is XINFO CONSUMERS.
func (s *Stream) Consumers(group string, nowMs uint64) ([]ConsumerInfo, error) {
	panic("unimplemented")
}

// groups is the consumer-group state of one stream (the field Stream.grp).
type groups struct{}

// groupCount is the number of groups (XINFO STREAM "groups").
func (s *Stream) groupCount() int { panic("unimplemented") }

// cloneGroups copies s's group state into dst (a Clone of s) so that later
// changes to either are invisible to the other.
func (s *Stream) cloneGroups(dst *Stream) { panic("unimplemented") }

// appendGroups appends the snapshot encoding of the groups to b.
func (s *Stream) appendGroups(b []byte) []byte { panic("unimplemented") }

// decodeGroups decodes what appendGroups wrote into s and returns the rest.
func (s *Stream) decodeGroups(data []byte) (rest []byte, err error) { panic("unimplemented") }
