package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
)

// redisPipeline is how many PUBLISH commands a Redis publisher sends per
// round trip.
const redisPipeline = 64

// redisServer is a redis-server child process on a free loopback port with
// its data directory in a temporary directory.
type redisServer struct {
	cmd     *exec.Cmd
	addr    string
	version string
}

// errNoRedis is returned by startRedis when redis-server is not installed.
var errNoRedis = errors.New("redis-server not found on PATH (apt-get install redis-server)")

// startRedis starts redis-server with dir as its working directory and
// extra configuration arguments, and waits until it answers PING.
func startRedis(ctx context.Context, dir string, extra ...string) (*redisServer, error) {
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		return nil, errNoRedis
	}
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	args := []string{
		"--port", strconv.Itoa(port), "--bind", "127.0.0.1", "--dir", dir,
		"--save", "", "--appendonly", "no", "--daemonize", "no",
		"--client-output-buffer-limit", "pubsub 0 0 0",
		"--maxclients", "4096", "--loglevel", "warning",
	}
	args = append(args, extra...)
	cmd := exec.Command(bin, args...)
	log, err := os.Create(dir + "/redis.log")
	if err != nil {
		return nil, fmt.Errorf("redis: log file: %w", err)
	}
	defer log.Close()
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("redis: start: %w", err)
	}
	r := &redisServer{cmd: cmd, addr: net.JoinHostPort("127.0.0.1", strconv.Itoa(port))}
	if err := r.waitReady(ctx); err != nil {
		r.stop()
		return nil, err
	}
	return r, nil
}

func (r *redisServer) waitReady(ctx context.Context) error {
	c := r.client(1)
	defer c.Close()
	deadline := time.Now().Add(10 * time.Second)
	for {
		info, err := c.Info(ctx, "server").Result()
		if err == nil {
			r.version = infoField(info, "redis_version")
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("redis: not ready: %w", err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// client returns a client with a pool of poolSize connections.
func (r *redisServer) client(poolSize int) *redis.Client {
	return redis.NewClient(&redis.Options{
		Addr:            r.addr,
		PoolSize:        poolSize,
		DisableIdentity: true,
		ReadTimeout:     -1,
		WriteTimeout:    -1,
	})
}

// stop kills the server and reaps it.
func (r *redisServer) stop() {
	if r.cmd.Process != nil {
		r.cmd.Process.Kill()
		r.cmd.Wait()
	}
}

// freePort returns a loopback TCP port nobody listens on now.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// infoField returns the value of key in an INFO reply.
func infoField(info, key string) string {
	for line := range strings.Lines(info) {
		if v, ok := strings.CutPrefix(line, key+":"); ok {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

// redisPeer is Redis 7 over loopback: each subscriber its own connection
// (as go-redis does), publishers pipelined.
type redisPeer struct{ srv *redisServer }

func (redisPeer) name() string { return "Redis" }

type redisSession struct {
	rdb  *redis.Client
	subs []*redis.PubSub
	wg   sync.WaitGroup
}

func (p redisPeer) start(cfg pubsubConfig, sink *tracker) (pubsubSession, error) {
	ctx := context.Background()
	s := &redisSession{rdb: p.srv.client(max(cfg.publishers, 1) + 1)}
	if len(cfg.patterns) > 0 {
		ps := s.rdb.PSubscribe(ctx, cfg.patterns...)
		s.subs = append(s.subs, ps)
		for range cfg.patterns {
			if _, err := ps.Receive(ctx); err != nil {
				s.close()
				return nil, fmt.Errorf("redis: psubscribe: %w", err)
			}
		}
	}
	for i := range cfg.subscribers {
		ps := s.rdb.Subscribe(ctx, fanoutSubject)
		s.subs = append(s.subs, ps)
		if _, err := ps.Receive(ctx); err != nil {
			s.close()
			return nil, fmt.Errorf("redis: subscribe: %w", err)
		}
		s.wg.Go(func() {
			for {
				m, err := ps.ReceiveMessage(ctx)
				if err != nil {
					return // the PubSub was closed at the end of the run
				}
				sink.deliverString(i, m.Payload)
			}
		})
	}
	return s, nil
}

func (s *redisSession) publisher() (publisher, error) {
	return &redisPublisher{pipe: s.rdb.Pipeline()}, nil
}

func (s *redisSession) close() error {
	for _, ps := range s.subs {
		ps.Close()
	}
	s.wg.Wait()
	return s.rdb.Close()
}

// redisPublisher pipelines PUBLISH commands, redisPipeline per round trip.
type redisPublisher struct {
	pipe redis.Pipeliner
	n    int
}

func (p *redisPublisher) publish(payload []byte) error {
	p.pipe.Publish(context.Background(), fanoutSubject, payload)
	if p.n++; p.n >= redisPipeline {
		return p.flush()
	}
	return nil
}

func (p *redisPublisher) flush() error {
	if p.n == 0 {
		return nil
	}
	p.n = 0
	_, err := p.pipe.Exec(context.Background())
	if err != nil {
		return fmt.Errorf("redis: publish: %w", err)
	}
	return nil
}
