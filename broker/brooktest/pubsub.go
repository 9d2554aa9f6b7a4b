package brooktest

import (
	"context"
	"strconv"

	"github.com/brookmq/brook/broker"
)

var pubsubCases = []testCase{
	{"PubSub/NoReceivers", pubsubNoReceivers},
	{"PubSub/Counts", pubsubCounts},
	{"PubSub/Patterns", pubsubPatterns},
	{"PubSub/OrderPerPublisher", pubsubOrder},
	{"PubSub/Close", pubsubClose},
	{"PubSub/ClientClose", pubsubClientClose},
	{"PubSub/ListenNothing", pubsubListenNothing},
}

// listen subscribes and registers the receiver's Close.
func (t *suite) listen(channels, patterns []string) broker.Receiver {
	t.Helper()
	r, err := t.c.Listen(t.ctx, channels, patterns)
	t.ok("Listen", err)
	t.Cleanup(func() { r.Close() })
	return r
}

// publish publishes and checks the receiver count.
func (t *suite) publish(channel, payload string, want int) {
	t.Helper()
	n, err := t.c.Publish(t.ctx, channel, []byte(payload))
	if err != nil || n != want {
		t.Fatalf("Publish(%s) = %d, %v; want %d deliveries", channel, n, err, want)
	}
}

// next receives one message and checks it.
func (t *suite) next(r broker.Receiver, want broker.Message) {
	t.Helper()
	m, err := r.Next(t.ctx)
	t.ok("Next", err)
	if m.Channel != want.Channel || m.Pattern != want.Pattern || m.ByPattern != want.ByPattern || string(m.Payload) != string(want.Payload) {
		t.Fatalf("Next = {%q %q %v %q}, want {%q %q %v %q}", m.Channel, m.Pattern, m.ByPattern, m.Payload,
			want.Channel, want.Pattern, want.ByPattern, want.Payload)
	}
}

func pubsubNoReceivers(t *suite) {
	t.publish(t.name("nobody"), "x", 0)
}

// pubsubCounts: PUBLISH counts one delivery per channel subscription and one
// per matching pattern of each receiver, and each is delivered.
func pubsubCounts(t *suite) {
	ch := t.name("news.tech")
	one := t.listen([]string{ch}, nil)
	both := t.listen([]string{ch}, []string{t.name("news.*")})
	t.publish(ch, "hello", 3)
	t.next(one, broker.Message{Channel: ch, Payload: []byte("hello")})
	// Redis sends the message before the pmessage; so does brook.
	t.next(both, broker.Message{Channel: ch, Payload: []byte("hello")})
	t.next(both, broker.Message{Channel: ch, Pattern: t.name("news.*"), ByPattern: true, Payload: []byte("hello")})
	t.publish(t.name("news.art"), "a", 1)
	t.next(both, broker.Message{Channel: t.name("news.art"), Pattern: t.name("news.*"), ByPattern: true, Payload: []byte("a")})
}

// pubsubPatterns: Redis glob rules (?, *, sets, escapes).
func pubsubPatterns(t *suite) {
	r := t.listen(nil, []string{t.name("h?llo"), t.name("x[ab]y"), t.name(`lit\*`)})
	for _, c := range []struct {
		channel, pattern string
		n                int
	}{
		{"hello", "h?llo", 1},
		{"hallo", "h?llo", 1},
		{"heello", "", 0},
		{"xay", "x[ab]y", 1},
		{"xcy", "", 0},
		{"lit*", `lit\*`, 1},
		{"litx", "", 0},
	} {
		t.publish(t.name(c.channel), c.channel, c.n)
		if c.n > 0 {
			t.next(r, broker.Message{Channel: t.name(c.channel), Pattern: t.name(c.pattern), ByPattern: true, Payload: []byte(c.channel)})
		}
	}
}

// pubsubOrder: the messages of one publisher on one channel arrive in order.
func pubsubOrder(t *suite) {
	ch := t.name("seq")
	r := t.listen([]string{ch}, nil)
	const n = 200
	for i := range n {
		t.publish(ch, strconv.Itoa(i), 1)
	}
	for i := range n {
		t.next(r, broker.Message{Channel: ch, Payload: []byte(strconv.Itoa(i))})
	}
}

// pubsubClose: Next honours ctx, returns ErrClosed after Close; a closed
// receiver no longer counts.
func pubsubClose(t *suite) {
	ch := t.name("c")
	r, err := t.c.Listen(t.ctx, []string{ch}, nil)
	t.ok("Listen", err)
	ctx, cancel := context.WithCancel(t.ctx)
	cancel()
	_, err = r.Next(ctx)
	t.wantErr("Next with an ended ctx", err, context.Canceled)
	t.ok("Close", r.Close())
	t.ok("second Close", r.Close())
	_, err = r.Next(t.ctx)
	t.wantErr("Next after Close", err, broker.ErrClosed)
	t.publish(ch, "x", 0)
}

// pubsubClientClose: closing the client ends its receivers and its calls.
func pubsubClientClose(t *suite) {
	r, err := t.c.Listen(t.ctx, []string{t.name("c")}, nil)
	t.ok("Listen", err)
	t.ok("Close", t.c.Close())
	_, err = r.Next(t.ctx)
	t.wantErr("Next after the client's Close", err, broker.ErrClosed)
	_, err = t.c.Publish(t.ctx, t.name("c"), nil)
	t.wantErr("Publish after Close", err, broker.ErrClosed)
	_, err = t.c.XLen(t.ctx, t.name("s"))
	t.wantErr("XLen after Close", err, broker.ErrClosed)
	r.Close()
}

func pubsubListenNothing(t *suite) {
	_, err := t.c.Listen(t.ctx, nil, nil)
	t.wantErr("Listen()", err, broker.ErrInvalidArgument)
}
