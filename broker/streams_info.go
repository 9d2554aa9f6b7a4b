package broker

import (
	"context"

	"github.com/brookmq/brook/stream"
)

// XInfoStream is XINFO STREAM. A missing key is [ErrNoStream].
func (b *Broker) XInfoStream(ctx context.Context, key string) (stream.Info, error) {
	var in stream.Info
	err := b.onStream(ctx, key, false, func(st *streamState) error {
		in = st.s.Info()
		return nil
	})
	return in, err
}

// StreamFullInfo is XINFO STREAM FULL: the stream's metadata, its first
// entries and every group with its pending entries and consumers.
type StreamFullInfo struct {
	Info    stream.Info        // Info.FirstEntry and Info.LastEntry are not part of FULL
	Entries []stream.Entry     // the first count entries
	Groups  []stream.GroupFull // sorted by name
}

// XInfoStreamFull is XINFO STREAM FULL [COUNT count]: at most count
// (<= 0: all) entries, and pending entries per group and per consumer. Redis's
// default COUNT is 10. A missing key is [ErrNoStream].
func (b *Broker) XInfoStreamFull(ctx context.Context, key string, count int) (StreamFullInfo, error) {
	var in StreamFullInfo
	err := b.onStream(ctx, key, false, func(st *streamState) error {
		in = StreamFullInfo{
			Info:    st.s.Info(),
			Entries: st.s.Range(stream.MinID, stream.MaxID, count),
			Groups:  st.s.GroupsFull(count),
		}
		return nil
	})
	return in, err
}
