package command_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/brookmq/brook/broker"
	"github.com/brookmq/brook/command"
)

// sessionDo runs line in s and returns the printed replies.
func sessionDo(t *testing.T, s *command.Session, line string) string {
	t.Helper()
	args, err := command.SplitArgs(line)
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	for _, r := range s.Do(context.Background(), args) {
		b.WriteString(r.String())
	}
	return b.String()
}

// drain returns the printed messages already queued for s.
func drain(s *command.Session) string {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	var b strings.Builder
	for {
		r, err := s.Next(ctx)
		if err != nil {
			return b.String()
		}
		b.WriteString(r.String())
	}
}

func TestSessionSubscribe(t *testing.T) {
	h := newHandler(t)
	s := h.NewSession()
	defer s.Close()
	steps := []struct{ line, want, msgs string }{
		{"UNSUBSCRIBE", "1) \"unsubscribe\"\n2) (nil)\n3) (integer) 0\n", ""},
		{"SUBSCRIBE a b", "1) \"subscribe\"\n2) \"a\"\n3) (integer) 1\n" +
			"1) \"subscribe\"\n2) \"b\"\n3) (integer) 2\n", ""},
		{"PSUBSCRIBE a*", "1) \"psubscribe\"\n2) \"a*\"\n3) (integer) 3\n", ""},
		{"SUBSCRIBE a", "1) \"subscribe\"\n2) \"a\"\n3) (integer) 3\n", ""},
		{"PING", "1) \"pong\"\n2) \"\"\n", ""},
		{"ping hi", "1) \"pong\"\n2) \"hi\"\n", ""},
		{"PING a b", "(error) ERR wrong number of arguments for 'ping' command\n", ""},
		{"XLEN k", "(error) ERR Can't execute 'xlen': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / " +
			"QUIT / RESET are allowed in this context\n", ""},
		{"SUBSCRIBE", "(error) ERR wrong number of arguments for 'subscribe' command\n", ""},
		{"PUNSUBSCRIBE", "1) \"punsubscribe\"\n2) \"a*\"\n3) (integer) 2\n", ""},
		{"PUNSUBSCRIBE", "1) \"punsubscribe\"\n2) (nil)\n3) (integer) 2\n", ""},
		{"UNSUBSCRIBE b a", "1) \"unsubscribe\"\n2) \"b\"\n3) (integer) 1\n" +
			"1) \"unsubscribe\"\n2) \"a\"\n3) (integer) 0\n", ""},
		{"PING", "PONG\n", ""},
	}
	for _, st := range steps {
		if got := sessionDo(t, s, st.line); got != st.want {
			t.Errorf("%s:\n got %q\nwant %q", st.line, got, st.want)
		}
	}
	if s.Subscribed() {
		t.Error("still subscribed after unsubscribing from everything")
	}
	// The channel "" is a name like any other.
	for _, st := range []struct{ line, want string }{
		{`SUBSCRIBE ""`, "1) \"subscribe\"\n2) \"\"\n3) (integer) 1\n"},
		{"UNSUBSCRIBE", "1) \"unsubscribe\"\n2) \"\"\n3) (integer) 0\n"},
		{"UNSUBSCRIBE", "1) \"unsubscribe\"\n2) (nil)\n3) (integer) 0\n"},
	} {
		if got := sessionDo(t, s, st.line); got != st.want {
			t.Errorf("%s:\n got %q\nwant %q", st.line, got, st.want)
		}
	}
}

func TestSessionMessages(t *testing.T) {
	h := newHandler(t)
	s := h.NewSession()
	defer s.Close()
	sessionDo(t, s, "SUBSCRIBE news")
	sessionDo(t, s, "PSUBSCRIBE n*")
	if !s.Subscribed() {
		t.Fatal("not subscribed")
	}
	// Another client publishes.
	if got := do(t, h, `PUBLISH news "hello\x00"`); got != "(integer) 2\n" {
		t.Fatalf("PUBLISH = %q", got)
	}
	want := "1) \"message\"\n2) \"news\"\n3) \"hello\\x00\"\n" +
		"1) \"pmessage\"\n2) \"n*\"\n3) \"news\"\n4) \"hello\\x00\"\n"
	if got := drain(s); got != want {
		t.Errorf("messages:\n got %q\nwant %q", got, want)
	}
	if got := drain(s); got != "" {
		t.Errorf("second drain = %q, want nothing", got)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Next(context.Background()); !errors.Is(err, broker.ErrClosed) {
		t.Errorf("Next after Close: %v, want ErrClosed", err)
	}
	if s.Subscribed() {
		t.Error("Subscribed after Close")
	}
}

// TestSessionEmptyPattern checks that a delivery by the pattern "" (which
// matches only the channel "") is pushed as a pmessage, as Redis does, not
// as a channel message.
func TestSessionEmptyPattern(t *testing.T) {
	tests := []struct {
		name, subscribe, publish, count, want string
	}{
		{"pattern", `PSUBSCRIBE ""`, `PUBLISH "" x`, "(integer) 1\n",
			"1) \"pmessage\"\n2) \"\"\n3) \"\"\n4) \"x\"\n"},
		{"pattern, other channel", `PSUBSCRIBE ""`, "PUBLISH a x", "(integer) 0\n", ""},
		{"channel", `SUBSCRIBE ""`, `PUBLISH "" x`, "(integer) 1\n",
			"1) \"message\"\n2) \"\"\n3) \"x\"\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHandler(t)
			s := h.NewSession()
			defer s.Close()
			sessionDo(t, s, tt.subscribe)
			if got := do(t, h, tt.publish); got != tt.count {
				t.Fatalf("%s = %q, want %q", tt.publish, got, tt.count)
			}
			if got := drain(s); got != tt.want {
				t.Errorf("messages:\n got %q\nwant %q", got, tt.want)
			}
		})
	}
}

func TestSessionNextWithoutSubscription(t *testing.T) {
	s := newHandler(t).NewSession()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := s.Next(ctx); !errors.Is(err, context.Canceled) {
		t.Errorf("Next = %v, want context.Canceled", err)
	}
	if got := sessionDo(t, s, "XADD k 1-0 f v"); got != "\"1-0\"\n" {
		t.Errorf("XADD in a session = %q", got)
	}
}

func TestMessageReply(t *testing.T) {
	tests := []struct {
		name string
		m    broker.Message
		want string
	}{
		{"channel", broker.Message{Channel: "c", Payload: []byte("p")}, "1) \"message\"\n2) \"c\"\n3) \"p\"\n"},
		{"pattern", broker.Message{Channel: "c", Pattern: "*", ByPattern: true, Payload: []byte("p")},
			"1) \"pmessage\"\n2) \"*\"\n3) \"c\"\n4) \"p\"\n"},
		{"empty pattern", broker.Message{ByPattern: true, Payload: []byte("p")},
			"1) \"pmessage\"\n2) \"\"\n3) \"\"\n4) \"p\"\n"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := command.MessageReply(tc.m).String(); got != tc.want {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}
