package brookredis_test

// The tests that show each documented difference between brookredis and the
// embedded broker (README.md lists them).

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/brookmq/brook/broker"
	brookredis "github.com/brookmq/brook/redis"
	"github.com/redis/go-redis/v9"
)

// testCtx is a context bounded far beyond any wait of these tests.
func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func fields(kv ...string) []broker.Field {
	var out []broker.Field
	for i := 0; i+1 < len(kv); i += 2 {
		out = append(out, broker.Field{Name: kv[i], Value: kv[i+1]})
	}
	return out
}

// clusterRules runs on the Cluster of TestCluster.
func clusterRules(t *testing.T, addrs []string) {
	t.Run("CrossSlotRead", func(t *testing.T) { clusterCrossSlot(t, addrs) })
	t.Run("PublishCountsOneNode", func(t *testing.T) { clusterPublishCount(t, addrs) })
	t.Run("DelAcrossSlots", func(t *testing.T) { clusterDel(t, addrs) })
}

// clusterCrossSlot: a multi-key read over two slots is ErrInvalidArgument,
// found before sending and naming the keys; one hash tag makes it work. The
// client's slots agree with CLUSTER KEYSLOT.
func clusterCrossSlot(t *testing.T, addrs []string) {
	ctx := testCtx(t)
	c := newClient(addrs...)
	defer c.Close()
	raw := redis.NewClusterClient(&redis.ClusterOptions{Addrs: addrs})
	defer raw.Close()
	keys := []string{"orders", "{orders}.retry", "payments", "a", "b", "c", "d", "{x}1", "{x}2", "user:{42}:in", "user:{42}:out"}
	for i := 0; i+1 < len(keys); i++ {
		k1, k2 := keys[i], keys[i+1]
		s1, err1 := raw.ClusterKeySlot(ctx, k1).Result()
		s2, err2 := raw.ClusterKeySlot(ctx, k2).Result()
		if err1 != nil || err2 != nil {
			t.Fatal(err1, err2)
		}
		_, err := c.XRead(ctx, []broker.ReadStream{{Key: k1}, {Key: k2}}, broker.ReadOptions{})
		_, gerr := c.XReadGroup(ctx, "g", "c", []broker.ReadStream{{Key: k1, From: broker.Undelivered()}, {Key: k2, From: broker.Undelivered()}}, broker.GroupReadOptions{})
		if s1 == s2 {
			if err != nil {
				t.Errorf("XRead %s %s (slot %d): %v", k1, k2, s1, err)
			}
			if !errors.Is(gerr, broker.ErrNoStream) {
				t.Errorf("XReadGroup %s %s (slot %d): %v, want ErrNoStream", k1, k2, s1, gerr)
			}
			continue
		}
		for _, e := range []error{err, gerr} {
			if !errors.Is(e, broker.ErrInvalidArgument) || !strings.Contains(e.Error(), strconv.Quote(k1)) ||
				!strings.Contains(e.Error(), strconv.Quote(k2)) || strings.Contains(e.Error(), "CROSSSLOT") {
				t.Errorf("read of %s (slot %d) and %s (slot %d): %v; want ErrInvalidArgument naming both", k1, s1, k2, s2, e)
			}
		}
	}
}

// clusterPublishCount: every receiver gets the message, but PUBLISH counts
// only those on the node of the channel's slot; a common hash tag puts them
// there.
func clusterPublishCount(t *testing.T, addrs []string) {
	ctx := testCtx(t)
	c := newClient(addrs...)
	defer c.Close()
	raw := redis.NewClusterClient(&redis.ClusterOptions{Addrs: addrs})
	defer raw.Close()
	// Find a pattern (that does not match channel) whose slot is on another
	// node than the channel's.
	channel := "{n}.news"
	chNode, err := raw.MasterForKey(ctx, channel)
	if err != nil {
		t.Fatal(err)
	}
	var far string
	for i := 0; far == ""; i++ {
		p := "{p" + strconv.Itoa(i) + "}*"
		n, err := raw.MasterForKey(ctx, p)
		if err != nil {
			t.Fatal(err)
		}
		if n.Options().Addr != chNode.Options().Addr {
			far = p
		}
	}
	near, err := c.Listen(ctx, nil, []string{"{n}.*"})
	if err != nil {
		t.Fatal(err)
	}
	defer near.Close()
	// On far's node (its first pattern's slot), matching by "*".
	all, err := c.Listen(ctx, nil, []string{far, "*"})
	if err != nil {
		t.Fatal(err)
	}
	defer all.Close()
	n, err := c.Publish(ctx, channel, []byte("x"))
	if err != nil || n != 1 {
		t.Fatalf("Publish = %d, %v; want 1: only the receiver on the channel's node counts", n, err)
	}
	for _, r := range []broker.Receiver{near, all} {
		m, err := r.Next(ctx)
		if err != nil || m.Channel != channel {
			t.Fatalf("Next = %+v, %v; every matching receiver gets the message", m, err)
		}
	}
}

// clusterDel: Del over several slots deletes them all (one DEL per slot).
func clusterDel(t *testing.T, addrs []string) {
	ctx := testCtx(t)
	c := newClient(addrs...)
	defer c.Close()
	keys := []string{"del-a", "del-b", "del-c", "del-d", "del-e"}
	for _, k := range keys {
		if _, err := c.XAdd(ctx, k, fields("a", "1"), broker.AddOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	n, err := c.Del(ctx, append(keys, "del-missing")...)
	if err != nil || n != int64(len(keys)) {
		t.Fatalf("Del = %d, %v; want %d", n, err, len(keys))
	}
}

// TestServerSlowReceiver: a Redis receiver that does not read is
// disconnected by the server (client-output-buffer-limit pubsub) and loses
// messages without an error, where the broker's would end with
// ErrSlowConsumer.
func TestServerSlowReceiver(t *testing.T) {
	needRedis(t, "redis-server", "redis-cli")
	addr := startServer(t, "--client-output-buffer-limit", "pubsub 256kb 0 0")
	ctx := testCtx(t)
	c := brookredis.New(redis.NewClient(&redis.Options{Addr: addr}), brookredis.Options{ChannelSize: 4})
	defer c.Close()
	r, err := c.Listen(ctx, []string{"flood"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	payload := []byte(strings.Repeat("x", 64<<10))
	const sent = 400 // 25 MiB: beyond the socket buffers and the limit
	for range sent {
		if _, err := c.Publish(ctx, "flood", payload); err != nil {
			t.Fatal(err)
		}
	}
	if n, err := c.Publish(ctx, "flood", payload); err != nil || n != 0 {
		t.Fatalf("Publish after the flood = %d, %v; want 0: Redis disconnected the receiver", n, err)
	}
	for i := range 4 { // what go-redis's channel held: delivered, no error
		if _, err := r.Next(ctx); err != nil {
			t.Fatalf("Next %d: %v; a Redis receiver reports no slow consumer", i, err)
		}
	}

	// The broker's receiver, same flood: ErrSlowConsumer.
	b, err := broker.New(broker.Options{PubSub: broker.PubSubOptions{HardLimit: 256 << 10}})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	br, err := b.Listen(ctx, []string{"flood"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	for range sent {
		b.Publish(ctx, "flood", payload)
	}
	for {
		if _, err := br.Next(ctx); err != nil {
			if !errors.Is(err, broker.ErrSlowConsumer) {
				t.Fatalf("broker: %v, want ErrSlowConsumer", err)
			}
			break
		}
	}
}

// TestServerLongBlock: a Block longer than go-redis's ReadTimeout is served
// as several BLOCK commands: it expires with nil, nil (not an i/o timeout),
// and an entry added during a later command is returned, "$" included.
func TestServerLongBlock(t *testing.T) {
	needRedis(t, "redis-server", "redis-cli")
	addr := startServer(t)
	ctx := testCtx(t)
	c := brookredis.New(redis.NewClient(&redis.Options{Addr: addr, ReadTimeout: 500 * time.Millisecond}), brookredis.Options{})
	defer c.Close()
	got, err := c.XRead(ctx, []broker.ReadStream{{Key: "s", From: broker.Latest()}}, broker.ReadOptions{Block: 1200 * time.Millisecond})
	if got != nil || err != nil {
		t.Fatalf("XRead BLOCK 1200ms under ReadTimeout 500ms = %v, %v; want nil, nil", got, err)
	}
	// The entry comes after the read started, through a second client, and
	// the read has no bound but ctx: it must see it whichever command runs.
	done := make(chan error, 1)
	go func() {
		got, err := c.XRead(ctx, []broker.ReadStream{{Key: "s", From: broker.Latest()}}, broker.ReadOptions{Block: broker.BlockForever})
		if err == nil && (len(got) != 1 || len(got[0].Entries) != 1) {
			err = errors.New("unexpected reply")
		}
		done <- err
	}()
	other := newClient(addr)
	defer other.Close()
	time.Sleep(600 * time.Millisecond) // let the first BLOCK command expire (not an assertion)
	if _, err := other.XAdd(ctx, "s", fields("a", "1"), broker.AddOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatalf("blocked XRead across BLOCK commands: %v", err)
	}
}

// TestServerEntryLimits: Redis takes an entry over the broker's default
// MaxEntryBytes (16 MiB); the broker refuses it with ErrEntryTooLarge.
func TestServerEntryLimits(t *testing.T) {
	needRedis(t, "redis-server", "redis-cli")
	addr := startServer(t)
	ctx := testCtx(t)
	c := newClient(addr)
	defer c.Close()
	big := fields("v", strings.Repeat("x", broker.DefaultMaxEntryBytes+1))
	if _, err := c.XAdd(ctx, "big", big, broker.AddOptions{}); err != nil {
		t.Fatalf("Redis XAdd of 16 MiB + 1: %v", err)
	}
	b, err := broker.New(broker.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if _, err := b.XAdd(ctx, "big", big, broker.AddOptions{}); !errors.Is(err, broker.ErrEntryTooLarge) {
		t.Fatalf("broker XAdd of 16 MiB + 1: %v, want ErrEntryTooLarge", err)
	}
}

// TestServerEmptyPattern: go-redis does not tell a pmessage of the pattern ""
// from a message, so ByPattern is false there.
func TestServerEmptyPattern(t *testing.T) {
	needRedis(t, "redis-server", "redis-cli")
	addr := startServer(t)
	ctx := testCtx(t)
	c := newClient(addr)
	defer c.Close()
	r, err := c.Listen(ctx, nil, []string{""})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if n, err := c.Publish(ctx, "", []byte("x")); err != nil || n != 1 {
		t.Fatalf("Publish to \"\" = %d, %v", n, err)
	}
	m, err := r.Next(ctx)
	if err != nil || m.ByPattern {
		t.Fatalf("Next = %+v, %v; want ByPattern false on Redis (true on the broker)", m, err)
	}
}

// TestServerDuplicateKey: go-redis speaks RESP3 by default, where XREAD's
// reply is a map: a key listed twice is answered once (the broker, and Redis
// over RESP2, answer it twice).
func TestServerDuplicateKey(t *testing.T) {
	needRedis(t, "redis-server", "redis-cli")
	addr := startServer(t)
	ctx := testCtx(t)
	for _, c := range []struct {
		protocol, want int
	}{{3, 1}, {2, 2}} {
		cl := brookredis.New(redis.NewClient(&redis.Options{Addr: addr, Protocol: c.protocol}), brookredis.Options{})
		if _, err := cl.XAdd(ctx, "dup", fields("a", "1"), broker.AddOptions{}); err != nil {
			t.Fatal(err)
		}
		got, err := cl.XRead(ctx, []broker.ReadStream{{Key: "dup"}, {Key: "dup"}}, broker.ReadOptions{})
		cl.Close()
		if err != nil || len(got) != c.want {
			t.Fatalf("RESP%d: XRead dup dup = %v, %v; want %d answers", c.protocol, got, err, c.want)
		}
	}
}

// TestServerCancelLeaksNothing: cancelled waits end on the server too
// (CLIENT UNBLOCK), and their connections go back to the pool: after many,
// Redis has no blocked client and the pool no more connections than it
// allows. goleak (TestMain) checks that no goroutine is left.
func TestServerCancelLeaksNothing(t *testing.T) {
	needRedis(t, "redis-server", "redis-cli")
	addr := startServer(t)
	ctx := testCtx(t)
	rdb := redis.NewClient(&redis.Options{Addr: addr, PoolSize: 4})
	c := brookredis.New(rdb, brookredis.Options{})
	defer c.Close()
	if err := c.XGroupCreate(ctx, "s", "g", broker.GroupCreateOptions{MkStream: true}); err != nil {
		t.Fatal(err)
	}
	for i := range 50 {
		rctx, cancel := context.WithCancel(ctx)
		done := make(chan error, 1)
		go func() {
			_, err := c.XReadGroup(rctx, "g", "c", []broker.ReadStream{{Key: "s", From: broker.Undelivered()}}, broker.GroupReadOptions{Block: broker.BlockForever})
			done <- err
		}()
		if i%2 == 0 {
			time.Sleep(time.Millisecond) // half of them cancelled while blocked, most likely
		}
		cancel()
		if err := <-done; !errors.Is(err, context.Canceled) {
			t.Fatalf("read %d: %v, want context.Canceled", i, err)
		}
	}
	info, err := rdb.Info(ctx, "clients").Result()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(info, "blocked_clients:0\r\n") {
		t.Fatalf("Redis still has blocked clients:\n%s", info)
	}
	if n := rdb.PoolStats().TotalConns; n > 4 {
		t.Fatalf("pool holds %d connections, more than its size 4", n)
	}
	sum, err := c.XPending(ctx, "s", "g")
	if err != nil || sum.Count != 0 {
		t.Fatalf("XPending = %+v, %v; want nothing delivered", sum, err)
	}
}

// TestServerBlockedGroupGone: a blocked group read whose group is destroyed,
// or whose key is deleted, ends with ErrGroupDeleted or ErrStreamDeleted,
// as on the broker. The test waits until Redis reports the read blocked.
func TestServerBlockedGroupGone(t *testing.T) {
	needRedis(t, "redis-server", "redis-cli")
	addr := startServer(t)
	ctx := testCtx(t)
	rdb := redis.NewClient(&redis.Options{Addr: addr})
	c := brookredis.New(rdb, brookredis.Options{})
	defer c.Close()
	for _, tc := range []struct {
		name string
		gone func() error
		want error
	}{
		{"destroy", func() error { _, err := c.XGroupDestroy(ctx, "s", "g"); return err }, broker.ErrGroupDeleted},
		{"del", func() error { _, err := c.Del(ctx, "s"); return err }, broker.ErrStreamDeleted},
	} {
		if err := c.XGroupCreate(ctx, "s", "g", broker.GroupCreateOptions{MkStream: true}); err != nil {
			t.Fatal(err)
		}
		done := make(chan error, 1)
		go func() {
			_, err := c.XReadGroup(ctx, "g", "c", []broker.ReadStream{{Key: "s", From: broker.Undelivered()}}, broker.GroupReadOptions{Block: broker.BlockForever})
			done <- err
		}()
		for {
			info, err := rdb.Info(ctx, "clients").Result()
			if err != nil {
				t.Fatal(err)
			}
			if strings.Contains(info, "blocked_clients:1\r\n") {
				break
			}
			time.Sleep(time.Millisecond)
		}
		if err := tc.gone(); err != nil {
			t.Fatal(err)
		}
		if err := <-done; !errors.Is(err, tc.want) {
			t.Fatalf("%s: blocked XReadGroup = %v, want %v", tc.name, err, tc.want)
		}
		c.Del(ctx, "s")
	}
}
