package broker_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"sync"
	"testing"

	"github.com/brookmq/brook/broker"
)

func psNewBroker(t *testing.T, o broker.Options) *broker.Broker {
	t.Helper()
	return newBroker(t, o)
}

func psPublish(t *testing.T, b *broker.Broker, ch, payload string) int {
	t.Helper()
	n, err := b.Publish(context.Background(), ch, []byte(payload))
	if err != nil {
		t.Fatalf("Publish(%q): %v", ch, err)
	}
	return n
}

// psNext returns the next message, failing if none is queued (the context is
// already cancelled, so Next cannot wait).
func psNext(t *testing.T, s *broker.Subscription) broker.Message {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	m, err := s.Next(ctx)
	if err != nil {
		t.Fatalf("Next: %v", err)
	}
	return m
}

// psQueued drains every queued message without waiting.
func psQueued(s *broker.Subscription) ([]broker.Message, error) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	var out []broker.Message
	for {
		m, err := s.Next(ctx)
		if errors.Is(err, context.Canceled) {
			return out, nil
		}
		if err != nil {
			return out, err
		}
		out = append(out, m)
	}
}

func psConf(kind, name string, count int) broker.Confirmation {
	return broker.Confirmation{Kind: kind, Name: name, Count: count}
}

func TestConfirmations(t *testing.T) {
	type step struct {
		op    string // sub, psub, unsub, punsub
		names []string
		want  []broker.Confirmation
	}
	tests := []struct {
		name  string
		steps []step
	}{
		{"subscribe counts", []step{
			{"sub", []string{"a", "b"}, []broker.Confirmation{psConf("subscribe", "a", 1), psConf("subscribe", "b", 2)}},
			{"psub", []string{"a*"}, []broker.Confirmation{psConf("psubscribe", "a*", 3)}},
		}},
		{"resubscribe keeps count", []step{
			{"sub", []string{"a", "a"}, []broker.Confirmation{psConf("subscribe", "a", 1), psConf("subscribe", "a", 1)}},
			{"psub", []string{"a", "a"}, []broker.Confirmation{psConf("psubscribe", "a", 2), psConf("psubscribe", "a", 2)}},
		}},
		{"unsubscribe named, absent too", []step{
			{"sub", []string{"a", "b"}, nil},
			{"unsub", []string{"b", "zz"}, []broker.Confirmation{psConf("unsubscribe", "b", 1), psConf("unsubscribe", "zz", 1)}},
		}},
		{"unsubscribe all sorted", []step{
			{"sub", []string{"c", "a", "b"}, nil},
			{"psub", []string{"p*"}, nil},
			{"unsub", nil, []broker.Confirmation{psConf("unsubscribe", "a", 3), psConf("unsubscribe", "b", 2), psConf("unsubscribe", "c", 1)}},
			{"punsub", nil, []broker.Confirmation{psConf("punsubscribe", "p*", 0)}},
		}},
		{"unsubscribe all with none", []step{
			{"psub", []string{"p*"}, nil},
			{"unsub", nil, []broker.Confirmation{psConf("unsubscribe", "", 1)}},
			{"punsub", []string{"p*"}, []broker.Confirmation{psConf("punsubscribe", "p*", 0)}},
			{"punsub", nil, []broker.Confirmation{psConf("punsubscribe", "", 0)}},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := psNewBroker(t, broker.Options{})
			s := newSub(t, b, broker.SubscriptionOptions{})
			defer s.Close()
			for i, st := range tt.steps {
				ops := map[string]func(...string) ([]broker.Confirmation, error){
					"sub": s.Subscribe, "psub": s.PSubscribe, "unsub": s.Unsubscribe, "punsub": s.PUnsubscribe,
				}
				got, err := ops[st.op](st.names...)
				if err != nil {
					t.Fatalf("step %d %s: %v", i, st.op, err)
				}
				if st.want != nil && !slices.Equal(got, st.want) {
					t.Errorf("step %d %s%q = %v, want %v", i, st.op, st.names, got, st.want)
				}
			}
		})
	}
}

func TestPublishCounts(t *testing.T) {
	b := psNewBroker(t, broker.Options{})
	s1 := newSub(t, b, broker.SubscriptionOptions{})
	if _, err := s1.Subscribe("news.tech"); err != nil {
		t.Fatal(err)
	}
	if _, err := s1.PSubscribe("news.*", "*"); err != nil {
		t.Fatal(err)
	}
	s2, err := b.PSubscribe("news.*")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		channel string
		want    int
	}{
		{"news.tech", 4},
		{"news.art", 3},
		{"other", 1},
		{"", 0}, // "*" does not match the empty channel
	}
	for _, tt := range tests {
		if got := psPublish(t, b, tt.channel, "x"); got != tt.want {
			t.Errorf("Publish(%q) = %d, want %d", tt.channel, got, tt.want)
		}
	}
	got, err := psQueued(s1)
	if err != nil {
		t.Fatal(err)
	}
	want := []broker.Message{
		{Channel: "news.tech", Payload: []byte("x")},
		{Channel: "news.tech", Pattern: "news.*", ByPattern: true, Payload: []byte("x")},
		{Channel: "news.tech", Pattern: "*", ByPattern: true, Payload: []byte("x")},
		{Channel: "news.art", Pattern: "news.*", ByPattern: true, Payload: []byte("x")},
		{Channel: "news.art", Pattern: "*", ByPattern: true, Payload: []byte("x")},
		{Channel: "other", Pattern: "*", ByPattern: true, Payload: []byte("x")},
	}
	if fmt.Sprint(psSortedMsgs(got)) != fmt.Sprint(psSortedMsgs(want)) {
		t.Errorf("s1 got %v, want %v", got, want)
	}
	if got := psNext(t, s2); got.Channel != "news.tech" || got.Pattern != "news.*" || !got.ByPattern {
		t.Errorf("s2 got %+v", got)
	}
	s1.Close()
	s2.Close()
	if got := psPublish(t, b, "news.tech", "x"); got != 0 {
		t.Errorf("Publish after Close = %d, want 0", got)
	}
}

// TestEmptyPattern checks that the pattern "" matches only the channel ""
// and that its deliveries are marked ByPattern, unlike those of the channel
// "".
func TestEmptyPattern(t *testing.T) {
	b := psNewBroker(t, broker.Options{})
	s := newSub(t, b, broker.SubscriptionOptions{})
	defer s.Close()
	s.Subscribe("")
	s.PSubscribe("")
	tests := []struct {
		channel string
		want    []string
	}{
		{"", []string{"||false|x", "||true|x"}},
		{"a", nil},
	}
	for _, tt := range tests {
		if n := psPublish(t, b, tt.channel, "x"); n != len(tt.want) {
			t.Errorf("Publish(%q) = %d, want %d", tt.channel, n, len(tt.want))
		}
		got, err := psQueued(s)
		if err != nil {
			t.Fatal(err)
		}
		if g := psSortedMsgs(got); !slices.Equal(g, tt.want) {
			t.Errorf("Publish(%q) delivered %q, want %q", tt.channel, g, tt.want)
		}
	}
}

// psSortedMsgs orders the pattern deliveries of one publish, whose relative
// order is unspecified, for comparison.
func psSortedMsgs(ms []broker.Message) []string {
	out := make([]string, len(ms))
	for i, m := range ms {
		out[i] = fmt.Sprintf("%s|%s|%t|%s", m.Channel, m.Pattern, m.ByPattern, m.Payload)
	}
	slices.Sort(out)
	return out
}

func TestIntrospection(t *testing.T) {
	b := psNewBroker(t, broker.Options{})
	s1, _ := b.Subscribe("news.tech", "news.art", "sport", "")
	s2, _ := b.Subscribe("news.tech")
	p1, _ := b.PSubscribe("news.*", "a?")
	p2, _ := b.PSubscribe("news.*")
	defer p2.Close()

	chans := []struct {
		pattern string
		want    []string
	}{
		{"*", []string{"news.art", "news.tech", "sport"}}, // "*" never matches ""
		{"", []string{""}}, // a glob: only the empty channel
		{"news.*", []string{"news.art", "news.tech"}},
		{"nothing", []string{}},
	}
	for _, tt := range chans {
		if got := b.Channels(tt.pattern); !slices.Equal(got, tt.want) {
			t.Errorf("Channels(%q) = %q, want %q", tt.pattern, got, tt.want)
		}
	}
	if got, want := b.NumSub("news.tech", "sport", "news.*", "news.tech", "x"), []int{2, 1, 0, 2, 0}; !slices.Equal(got, want) {
		t.Errorf("NumSub = %v, want %v", got, want)
	}
	if got := b.NumPat(); got != 2 {
		t.Errorf("NumPat = %d, want 2", got)
	}
	s1.Close()
	p1.Close()
	if got, want := b.Channels("*"), []string{"news.tech"}; !slices.Equal(got, want) {
		t.Errorf("after close Channels = %q, want %q", got, want)
	}
	if got := b.NumPat(); got != 1 {
		t.Errorf("after close NumPat = %d, want 1", got)
	}
	if _, err := s2.Unsubscribe("news.tech"); err != nil {
		t.Fatal(err)
	}
	if got := b.Channels("*"); len(got) != 0 {
		t.Errorf("after unsubscribe Channels = %q, want none", got)
	}
}

// TestOrderPerPublisher runs publishers concurrently with subscribers that
// check every publisher's sequence arrives in order, by channel and by
// pattern.
func TestOrderPerPublisher(t *testing.T) {
	const publishers, perPub, readers = 4, 2000, 3
	b := psNewBroker(t, broker.Options{PubSub: broker.PubSubOptions{HardLimit: -1, SoftLimit: -1}})
	var subs []*broker.Subscription
	for range readers {
		s, err := b.Subscribe("ch0", "ch1", "ch2", "ch3")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.PSubscribe("ch*"); err != nil {
			t.Fatal(err)
		}
		subs = append(subs, s)
	}
	var wg sync.WaitGroup
	errs := make(chan error, readers)
	for _, s := range subs {
		wg.Go(func() { errs <- psCheckOrder(s, publishers, perPub*2) })
	}
	var pubs sync.WaitGroup
	for p := range publishers {
		pubs.Go(func() {
			ch := "ch" + strconv.Itoa(p)
			for i := range perPub {
				if n, err := b.Publish(context.Background(), ch, []byte(strconv.Itoa(i))); err != nil || n != 2*readers {
					errs <- fmt.Errorf("Publish = %d, %v", n, err)
					return
				}
			}
		})
	}
	pubs.Wait()
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
}

// psCheckOrder reads want messages per publisher channel and checks that each
// (channel, pattern) sequence increases by one.
func psCheckOrder(s *broker.Subscription, publishers, want int) error {
	defer s.Close()
	last := map[string]int{}
	total := 0
	for m, err := range s.Messages(context.Background()) {
		if err != nil {
			return err
		}
		key := m.Channel + "|" + m.Pattern
		v, _ := strconv.Atoi(string(m.Payload))
		prev, ok := last[key]
		if !ok {
			prev = -1
		}
		if v != prev+1 {
			return fmt.Errorf("%s: got %d after %d", key, v, prev)
		}
		last[key] = v
		if total++; total == publishers*want {
			return nil
		}
	}
	return errors.New("messages ended early")
}

// TestConcurrentChurn subscribes, unsubscribes and closes while publishers
// run, for the race detector; counts must stay consistent.
func TestConcurrentChurn(t *testing.T) {
	b := psNewBroker(t, broker.Options{})
	var wg sync.WaitGroup
	for p := range 2 {
		wg.Go(func() {
			for i := range 3000 {
				if _, err := b.Publish(context.Background(), "c"+strconv.Itoa((i+p)%3), nil); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	for r := range 3 {
		wg.Go(func() {
			for i := range 200 {
				s, err := b.NewSubscription(broker.SubscriptionOptions{})
				if err != nil {
					t.Error(err)
					return
				}
				s.Subscribe("c" + strconv.Itoa(i%3))
				s.PSubscribe("c*", "c"+strconv.Itoa(r))
				if i%2 == 0 {
					s.Unsubscribe()
					s.PUnsubscribe()
				}
				if _, err := psQueued(s); err != nil {
					t.Error(err)
				}
				s.Close()
			}
		})
	}
	wg.Wait()
	if got := b.NumSub("c0", "c1", "c2"); !slices.Equal(got, []int{0, 0, 0}) {
		t.Errorf("NumSub after churn = %v", got)
	}
	if got := b.NumPat(); got != 0 {
		t.Errorf("NumPat after churn = %d", got)
	}
}

func TestNextAndClose(t *testing.T) {
	b := psNewBroker(t, broker.Options{})
	s, _ := b.Subscribe("a")
	psPublish(t, b, "a", "1")
	psPublish(t, b, "a", "2")
	if m := psNext(t, s); string(m.Payload) != "1" {
		t.Fatalf("first = %q", m.Payload)
	}
	s.Close()
	// Close drops what is still queued or batched: the reader stops at once.
	if _, err := s.Next(context.Background()); !errors.Is(err, broker.ErrClosed) {
		t.Errorf("Next after Close = %v, want ErrClosed", err)
	}
	if err := s.Close(); err != nil {
		t.Errorf("second Close = %v", err)
	}
	for name, op := range map[string]func(...string) ([]broker.Confirmation, error){
		"Subscribe": s.Subscribe, "PSubscribe": s.PSubscribe, "Unsubscribe": s.Unsubscribe, "PUnsubscribe": s.PUnsubscribe,
	} {
		if _, err := op("a"); !errors.Is(err, broker.ErrClosed) {
			t.Errorf("%s after Close = %v, want ErrClosed", name, err)
		}
	}
}

func TestNextContext(t *testing.T) {
	b := psNewBroker(t, broker.Options{})
	s, _ := b.Subscribe("a")
	defer s.Close()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := s.Next(ctx); !errors.Is(err, context.Canceled) {
		t.Errorf("Next = %v, want Canceled", err)
	}
	// A queued message wins over a done context.
	psPublish(t, b, "a", "x")
	if m, err := s.Next(ctx); err != nil || string(m.Payload) != "x" {
		t.Errorf("Next = %+v, %v", m, err)
	}
}

func TestBrokerClose(t *testing.T) {
	b := newBroker(t, broker.Options{})
	s, _ := b.Subscribe("a")
	psPublish(t, b, "a", "x")
	b.Close()
	if _, err := s.Next(context.Background()); !errors.Is(err, broker.ErrClosed) {
		t.Errorf("Next after broker Close = %v, want ErrClosed", err)
	}
	if _, err := b.Publish(context.Background(), "a", nil); !errors.Is(err, broker.ErrClosed) {
		t.Errorf("Publish after Close = %v, want ErrClosed", err)
	}
	if _, err := b.Subscribe("a"); !errors.Is(err, broker.ErrClosed) {
		t.Errorf("Subscribe after Close = %v, want ErrClosed", err)
	}
	late, err := b.NewSubscription(broker.SubscriptionOptions{})
	if err != nil {
		t.Fatalf("NewSubscription after Close = %v; want a closed subscription", err)
	}
	if _, err := late.Next(context.Background()); !errors.Is(err, broker.ErrClosed) {
		t.Errorf("Next on late subscription = %v, want ErrClosed", err)
	}
	if err := s.Close(); err != nil {
		t.Errorf("Close after broker Close = %v", err)
	}
}

func TestMessagesIterator(t *testing.T) {
	b := psNewBroker(t, broker.Options{})
	s, _ := b.Subscribe("a")
	for i := range 3 {
		psPublish(t, b, "a", strconv.Itoa(i))
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var got []string
	var last error
	for m, err := range s.Messages(ctx) {
		if err != nil {
			last = err
			continue // the iterator must stop by itself after an error
		}
		got = append(got, string(m.Payload))
		if len(got) == 3 {
			cancel()
		}
	}
	if !slices.Equal(got, []string{"0", "1", "2"}) || !errors.Is(last, context.Canceled) {
		t.Errorf("got %q, last error %v", got, last)
	}
	s.Close()
	for _, err := range s.Messages(context.Background()) {
		if !errors.Is(err, broker.ErrClosed) {
			t.Errorf("after Close: %v", err)
		}
	}
}

func TestSlowPolicyString(t *testing.T) {
	for p, want := range map[broker.SlowPolicy]string{
		broker.PolicyDisconnect: "disconnect", broker.PolicyDropOldest: "drop-oldest",
		broker.PolicyBlock: "block", 9: "SlowPolicy(9)",
	} {
		if got := p.String(); got != want {
			t.Errorf("%d.String() = %q, want %q", p, got, want)
		}
	}
}

// TestInvalidPolicy: an unknown SlowPolicy is refused by New, Open and
// NewSubscription with ErrInvalidArgument.
func TestInvalidPolicy(t *testing.T) {
	bad := broker.PubSubOptions{Policy: 9}
	if b, err := broker.New(broker.Options{PubSub: bad}); !errors.Is(err, broker.ErrInvalidArgument) || b != nil {
		t.Errorf("New with an unknown policy = %v, %v; want nil, ErrInvalidArgument", b, err)
	}
	if b, err := broker.Open(t.TempDir(), broker.Options{PubSub: bad}); !errors.Is(err, broker.ErrInvalidArgument) || b != nil {
		t.Errorf("Open with an unknown policy = %v, %v; want nil, ErrInvalidArgument", b, err)
	}
	b := psNewBroker(t, broker.Options{})
	if s, err := b.NewSubscription(broker.SubscriptionOptions{Limits: bad}); !errors.Is(err, broker.ErrInvalidArgument) || s != nil {
		t.Errorf("NewSubscription with an unknown policy = %v, %v; want nil, ErrInvalidArgument", s, err)
	}
	if got := b.NumSub(); len(got) != 0 {
		t.Errorf("NumSub() = %v", got)
	}
}
