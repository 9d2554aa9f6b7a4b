package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/brookmq/brook/broker"
	"github.com/coder/websocket"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// start serves a chat over b on a loopback port; the cleanup closes the
// sockets, the server and the broker, in that order.
func start(t *testing.T, b *broker.Broker, limits broker.PubSubOptions) (*Server, *httptest.Server) {
	t.Helper()
	chat := NewServer(b, limits)
	ts := httptest.NewServer(chat.Handler())
	t.Cleanup(func() {
		chat.Close()
		ts.Close()
		b.Close()
	})
	return chat, ts
}

func newBroker(t *testing.T) *broker.Broker {
	t.Helper()
	b, err := broker.New(broker.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// testCtx bounds a test so that a hang is a failure, not a timeout of the
// whole run.
func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	t.Cleanup(cancel)
	return ctx
}

type client struct {
	t *testing.T
	c *websocket.Conn
}

func dial(ctx context.Context, t *testing.T, ts *httptest.Server, room, name string) *client {
	t.Helper()
	return dialURL(ctx, t, ts.URL, room, name)
}

// dialURL is dial to the server at base ("http://host:port").
func dialURL(ctx context.Context, t *testing.T, base, room, name string) *client {
	t.Helper()
	u := "ws" + strings.TrimPrefix(base, "http") + "/ws?" + url.Values{"room": {room}, "name": {name}}.Encode()
	c, _, err := websocket.Dial(ctx, u, nil)
	if err != nil {
		t.Fatalf("dial %s: %v", u, err)
	}
	c.SetReadLimit(1 << 20)
	t.Cleanup(func() { c.CloseNow() })
	return &client{t: t, c: c}
}

// until reads frames until one satisfies ok, and returns it.
func (cl *client) until(ctx context.Context, what string, ok func(Frame) bool) Frame {
	cl.t.Helper()
	for {
		_, data, err := cl.c.Read(ctx)
		if err != nil {
			cl.t.Fatalf("waiting for %s: %v", what, err)
		}
		var f Frame
		if err := json.Unmarshal(data, &f); err != nil {
			cl.t.Fatalf("frame %q: %v", data, err)
		}
		if ok(f) {
			return f
		}
	}
}

func (cl *client) send(ctx context.Context, text string) {
	cl.t.Helper()
	data, _ := json.Marshal(map[string]string{"text": text})
	if err := cl.c.Write(ctx, websocket.MessageText, data); err != nil {
		cl.t.Fatal(err)
	}
}

func isType(typ string) func(Frame) bool { return func(f Frame) bool { return f.Type == typ } }

// TestRoom: two people join (each sees who is online), one sends, the other
// receives; a third joins later and gets the message as history; a leave is
// announced with the new list; rooms are separate.
func TestRoom(t *testing.T) {
	ctx := testCtx(t)
	_, ts := start(t, newBroker(t), broker.PubSubOptions{})

	ana := dial(ctx, t, ts, "lobby", "ana")
	if h := ana.until(ctx, "history", isType("history")); len(h.Messages) != 0 {
		t.Fatalf("history of a new room: %v", h.Messages)
	}
	ana.until(ctx, "own join", isType("join"))
	bo := dial(ctx, t, ts, "lobby", "bo")
	bo.until(ctx, "history", isType("history"))
	j := ana.until(ctx, "bo's join", isType("join"))
	if j.From != "bo" || !slices.Equal(j.Online, []string{"ana", "bo"}) {
		t.Fatalf("join notice %+v", j)
	}
	other := dial(ctx, t, ts, "golang", "cy") // another room: hears nothing of the lobby
	other.until(ctx, "history", isType("history"))

	ana.send(ctx, "hello <b>bo</b>")
	m := bo.until(ctx, "the message", isType("message"))
	if m.From != "ana" || m.Text != "hello <b>bo</b>" || m.ID == "" {
		t.Fatalf("message %+v", m)
	}

	dee := dial(ctx, t, ts, "lobby", "dee")
	h := dee.until(ctx, "history", isType("history"))
	if len(h.Messages) != 1 || h.Messages[0] != (Message{ID: m.ID, From: "ana", Text: m.Text}) {
		t.Fatalf("history %+v, want the message %+v", h.Messages, m)
	}
	j = dee.until(ctx, "own join", isType("join"))
	if !slices.Equal(j.Online, []string{"ana", "bo", "dee"}) {
		t.Fatalf("online %v", j.Online)
	}
	// The message is not sent again live after the history.
	ana.send(ctx, "second")
	if m2 := dee.until(ctx, "a message", isType("message")); m2.Text != "second" {
		t.Fatalf("after the history dee got %+v, want only the new message", m2)
	}

	bo.c.Close(websocket.StatusNormalClosure, "")
	l := ana.until(ctx, "bo's leave", isType("leave"))
	if l.From != "bo" || !slices.Equal(l.Online, []string{"ana", "dee"}) {
		t.Fatalf("leave notice %+v", l)
	}
	other.send(ctx, "in golang")
	if f := dee.until(ctx, "anything", func(Frame) bool { return true }); f.Type == "message" {
		t.Fatalf("a message of another room reached the lobby: %+v", f)
	}
}

// TestBadRequests: unknown rooms and bad names are refused before the
// upgrade.
func TestBadRequests(t *testing.T) {
	ctx := testCtx(t)
	_, ts := start(t, newBroker(t), broker.PubSubOptions{})
	for _, q := range []url.Values{
		{"room": {"nowhere"}, "name": {"ana"}},
		{"room": {"lobby"}, "name": {""}},
		{"room": {"lobby"}, "name": {"a\nb"}},
		{"room": {"lobby"}, "name": {strings.Repeat("x", 25)}},
	} {
		u := "ws" + strings.TrimPrefix(ts.URL, "http") + "/ws?" + q.Encode()
		if c, _, err := websocket.Dial(ctx, u, nil); err == nil {
			c.CloseNow()
			t.Errorf("%v: accepted", q)
		}
	}
}

// TestSlowTab: a tab that stops reading is disconnected by the
// slow-consumer policy and told so with a last frame and the close status
// "policy violation"; the others in the room get every message.
func TestSlowTab(t *testing.T) {
	ctx := testCtx(t)
	chat, ts := start(t, newBroker(t), broker.PubSubOptions{HardLimit: 64 << 10, SoftLimit: -1})

	fast := dial(ctx, t, ts, "lobby", "fast")
	fast.until(ctx, "own join", isType("join"))
	slow := dial(ctx, t, ts, "lobby", "slow")
	slow.until(ctx, "own join", isType("join")) // from now on it reads nothing
	fast.until(ctx, "slow's join", isType("join"))

	// Send until a message reaches one socket only: the slow tab's queue
	// went over the hard limit once its TCP buffers were full. The fast tab
	// reads each message before the next is sent.
	text := strings.Repeat("x", 16<<10)
	sent := 0
	for {
		n, err := chat.Send(ctx, "lobby", "bot", fmt.Sprint(sent, text))
		if err != nil {
			t.Fatal(err)
		}
		sent++
		want := fmt.Sprint(sent-1, text)
		if m := fast.until(ctx, "message", isType("message")); m.Text != want {
			t.Fatalf("fast tab got message %.10q, want %.10q", m.Text, want)
		}
		if n == 1 {
			break
		}
		if sent == 10000 {
			t.Fatal("the slow tab was never disconnected")
		}
	}
	t.Logf("the slow tab was disconnected after %d messages of 16 KiB", sent)

	// The slow tab now reads what its socket holds, then the notice.
	var notice Frame
	for {
		_, data, err := slow.c.Read(ctx)
		if err != nil {
			if websocket.CloseStatus(err) != websocket.StatusPolicyViolation {
				t.Fatalf("slow tab closed with %v, want policy violation", err)
			}
			break
		}
		_ = json.Unmarshal(data, &notice)
	}
	if notice.Type != "dropped" || !strings.Contains(notice.Text, "could not keep up") {
		t.Fatalf("last frame of the slow tab %+v, want the notice", notice)
	}
	l := fast.until(ctx, "slow's leave", isType("leave"))
	if l.From != "slow" || !slices.Equal(l.Online, []string{"fast"}) {
		t.Fatalf("leave notice %+v", l)
	}
	// The room goes on.
	if _, err := chat.Send(ctx, "lobby", "bot", "still here"); err != nil {
		t.Fatal(err)
	}
	if m := fast.until(ctx, "message", isType("message")); m.Text != "still here" {
		t.Fatalf("fast tab got %.20q", m.Text)
	}
}

// TestHistorySurvivesRestart: with a data directory, a new server on the
// same directory sends the history of before.
func TestHistorySurvivesRestart(t *testing.T) {
	ctx := testCtx(t)
	dir := filepath.Join(t.TempDir(), "data")
	b, err := broker.Open(dir, broker.Options{})
	if err != nil {
		t.Fatal(err)
	}
	chat := NewServer(b, broker.PubSubOptions{})
	for i := range 60 {
		if _, err := chat.Send(ctx, "golang", "ana", fmt.Sprint("message ", i)); err != nil {
			t.Fatal(err)
		}
	}
	chat.Close()
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}

	b, err = broker.Open(dir, broker.Options{})
	if err != nil {
		t.Fatal(err)
	}
	_, ts := start(t, b, broker.PubSubOptions{})
	h := dial(ctx, t, ts, "golang", "bo").until(ctx, "history", isType("history"))
	if len(h.Messages) != historyLen || h.Messages[0].Text != "message 10" || h.Messages[historyLen-1].Text != "message 59" {
		t.Fatalf("history after a restart: %d messages, %+v ... %+v", len(h.Messages), h.Messages[0], h.Messages[len(h.Messages)-1])
	}
}

// TestCloseClosesSockets: Close ends every socket with "going away" and
// refuses new ones.
func TestCloseClosesSockets(t *testing.T) {
	ctx := testCtx(t)
	chat, ts := start(t, newBroker(t), broker.PubSubOptions{})
	c := dial(ctx, t, ts, "lobby", "ana")
	c.until(ctx, "own join", isType("join"))
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			if _, _, err := c.c.Read(ctx); err != nil {
				if websocket.CloseStatus(err) != websocket.StatusGoingAway && !errors.Is(err, context.Canceled) {
					t.Errorf("socket closed with %v, want going away", err)
				}
				return
			}
		}
	}()
	chat.Close()
	<-done
	u := "ws" + strings.TrimPrefix(ts.URL, "http") + "/ws?room=lobby&name=bo"
	if c, _, err := websocket.Dial(ctx, u, nil); err == nil {
		c.CloseNow()
		t.Error("a socket was accepted after Close")
	}
}
