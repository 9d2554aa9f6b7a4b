package command

import (
	"context"
	"strings"

	"github.com/brookmq/brook/broker"
)

// Session is one client of a [Handler], like one Redis connection: it owns
// the client's subscription and knows whether the client is in subscribed
// mode. A Session is not safe for concurrent use: one client, one
// goroutine.
type Session struct {
	h     *Handler
	sub   *broker.Subscription
	count int // channels plus patterns subscribed

	// The names subscribed, to tell "nothing to unsubscribe" (Redis
	// replies a nil name) from unsubscribing the channel "".
	channels, patterns map[string]bool
}

// NewSession returns a session of h, not subscribed to anything.
func (h *Handler) NewSession() *Session {
	return &Session{h: h, channels: map[string]bool{}, patterns: map[string]bool{}}
}

// Subscribed reports whether the session is in subscribed mode (at least
// one channel or pattern).
func (s *Session) Subscribed() bool { return s.count > 0 }

// IsSubscription reports whether name is one of the commands that manage a
// subscription (SUBSCRIBE, PSUBSCRIBE, UNSUBSCRIBE, PUNSUBSCRIBE), whatever
// its case.
func IsSubscription(name string) bool {
	switch strings.ToLower(name) {
	case "subscribe", "psubscribe", "unsubscribe", "punsubscribe":
		return true
	}
	return false
}

// Do runs one command as this client and returns its replies: one per
// channel or pattern for the subscription commands, exactly one otherwise.
// In subscribed mode only the subscription commands and PING are allowed,
// as in Redis (PING then replies ["pong", message]).
func (s *Session) Do(ctx context.Context, args []string) []Reply {
	if bad, ok := s.h.checkArgLen(args); !ok {
		return []Reply{bad}
	}
	sp, bad := lookup(args)
	if sp == nil {
		return []Reply{bad}
	}
	if IsSubscription(sp.name) {
		return s.subscription(sp.name, args[1:])
	}
	if s.Subscribed() {
		if sp.name == "ping" {
			switch len(args) {
			case 1:
				return []Reply{BulkArray("pong", "")}
			case 2:
				return []Reply{BulkArray("pong", args[1])}
			}
			return []Reply{wrongArgs("ping")}
		}
		return []Reply{Error("ERR Can't execute '" + sp.name + "': only (P|S)SUBSCRIBE / " +
			"(P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context")}
	}
	return []Reply{sp.run(s.h, ctx, args)}
}

// subscription runs SUBSCRIBE, PSUBSCRIBE, UNSUBSCRIBE or PUNSUBSCRIBE.
func (s *Session) subscription(name string, names []string) []Reply {
	if s.sub == nil {
		sub, err := s.h.B.NewSubscription(broker.SubscriptionOptions{})
		if err != nil {
			return []Reply{errorReply(err)}
		}
		s.sub = sub
	}
	set := s.channels
	if name == "psubscribe" || name == "punsubscribe" {
		set = s.patterns
	}
	nothing := len(names) == 0 && len(set) == 0 // no-argument unsubscribe with nothing to remove
	var confs []broker.Confirmation
	var err error
	switch name {
	case "subscribe":
		confs, err = s.sub.Subscribe(names...)
	case "psubscribe":
		confs, err = s.sub.PSubscribe(names...)
	case "unsubscribe":
		confs, err = s.sub.Unsubscribe(names...)
	default:
		confs, err = s.sub.PUnsubscribe(names...)
	}
	if err != nil {
		return []Reply{errorReply(err)}
	}
	out := make([]Reply, len(confs))
	for i, c := range confs {
		ch := Bulk(c.Name)
		switch {
		case nothing:
			ch = Nil()
		case strings.HasSuffix(c.Kind, "unsubscribe"):
			delete(set, c.Name)
		default:
			set[c.Name] = true
		}
		out[i] = Array(Bulk(c.Kind), ch, Int(int64(c.Count)))
		s.count = c.Count
	}
	return out
}

// Next waits for the next message of the subscription and returns it as
// Redis pushes it (see [MessageReply]). It returns ctx.Err() when ctx ends
// first, and the broker's error when the subscription ends (for example
// [broker.ErrSlowConsumer]). A message already queued is returned even if
// ctx has ended, so a caller may drain the queue with a cancelled context.
func (s *Session) Next(ctx context.Context) (Reply, error) {
	if s.sub == nil {
		<-ctx.Done()
		return Reply{}, ctx.Err()
	}
	m, err := s.sub.Next(ctx)
	if err != nil {
		return Reply{}, err
	}
	return MessageReply(m), nil
}

// MessageReply is a published message as Redis pushes it to a subscriber:
// ["message", channel, payload], or ["pmessage", pattern, channel, payload]
// for a delivery by pattern subscription (m.ByPattern), the pattern ""
// included.
func MessageReply(m broker.Message) Reply {
	if m.ByPattern {
		return BulkArray("pmessage", m.Pattern, m.Channel, string(m.Payload))
	}
	return BulkArray("message", m.Channel, string(m.Payload))
}

// Close ends the session's subscription, if any. It is idempotent.
func (s *Session) Close() error {
	s.count = 0
	clear(s.channels)
	clear(s.patterns)
	if s.sub == nil {
		return nil
	}
	return s.sub.Close()
}
