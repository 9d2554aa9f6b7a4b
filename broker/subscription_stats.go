package broker

// SubscriptionStats are figures of one subscription's queue, from
// [Subscription.Stats].
type SubscriptionStats struct {
	// Queued is the number of messages queued and not yet read, and
	// QueuedBytes their size as the limits count it (see [PubSubOptions]).
	// The reader settles what it has read every 32 messages or 64 KiB and
	// whenever it waits, so both may count up to that much already read.
	// Zero once the subscription has ended.
	Queued, QueuedBytes int64

	// Dropped is the number of messages PolicyDropOldest dropped to make
	// room, and DroppedBytes their size. (PolicyDisconnect drops a whole
	// queue when it disconnects; those are not counted here.)
	Dropped, DroppedBytes int64

	// Disconnected reports whether the broker closed the subscription as a
	// slow consumer ([ErrSlowConsumer]).
	Disconnected bool
}

// Stats returns the subscription's queue figures. It is safe for concurrent
// use, also with Next; it costs publishers nothing but a brief hold of the
// subscription's lock.
func (s *Subscription) Stats() SubscriptionStats {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := SubscriptionStats{Dropped: s.dropped.Load(), DroppedBytes: s.droppedBytes.Load(),
		Disconnected: s.err == ErrSlowConsumer}
	if !s.ended {
		st.QueuedBytes = s.wbytes - s.rbytes.Load()
		st.Queued = int64(s.written.Load() - uint64(st.Dropped) - s.rread.Load())
	}
	return st
}
