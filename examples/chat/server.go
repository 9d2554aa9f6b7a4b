package main

import (
	"context"
	"embed"
	"encoding/json"
	"errors"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/brookmq/brook/broker"
	"github.com/coder/websocket"
)

// Rooms are the rooms of the chat. Room r is the Pub/Sub channel "room:r"
// for live messages and the stream "history:r" for its history.
var Rooms = []string{"lobby", "golang", "random"}

const (
	historyLen = 50   // messages sent on join
	keepLen    = 1000 // messages a room's stream keeps (about)
	maxText    = 2000 // longest message, in bytes
	maxName    = 24   // longest name, in runes
)

//go:embed index.html
var static embed.FS

// Frame is what the server sends over a WebSocket, as JSON. Type is
// "history" (Messages: the room's last messages, oldest first), "message"
// (ID, From, Text), "join" and "leave" (From, Online: who is in the room
// now), or "dropped" (Text: why the server is closing the socket).
type Frame struct {
	Type     string    `json:"type"`
	ID       string    `json:"id,omitempty"`
	From     string    `json:"from,omitempty"`
	Text     string    `json:"text,omitempty"`
	Online   []string  `json:"online,omitempty"`
	Messages []Message `json:"messages,omitempty"`
}

// Message is one chat message; its ID is its entry in the room's stream,
// which also gives its time.
type Message struct {
	ID   string `json:"id"`
	From string `json:"from"`
	Text string `json:"text"`
}

// Server is the chat room: an HTTP handler serving the page and the
// WebSocket endpoint, over a broker.Client: the embedded broker, or Redis
// (package github.com/brookmq/brook/redis), where several servers share the
// rooms. It is safe for concurrent use.
type Server struct {
	b broker.Client
	// limits are the queue limits of each socket's subscription on the
	// embedded broker: a browser tab that cannot keep up is disconnected by
	// the slow-consumer policy. On another Client they are not used (see
	// listen).
	limits broker.PubSubOptions
	// writeTimeout bounds one write to a socket.
	writeTimeout time.Duration

	ctx    context.Context // ended by Close: every socket closes
	cancel context.CancelFunc
	wg     sync.WaitGroup // one per open socket

	// mu guards closed and online, and makes each presence change and its
	// notice one step, so notices go out in the order of the changes.
	mu     sync.Mutex
	closed bool
	online map[string]map[string]int // room → name → open sockets

	// sendMu makes appending a message and publishing it one step, so that
	// this server publishes its messages in the order of their IDs. (A
	// socket skips the live messages with an ID up to its history's last,
	// which are exactly those in its history whatever the order; with
	// several servers on one Redis, messages of two servers may arrive
	// out of ID order.)
	sendMu sync.Mutex
}

// NewServer returns a chat server over b. On the embedded broker
// (*broker.Broker) its sockets' subscriptions have the given limits (zero
// fields: the broker's).
func NewServer(b broker.Client, limits broker.PubSubOptions) *Server {
	ctx, cancel := context.WithCancel(context.Background())
	return &Server{b: b, limits: limits, writeTimeout: 30 * time.Second,
		ctx: ctx, cancel: cancel, online: make(map[string]map[string]int)}
}

// Close closes every socket (status "going away") and waits for their
// goroutines. It is idempotent; the broker stays open.
func (s *Server) Close() {
	s.mu.Lock()
	s.closed = true
	s.mu.Unlock()
	s.cancel()
	s.wg.Wait()
}

// Handler serves the page at "/", the rooms at "/rooms" and the WebSocket at
// "/ws?room=ROOM&name=NAME".
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /{$}", http.FileServerFS(static))
	mux.HandleFunc("GET /rooms", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(Rooms)
	})
	mux.HandleFunc("GET /ws", s.serveWS)
	return mux
}

func (s *Server) serveWS(w http.ResponseWriter, r *http.Request) {
	room, name := r.URL.Query().Get("room"), strings.TrimSpace(r.URL.Query().Get("name"))
	if !slices.Contains(Rooms, room) {
		http.Error(w, "unknown room", http.StatusBadRequest)
		return
	}
	if !validName(name) {
		http.Error(w, "a name is 1 to 24 printable characters", http.StatusBadRequest)
		return
	}
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		http.Error(w, "shutting down", http.StatusServiceUnavailable)
		return
	}
	s.wg.Add(1)
	s.mu.Unlock()
	defer s.wg.Done()

	c, err := websocket.Accept(w, r, nil) // same origin only
	if err != nil {
		return
	}
	defer c.CloseNow()
	c.SetReadLimit(4 * maxText)
	s.session(c, room, name)
}

// session runs one socket: subscribe, send the history, announce the join,
// then read what the client sends until it goes; a second goroutine writes
// what the subscription receives.
func (s *Server) session(c *websocket.Conn, room, name string) {
	// Not derived from s.ctx: an ended context makes the socket close at
	// once, and Close says goodbye first.
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	closing := make(chan struct{})
	stop := context.AfterFunc(s.ctx, func() {
		defer close(closing)
		c.Close(websocket.StatusGoingAway, "server shutting down")
	})
	defer func() {
		if !stop() {
			<-closing
		}
	}()

	// Subscribe before reading the history: a message sent in between is in
	// both, and the writer skips it by ID.
	sub, err := s.listen(ctx, "room:"+room)
	if err != nil {
		return
	}
	defer sub.Close()
	history, err := s.history(ctx, room)
	if err != nil {
		c.Close(websocket.StatusInternalError, "history unavailable")
		return
	}

	done := make(chan struct{})
	go func() {
		defer close(done)
		defer cancel() // a failed write ends the session
		s.write(ctx, c, sub, history)
	}()
	s.presence(room, name, +1)
	defer s.presence(room, name, -1)

	for {
		_, data, err := c.Read(ctx)
		if err != nil {
			break
		}
		var in struct{ Text string }
		if json.Unmarshal(data, &in) != nil || strings.TrimSpace(in.Text) == "" || len(in.Text) > maxText || !utf8.ValidString(in.Text) {
			continue // the page never sends these
		}
		if _, err := s.Send(ctx, room, name, in.Text); err != nil {
			break
		}
	}
	cancel()
	<-done
}

// listen subscribes a socket to channel. On the embedded broker the
// subscription has the sockets' queue limits, so a tab that cannot keep up
// is disconnected (the slow-consumer policy: Subscription options are the
// Broker's, not the contract's). On another Client it is Listen: on Redis a
// receiver's buffering and overflow are go-redis's and the server's (see
// the package documentation of github.com/brookmq/brook/redis), and a slow
// tab is never told; its socket's write timeout still ends it.
func (s *Server) listen(ctx context.Context, channel string) (broker.Receiver, error) {
	b, ok := s.b.(*broker.Broker)
	if !ok {
		return s.b.Listen(ctx, []string{channel}, nil)
	}
	sub, err := b.NewSubscription(broker.SubscriptionOptions{Limits: s.limits})
	if err != nil {
		return nil, err
	}
	if _, err := sub.Subscribe(channel); err != nil {
		sub.Close()
		return nil, err
	}
	return sub, nil
}

// write sends the history, then every live message not already in it, until
// ctx ends or the subscription does. A subscription closed as a slow
// consumer gets a last "dropped" frame (if the socket takes it in time) and
// the close status "policy violation".
func (s *Server) write(ctx context.Context, c *websocket.Conn, sub broker.Receiver, history []Message) {
	var last broker.ID
	if n := len(history); n > 0 {
		last, _ = broker.ParseID(history[n-1].ID)
	}
	first, _ := json.Marshal(Frame{Type: "history", Messages: history})
	if s.writeFrame(ctx, c, first) != nil {
		return
	}
	for {
		m, err := sub.Next(ctx)
		if errors.Is(err, broker.ErrSlowConsumer) {
			bye, _ := json.Marshal(Frame{Type: "dropped",
				Text: "Disconnected: this tab could not keep up with the room."})
			if s.writeFrame(ctx, c, bye) == nil {
				c.Close(websocket.StatusPolicyViolation, "slow consumer")
			}
			return
		}
		if err != nil {
			return
		}
		var f Frame
		if json.Unmarshal(m.Payload, &f) == nil && f.Type == "message" {
			id, err := broker.ParseID(f.ID)
			if err == nil && id.Compare(last) <= 0 {
				continue // already sent with the history
			}
		}
		if s.writeFrame(ctx, c, m.Payload) != nil {
			return
		}
	}
}

func (s *Server) writeFrame(ctx context.Context, c *websocket.Conn, p []byte) error {
	ctx, cancel := context.WithTimeout(ctx, s.writeTimeout)
	defer cancel()
	return c.Write(ctx, websocket.MessageText, p)
}

// Send appends a message to the room's history and publishes it to the
// room. It returns the number of sockets it was delivered to.
func (s *Server) Send(ctx context.Context, room, from, text string) (int, error) {
	s.sendMu.Lock()
	defer s.sendMu.Unlock()
	id, err := s.b.XAdd(ctx, "history:"+room, []broker.Field{{Name: "from", Value: from}, {Name: "text", Value: text}},
		broker.AddOptions{Trim: broker.Trim{Strategy: broker.TrimMaxLen, MaxLen: keepLen, Approx: true}})
	if err != nil {
		return 0, err
	}
	payload, err := json.Marshal(Frame{Type: "message", ID: id.String(), From: from, Text: text})
	if err != nil {
		return 0, err
	}
	return s.b.Publish(ctx, "room:"+room, payload)
}

// history returns the room's last messages, oldest first.
func (s *Server) history(ctx context.Context, room string) ([]Message, error) {
	entries, err := s.b.XRevRange(ctx, "history:"+room, broker.MaxID, broker.MinID, historyLen)
	if err != nil {
		return nil, err
	}
	msgs := make([]Message, 0, len(entries))
	for _, e := range slices.Backward(entries) {
		m := Message{ID: e.ID.String()}
		for _, f := range e.Fields {
			switch f.Name {
			case "from":
				m.From = f.Value
			case "text":
				m.Text = f.Value
			}
		}
		msgs = append(msgs, m)
	}
	return msgs, nil
}

// presence counts a socket in (+1) or out (-1) of a room and tells the room.
// The count is this server's: with several servers on one Redis, every
// server's sockets get the notice, and its online list names the sockets of
// the server that sent it.
func (s *Server) presence(room, name string, delta int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	names := s.online[room]
	if names == nil {
		names = make(map[string]int)
		s.online[room] = names
	}
	names[name] += delta
	if names[name] <= 0 {
		delete(names, name)
	}
	kind := "join"
	if delta < 0 {
		kind = "leave"
	}
	online := make([]string, 0, len(names))
	for n := range names {
		online = append(online, n)
	}
	slices.Sort(online)
	payload, _ := json.Marshal(Frame{Type: kind, From: name, Online: online})
	// Publish does not wait under PolicyDisconnect, so holding mu is cheap;
	// the broker may be closed already when the last sockets leave.
	_, _ = s.b.Publish(context.Background(), "room:"+room, payload)
}

// Online returns who is in room, sorted.
func (s *Server) Online(room string) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var names []string
	for n := range s.online[room] {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

func validName(name string) bool {
	if name == "" || utf8.RuneCountInString(name) > maxName || !utf8.ValidString(name) {
		return false
	}
	for _, r := range name {
		if !unicode.IsPrint(r) {
			return false
		}
	}
	return true
}
