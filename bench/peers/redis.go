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
	dir     string   // working directory
	extra   []string // configuration arguments beyond the defaults
}

// errNoRedis is returned by startRedis when redis-server is not installed.
var errNoRedis = errors.New("redis-server not found on PATH (apt-get install redis-server)")

// startRedis starts redis-server with dir as its working directory and
// extra configuration arguments, and waits until it answers PING.
func startRedis(ctx context.Context, dir string, extra ...string) (*redisServer, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	return startRedisAt(ctx, dir, port, extra...)
}

// startRedisAt is startRedis on a chosen port (a Cluster node needs its
// port, and its bus port's, before it starts).
func startRedisAt(ctx context.Context, dir string, port int, extra ...string) (*redisServer, error) {
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		return nil, errNoRedis
	}
	args := []string{
		"--port", strconv.Itoa(port), "--bind", "127.0.0.1", "--dir", dir,
		"--save", "", "--appendonly", "no", "--daemonize", "no",
		"--client-output-buffer-limit", "pubsub 0 0 0",
		"--maxclients", "4096", "--loglevel", "warning",
	}
	args = append(args, extra...)
	cmd := exec.Command(bin, args...)
	dieWithParent(cmd)
	log, err := os.Create(dir + "/redis.log")
	if err != nil {
		return nil, fmt.Errorf("redis: log file: %w", err)
	}
	defer log.Close()
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("redis: start: %w", err)
	}
	r := &redisServer{cmd: cmd, addr: net.JoinHostPort("127.0.0.1", strconv.Itoa(port)), dir: dir, extra: extra}
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

// restart replaces the server with a fresh one, same directory and
// configuration, so that a point starts from an empty server: Redis 7.0
// keeps some cost of a past state (after a client with 10,000 patterns
// left, PUBLISH with no pattern ran at 35k/s against 250k/s on a fresh
// server here).
func (r *redisServer) restart(ctx context.Context) error {
	r.stop()
	fresh, err := startRedis(ctx, r.dir, r.extra...)
	if err != nil {
		return err
	}
	*r = *fresh
	return nil
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

// redisStreams is Redis Streams: mem is a server without persistence,
// durable one with appendonly yes and appendfsync always. Each open
// flushes the server first.
type redisStreams struct{ mem, durable *redisServer }

func (redisStreams) name() string { return "Redis" }

// redisBulkBatch is how many XADDs a bulk load pipelines per round trip.
const redisBulkBatch = 1000

type redisStore struct{ rdb *redis.Client }

func (p redisStreams) open(ctx context.Context, mode storeMode, _ string) (streamStore, error) {
	srv := p.mem
	if mode == durableStore {
		srv = p.durable
	}
	rdb := srv.client(128)
	if err := rdb.FlushAll(ctx).Err(); err != nil {
		rdb.Close()
		return nil, fmt.Errorf("redis: flushall: %w", err)
	}
	return redisStore{rdb}, nil
}

// redisAddArgs returns XADD's arguments for entry i with id ("*" or explicit).
func redisAddArgs(i int, id string) *redis.XAddArgs {
	u, p, a := entryValues(i)
	return &redis.XAddArgs{Stream: streamKey, ID: id, Values: []string{"user_id", u, "product", p, "amount", a}}
}

func (s redisStore) add(ctx context.Context, i int) error {
	return s.rdb.XAdd(ctx, redisAddArgs(i, "*")).Err()
}

func (s redisStore) bulk(ctx context.Context, n int) error {
	for lo := 0; lo < n; lo += redisBulkBatch {
		pipe := s.rdb.Pipeline()
		for i := lo; i < min(lo+redisBulkBatch, n); i++ {
			pipe.XAdd(ctx, redisAddArgs(i, strconv.FormatUint(entryMs(i), 10)+"-0"))
		}
		if _, err := pipe.Exec(ctx); err != nil {
			return fmt.Errorf("redis: xadd: %w", err)
		}
	}
	return nil
}

func (s redisStore) group(ctx context.Context) (groupReader, error) {
	if err := s.rdb.XGroupCreate(ctx, streamKey, "g", "0").Err(); err != nil {
		return nil, fmt.Errorf("redis: xgroup create: %w", err)
	}
	return redisGroup(s), nil
}

func (s redisStore) close() error { return s.rdb.Close() }

type redisGroup struct{ rdb *redis.Client }

func (g redisGroup) readAck(ctx context.Context, count int) (int, error) {
	res, err := g.rdb.XReadGroup(ctx, &redis.XReadGroupArgs{
		Group: "g", Consumer: "c", Streams: []string{streamKey, ">"}, Count: int64(count), Block: -1,
	}).Result()
	if errors.Is(err, redis.Nil) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("redis: xreadgroup: %w", err)
	}
	ids := make([]string, len(res[0].Messages))
	for i, m := range res[0].Messages {
		ids[i] = m.ID
	}
	if err := g.rdb.XAck(ctx, streamKey, "g", ids...).Err(); err != nil {
		return 0, fmt.Errorf("redis: xack: %w", err)
	}
	return len(ids), nil
}

// redisMemory measures Redis's bytes per stream entry over n entries: the
// used_memory delta (what the allocator holds) and MEMORY USAGE (Redis's
// own estimate).
func redisMemory(ctx context.Context, srv *redisServer, n int) (usedMemory, memoryUsage float64, err error) {
	rdb := srv.client(2)
	defer rdb.Close()
	if err := rdb.FlushAll(ctx).Err(); err != nil {
		return 0, 0, fmt.Errorf("redis: flushall: %w", err)
	}
	before, err := infoUsedMemory(ctx, rdb)
	if err != nil {
		return 0, 0, err
	}
	if err := (redisStore{rdb}).bulk(ctx, n); err != nil {
		return 0, 0, err
	}
	after, err := infoUsedMemory(ctx, rdb)
	if err != nil {
		return 0, 0, err
	}
	usage, err := rdb.MemoryUsage(ctx, streamKey, 0).Result()
	if err != nil {
		return 0, 0, fmt.Errorf("redis: memory usage: %w", err)
	}
	return float64(after-before) / float64(n), float64(usage) / float64(n), nil
}

func infoUsedMemory(ctx context.Context, rdb *redis.Client) (int64, error) {
	info, err := rdb.Info(ctx, "memory").Result()
	if err != nil {
		return 0, fmt.Errorf("redis: info memory: %w", err)
	}
	return strconv.ParseInt(infoField(info, "used_memory"), 10, 64)
}
