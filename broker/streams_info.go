package broker

import (
	"context"
	"time"

	"github.com/brookmq/brook/stream"
)

// XInfoStream is XINFO STREAM. A missing key is [ErrNoStream].
func (b *Broker) XInfoStream(ctx context.Context, key string) (StreamInfo, error) {
	var in StreamInfo
	err := b.viewExisting(ctx, key, func(s *stream.Stream) error {
		in = s.Info()
		return nil
	})
	return in, err
}

// StreamFullInfo is XINFO STREAM FULL: the stream's metadata, its first
// entries and every group with its pending entries and consumers.
type StreamFullInfo struct {
	Info    StreamInfo  // Info.FirstEntry and Info.LastEntry are not part of FULL
	Entries []Entry     // the first entries
	Groups  []GroupFull // sorted by name
}

// GroupFull is one group of XINFO STREAM FULL.
type GroupFull struct {
	Name            string
	LastDeliveredID ID
	EntriesRead     int64 // -1 when unknown
	Lag             int64 // -1 when unknown (see LagUnknown)
	LagUnknown      bool
	PELCount        int64          // pending entries in the group
	NackedCount     int64          // pending entries given back with XNACK, owned by none (Redis 8.8)
	Pending         []Pending      // the first pending entries, by ID
	Consumers       []ConsumerFull // every consumer, sorted by name
}

// ConsumerFull is one consumer of a [GroupFull].
type ConsumerFull struct {
	Name     string
	Seen     time.Time // its last attempted interaction
	Active   time.Time // its last successful read or claim; zero: never
	PELCount int64     // pending entries it owns
	Pending  []Pending // the first of them, by ID
}

// XInfoStreamFull is XINFO STREAM FULL [COUNT count]: at most count (0: no
// limit; Redis's default COUNT is 10) entries, and as many pending entries
// per group and per consumer. A missing key is [ErrNoStream], a negative
// count [ErrInvalidArgument].
func (b *Broker) XInfoStreamFull(ctx context.Context, key string, count int) (StreamFullInfo, error) {
	if err := checkCount("count", count); err != nil {
		return StreamFullInfo{}, err
	}
	var in StreamFullInfo
	err := b.viewExisting(ctx, key, func(s *stream.Stream) error {
		now := b.nowMs()
		in = StreamFullInfo{Info: s.Info(), Entries: s.Range(stream.MinID, stream.MaxID, limit(count))}
		for _, g := range s.GroupsFull(limit(count)) {
			in.Groups = append(in.Groups, groupFullOf(g, now))
		}
		return nil
	})
	return in, err
}

func groupFullOf(g stream.GroupFull, nowMs uint64) GroupFull {
	out := GroupFull{Name: g.Name, LastDeliveredID: g.LastDeliveredID, EntriesRead: g.EntriesRead,
		Lag: g.Lag, LagUnknown: g.LagUnknown, PELCount: g.PELCount, NackedCount: g.NackedCount,
		Pending: pendingOf(g.Pending, nowMs)}
	for _, c := range g.Consumers {
		cf := ConsumerFull{Name: c.Name, Seen: timeOf(c.SeenMs), PELCount: c.PELCount, Pending: pendingOf(c.Pending, nowMs)}
		if c.ActiveMs >= 0 {
			cf.Active = timeOf(uint64(c.ActiveMs))
		}
		out.Consumers = append(out.Consumers, cf)
	}
	return out
}
