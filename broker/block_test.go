package broker_test

import (
	"context"
	"errors"
	"testing"
	"testing/synctest"
	"time"

	"github.com/brookmq/brook/broker"
	"github.com/brookmq/brook/stream"
)

// call is a read running in its own goroutine.
type call struct {
	done chan struct{}
	res  []broker.StreamEntries
	err  error
	at   time.Time // when it returned (fake time inside a bubble)
}

func start(f func() ([]broker.StreamEntries, error)) *call {
	c := &call{done: make(chan struct{})}
	go func() {
		c.res, c.err = f()
		c.at = time.Now()
		close(c.done)
	}()
	return c
}

// blocked reports whether c is still running once every goroutine of the
// bubble is idle.
func (c *call) blocked() bool {
	synctest.Wait()
	select {
	case <-c.done:
		return false
	default:
		return true
	}
}

func (c *call) result(t *testing.T) (string, error) {
	t.Helper()
	synctest.Wait()
	select {
	case <-c.done:
		return summary(c.res), c.err
	default:
		t.Fatal("call still blocked")
		return "", nil
	}
}

// xread is a blocking XREAD that waits until data arrives or ctx ends
// (BlockForever).
func xread(b *broker.Broker, ctx context.Context, count int, streams ...broker.ReadStream) func() ([]broker.StreamEntries, error) {
	return xreadFor(b, ctx, broker.BlockForever, count, streams...)
}

// xreadFor is a blocking XREAD with a Block time.
func xreadFor(b *broker.Broker, ctx context.Context, block time.Duration, count int, streams ...broker.ReadStream) func() ([]broker.StreamEntries, error) {
	return func() ([]broker.StreamEntries, error) {
		return b.XRead(ctx, streams, broker.ReadOptions{Block: block, Count: count})
	}
}

// xreadgroup is a blocking XREADGROUP of new entries (">") that waits until
// data arrives or ctx ends (BlockForever).
func xreadgroup(b *broker.Broker, ctx context.Context, group, consumer string, keys ...string) func() ([]broker.StreamEntries, error) {
	return xreadgroupFor(b, ctx, broker.BlockForever, group, consumer, keys...)
}

// xreadgroupFor is a blocking XREADGROUP of new entries with a Block time.
func xreadgroupFor(b *broker.Broker, ctx context.Context, block time.Duration, group, consumer string, keys ...string) func() ([]broker.StreamEntries, error) {
	streams := make([]broker.ReadStream, len(keys))
	for i, k := range keys {
		streams[i] = broker.ReadStream{Key: k, From: broker.Undelivered()}
	}
	return func() ([]broker.StreamEntries, error) {
		return b.XReadGroup(ctx, group, consumer, streams, broker.GroupReadOptions{Block: block})
	}
}

func add(t *testing.T, b *broker.Broker, key string, ms uint64) {
	t.Helper()
	mustAdd(t, b, key, id(ms, 0), "f", "v")
}

func TestXReadBlock(t *testing.T) {
	eachKind(t, func(t *testing.T, k kind) {
		ctx := context.Background()
		latest := func(k string) broker.ReadStream { return broker.ReadStream{Key: k, From: broker.Latest()} }
		tests := []struct {
			name    string
			setup   func(t *testing.T, b *broker.Broker)
			streams []broker.ReadStream
			nudge   func(t *testing.T, b *broker.Broker) // must not wake the reader
			wake    func(t *testing.T, b *broker.Broker)
			want    string
		}{
			{name: "append wakes", setup: func(t *testing.T, b *broker.Broker) { add(t, b, "a", 1) },
				streams: []broker.ReadStream{latest("a")},
				nudge:   func(t *testing.T, b *broker.Broker) { add(t, b, "other", 5) },
				wake:    func(t *testing.T, b *broker.Broker) { add(t, b, "a", 2) }, want: "a:2-0"},
			{name: "after id", setup: func(t *testing.T, b *broker.Broker) { add(t, b, "a", 1) },
				streams: []broker.ReadStream{{Key: "a", From: broker.After(id(1, 0))}},
				wake:    func(t *testing.T, b *broker.Broker) { add(t, b, "a", 3) }, want: "a:3-0"},
			{name: "several streams", setup: func(t *testing.T, b *broker.Broker) { add(t, b, "a", 1); add(t, b, "b", 1) },
				streams: []broker.ReadStream{latest("a"), latest("b")},
				nudge:   func(t *testing.T, b *broker.Broker) { b.XDel(ctx, "a", id(1, 0)) },
				wake:    func(t *testing.T, b *broker.Broker) { add(t, b, "b", 7) }, want: "b:7-0"},
			{name: "missing key is waited for", streams: []broker.ReadStream{latest("new")},
				nudge: func(t *testing.T, b *broker.Broker) {
					b.XAdd(ctx, "new", fields("f", "v"), broker.AddOptions{NoMkStream: true})
					b.XAdd(ctx, "new", fields("f", "v"), broker.AddOptions{ID: stream.ExplicitID(id(0, 0))})
				},
				wake: func(t *testing.T, b *broker.Broker) { add(t, b, "new", 4) }, want: "new:4-0"},
			{name: "last entry on empty stream waits like $", streams: []broker.ReadStream{{Key: "e", From: broker.LastEntry()}},
				wake: func(t *testing.T, b *broker.Broker) { add(t, b, "e", 4) }, want: "e:4-0"},
			{name: "deleted key keeps an xread waiting", setup: func(t *testing.T, b *broker.Broker) { add(t, b, "a", 1) },
				streams: []broker.ReadStream{{Key: "a", From: broker.After(id(1, 0))}},
				nudge:   func(t *testing.T, b *broker.Broker) { b.Del(ctx, "a") },
				wake:    func(t *testing.T, b *broker.Broker) { add(t, b, "a", 1) }, want: ""},
			{name: "deleted key then recreated past after", setup: func(t *testing.T, b *broker.Broker) { add(t, b, "a", 1) },
				streams: []broker.ReadStream{{Key: "a", From: broker.After(id(1, 0))}},
				nudge:   func(t *testing.T, b *broker.Broker) { b.Del(ctx, "a"); add(t, b, "a", 1) },
				wake:    func(t *testing.T, b *broker.Broker) { add(t, b, "a", 2) }, want: "a:2-0"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				synctest.Test(t, func(t *testing.T) {
					b, _ := k.open(t, 1)
					defer b.Close()
					if tt.setup != nil {
						tt.setup(t, b)
					}
					c := start(xread(b, ctx, 0, tt.streams...))
					if !c.blocked() {
						t.Fatalf("returned without data: %v", c.err)
					}
					if tt.nudge != nil {
						tt.nudge(t, b)
						if !c.blocked() {
							t.Fatalf("woken by an unrelated change: %v %v", summary(c.res), c.err)
						}
					}
					tt.wake(t, b)
					if tt.want == "" {
						if !c.blocked() {
							t.Fatalf("woken: %v %v", summary(c.res), c.err)
						}
						b.Close()
						if _, err := c.result(t); !errors.Is(err, broker.ErrClosed) {
							t.Fatalf("after Close: %v", err)
						}
						return
					}
					got, err := c.result(t)
					if err != nil || got != tt.want {
						t.Fatalf("got %s, %v; want %s", got, err, tt.want)
					}
				})
			})
		}
	})
}

func TestXReadBlockEnds(t *testing.T) {
	eachKind(t, func(t *testing.T, k kind) {
		tests := []struct {
			name    string
			block   time.Duration // 0: BlockForever
			ctx     func() (context.Context, context.CancelFunc)
			end     func(b *broker.Broker, cancel context.CancelFunc)
			wantErr error // nil: the Block time passed, a nil result
			wantDur time.Duration
		}{
			{name: "block timeout", block: 1500 * time.Millisecond,
				ctx: func() (context.Context, context.CancelFunc) { return context.WithCancel(context.Background()) },
				end: func(*broker.Broker, context.CancelFunc) { time.Sleep(2 * time.Second) }, wantDur: 1500 * time.Millisecond},
			{name: "deadline", ctx: func() (context.Context, context.CancelFunc) {
				return context.WithTimeout(context.Background(), 1500*time.Millisecond)
			}, end: func(*broker.Broker, context.CancelFunc) { time.Sleep(2 * time.Second) }, wantErr: context.DeadlineExceeded, wantDur: 1500 * time.Millisecond},
			{name: "deadline before the block timeout", block: time.Hour, ctx: func() (context.Context, context.CancelFunc) {
				return context.WithTimeout(context.Background(), 1500*time.Millisecond)
			}, end: func(*broker.Broker, context.CancelFunc) { time.Sleep(2 * time.Second) }, wantErr: context.DeadlineExceeded, wantDur: 1500 * time.Millisecond},
			{name: "cancel", ctx: func() (context.Context, context.CancelFunc) { return context.WithCancel(context.Background()) },
				end: func(_ *broker.Broker, cancel context.CancelFunc) { cancel() }, wantErr: context.Canceled},
			{name: "close", ctx: func() (context.Context, context.CancelFunc) { return context.WithCancel(context.Background()) },
				end: func(b *broker.Broker, _ context.CancelFunc) { b.Close() }, wantErr: broker.ErrClosed},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				synctest.Test(t, func(t *testing.T) {
					b, _ := k.open(t, 1)
					defer b.Close()
					add(t, b, "g", 1)
					if err := b.XGroupCreate(context.Background(), "g", "grp", broker.GroupCreateOptions{Start: broker.Latest()}); err != nil {
						t.Fatal(err)
					}
					block := tt.block
					if block == 0 {
						block = broker.BlockForever
					}
					ctx, cancel := tt.ctx()
					defer cancel()
					t0 := time.Now()
					r := start(xreadFor(b, ctx, block, 0, broker.ReadStream{Key: "a", From: broker.Latest()}, broker.ReadStream{Key: "g", From: broker.Latest()}))
					g := start(xreadgroupFor(b, ctx, block, "grp", "c", "g"))
					if !r.blocked() || !g.blocked() {
						t.Fatal("returned without data")
					}
					tt.end(b, cancel)
					for _, c := range []*call{r, g} {
						if _, err := c.result(t); !errors.Is(err, tt.wantErr) {
							t.Errorf("err = %v, want %v", err, tt.wantErr)
						}
						if c.res != nil {
							t.Errorf("result = %s, want nil", summary(c.res))
						}
						if d := c.at.Sub(t0); tt.wantDur > 0 && d != tt.wantDur {
							t.Errorf("returned after %v, want %v", d, tt.wantDur)
						}
					}
				})
			})
		}
	})
}

// groupSetup makes streams s and t, each with groups g1 and g2 at "$".
func groupSetup(t *testing.T, b *broker.Broker) {
	t.Helper()
	add(t, b, "s", 1)
	add(t, b, "t", 1)
	for _, g := range []string{"g1", "g2"} {
		for _, k := range []string{"s", "t"} {
			if err := b.XGroupCreate(context.Background(), k, g, broker.GroupCreateOptions{Start: broker.Latest()}); err != nil {
				t.Fatal(err)
			}
		}
	}
}

// TestXReadGroupBlockFIFO checks that blocked readers of one group are
// served in arrival order, one entry each, while a reader of another group
// gets the same entries.
func TestXReadGroupBlockFIFO(t *testing.T) {
	ctx := context.Background()
	eachKind(t, func(t *testing.T, k kind) {
		synctest.Test(t, func(t *testing.T) {
			b, _ := k.open(t, 1)
			defer b.Close()
			groupSetup(t, b)
			var cs []*call
			for _, name := range []string{"c1", "c2", "c3"} {
				c := start(xreadgroup(b, ctx, "g1", name, "s"))
				if !c.blocked() {
					t.Fatalf("%s returned: %v", name, c.err)
				}
				cs = append(cs, c)
			}
			other := start(xreadgroup(b, ctx, "g2", "x", "s"))
			other.blocked()
			add(t, b, "s", 2)
			if got, err := cs[0].result(t); got != "s:2-0" || err != nil {
				t.Fatalf("c1 got %s, %v", got, err)
			}
			if got, err := other.result(t); got != "s:2-0" || err != nil {
				t.Fatalf("other group got %s, %v", got, err)
			}
			if !cs[1].blocked() || !cs[2].blocked() {
				t.Fatal("later readers served an entry the first one took")
			}
			add(t, b, "s", 3)
			if got, err := cs[1].result(t); got != "s:3-0" || err != nil {
				t.Fatalf("c2 got %s, %v", got, err)
			}
			if !cs[2].blocked() {
				t.Fatal("c3 served")
			}
			sum, err := b.XPending(ctx, "s", "g1")
			if err != nil || sum.Count != 2 || len(sum.Consumers) != 2 {
				t.Fatalf("XPending = %+v, %v", sum, err)
			}
			b.Close()
			if _, err := cs[2].result(t); !errors.Is(err, broker.ErrClosed) {
				t.Fatalf("c3 after Close: %v", err)
			}
		})
	})
}

func TestXReadGroupBlock(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name    string
		keys    []string
		act     func(t *testing.T, b *broker.Broker)
		want    string
		wantErr error
	}{
		{name: "second stream", keys: []string{"s", "t"}, act: func(t *testing.T, b *broker.Broker) { add(t, b, "t", 5) }, want: "t:5-0"},
		{name: "del", keys: []string{"s", "t"}, act: func(t *testing.T, b *broker.Broker) { b.Del(ctx, "t") }, wantErr: broker.ErrStreamDeleted},
		{name: "destroy", keys: []string{"s"}, act: func(t *testing.T, b *broker.Broker) { b.XGroupDestroy(ctx, "s", "g1") }, wantErr: broker.ErrGroupDeleted},
		{name: "destroy of another group", keys: []string{"s"}, act: func(t *testing.T, b *broker.Broker) { b.XGroupDestroy(ctx, "s", "g2") }, want: "blocked"},
		{name: "xread and group reader both served", keys: []string{"s"}, act: func(t *testing.T, b *broker.Broker) {
			c := start(xread(b, ctx, 0, broker.ReadStream{Key: "s", From: broker.Latest()}))
			c.blocked()
			add(t, b, "s", 9)
			c.result(t)
		}, want: "s:9-0"},
	}
	eachKind(t, func(t *testing.T, k kind) {
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				synctest.Test(t, func(t *testing.T) {
					b, _ := k.open(t, 1)
					defer b.Close()
					groupSetup(t, b)
					c := start(xreadgroup(b, ctx, "g1", "c", tt.keys...))
					if !c.blocked() {
						t.Fatalf("returned: %v", c.err)
					}
					tt.act(t, b)
					if tt.want == "blocked" {
						if !c.blocked() {
							t.Fatalf("woken: %v", c.err)
						}
						return
					}
					got, err := c.result(t)
					if !errors.Is(err, tt.wantErr) || (tt.wantErr == nil && got != tt.want) {
						t.Fatalf("got %s, %v; want %s, %v", got, err, tt.want, tt.wantErr)
					}
				})
			})
		}
	})
}
func TestXReadGroupBlockHistoryDoesNotBlock(t *testing.T) {
	eachKind(t, func(t *testing.T, k kind) {
		synctest.Test(t, func(t *testing.T) {
			ctx := context.Background()
			b, _ := k.open(t, 1)
			defer b.Close()
			add(t, b, "s", 1)
			if err := b.XGroupCreate(ctx, "s", "g", broker.GroupCreateOptions{}); err != nil {
				t.Fatal(err)
			}
			res, err := b.XReadGroup(ctx, "g", "c", []broker.ReadStream{{Key: "s"}}, broker.GroupReadOptions{Block: broker.BlockForever})
			if err != nil || summary(res) != "s:" {
				t.Fatalf("history read = %s, %v", summary(res), err)
			}
		})
	})
}
