// Command chat is a chat room server embedding brook. Each room is a Pub/Sub
// channel for live messages and a stream for its history: a message is
// appended to the stream (XADD) and published; a browser that joins gets the
// last 50 messages (XREVRANGE), then the live ones, along with join and leave
// notices and who is online. With --dir the history is durable and survives
// a restart.
//
// The page is one static file embedded in the program: no build step, no
// CDN. A browser tab that cannot keep up is disconnected by the broker's
// slow-consumer policy: it is told so, and the rest of the room is
// unaffected.
//
// With --redis ADDR (a Cluster's addresses comma-separated) the rooms live
// on Redis, through github.com/brookmq/brook/redis, and several servers
// share them: a message sent through one reaches the browsers of every
// other. The slow-consumer policy is the embedded broker's; on Redis a
// tab's buffering is go-redis's, and the list of who is online that a
// join or leave notice carries is the sending server's own sockets.
//
// Run it with: go run ./chat (then open http://127.0.0.1:8080); two
// servers on one Redis: go run ./chat --redis 127.0.0.1:6379 --addr
// 127.0.0.1:8080 and, in another terminal, the same with --addr
// 127.0.0.1:8081.
package main

import (
	"context"
	"errors"
	"flag"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/brookmq/brook/broker"
	brookredis "github.com/brookmq/brook/redis"
	"github.com/redis/go-redis/v9"
)

// Limits of each socket's queue: a tab more than 1 MiB behind, or more than
// 256 KiB behind for 10 seconds, is disconnected.
var socketLimits = broker.PubSubOptions{HardLimit: 1 << 20, SoftLimit: 256 << 10, SoftPeriod: 10 * time.Second}

func main() {
	addr := flag.String("addr", "127.0.0.1:8080", "address to listen on")
	dir := flag.String("dir", "", "data directory: keep the rooms' history across restarts (default: in memory)")
	redisAddr := flag.String("redis", "", "keep the rooms on Redis at `ADDR`, shared by every server using it (a Cluster: addresses comma-separated)")
	flag.Parse()

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, *addr, *dir, *redisAddr); err != nil {
		log.Fatal(err)
	}
}

// run serves the chat on addr until ctx ends.
func run(ctx context.Context, addr, dir, redisAddr string) error {
	b, err := openBroker(dir, redisAddr)
	if err != nil {
		return err
	}
	defer b.Close()
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	chat := NewServer(b, socketLimits)
	hs := &http.Server{Handler: chat.Handler(), ReadHeaderTimeout: 10 * time.Second}
	log.Printf("chat on http://%s (history %s)", ln.Addr(), where(dir, redisAddr))
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	select {
	case err = <-errc:
	case <-ctx.Done():
	}
	shutdown(hs, chat)
	if errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
	return err
}

// shutdown stops accepting, then closes the sockets (which Shutdown does not
// track once upgraded).
func shutdown(hs *http.Server, chat *Server) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = hs.Shutdown(ctx)
	chat.Close()
}

// openBroker returns the Client of the rooms: Redis with redisAddr, else
// the embedded broker, durable in dir or in memory.
func openBroker(dir, redisAddr string) (broker.Client, error) {
	switch {
	case redisAddr != "":
		return brookredis.New(redis.NewUniversalClient(&redis.UniversalOptions{
			Addrs: strings.Split(redisAddr, ","),
		}), brookredis.Options{}), nil
	case dir == "":
		return broker.New(broker.Options{})
	}
	return broker.Open(dir, broker.Options{})
}

func where(dir, redisAddr string) string {
	if redisAddr != "" {
		return "on Redis " + redisAddr
	}
	if dir == "" {
		return "in memory"
	}
	return "in " + dir
}
