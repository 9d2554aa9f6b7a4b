package broker_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/brookmq/brook/broker"
	"github.com/brookmq/brook/stream"
)

func TestXAdd(t *testing.T) {
	eachKind(t, func(t *testing.T, k kind) {
		ctx := context.Background()
		tests := []struct {
			name    string
			prepare []stream.ID // explicit IDs added first
			opts    broker.AddOptions
			want    stream.ID
			wantErr error
			wantLen int64
		}{
			{name: "auto on empty", opts: broker.AddOptions{}, want: id(1000, 0), wantLen: 1},
			{name: "auto same ms", prepare: []stream.ID{id(1000, 0)}, want: id(1000, 1), wantLen: 2},
			{name: "auto clock behind", prepare: []stream.ID{id(5000, 3)}, want: id(5000, 4), wantLen: 2},
			{name: "partial", prepare: []stream.ID{id(7, 2)}, opts: broker.AddOptions{ID: stream.PartialID(7)}, want: id(7, 3), wantLen: 2},
			{name: "explicit", opts: broker.AddOptions{ID: stream.ExplicitID(id(3, 4))}, want: id(3, 4), wantLen: 1},
			{name: "explicit too small", prepare: []stream.ID{id(3, 4)}, opts: broker.AddOptions{ID: stream.ExplicitID(id(3, 4))}, wantErr: stream.ErrIDTooSmall, wantLen: 1},
			{name: "explicit zero", opts: broker.AddOptions{ID: stream.ExplicitID(id(0, 0))}, wantErr: stream.ErrIDZero},
			{name: "nomkstream missing", opts: broker.AddOptions{NoMkStream: true}, wantErr: broker.ErrNoStream},
			{name: "nomkstream existing", prepare: []stream.ID{id(1, 0)}, opts: broker.AddOptions{NoMkStream: true}, want: id(1000, 0), wantLen: 2},
			{name: "maxlen 0 keeps the key", opts: broker.AddOptions{Trim: stream.Trim{Strategy: stream.TrimMaxLen}}, want: id(1000, 0)},
			{name: "maxlen 1", prepare: []stream.ID{id(1, 0), id(2, 0)}, opts: broker.AddOptions{Trim: stream.Trim{Strategy: stream.TrimMaxLen, MaxLen: 1}}, want: id(1000, 0), wantLen: 1},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				b, _ := k.open(t, 1000)
				for _, p := range tt.prepare {
					mustAdd(t, b, "s", p, "f", "v")
				}
				got, err := b.XAdd(ctx, "s", fields("a", "1"), tt.opts)
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("XAdd error = %v, want %v", err, tt.wantErr)
				}
				if err == nil && got != tt.want {
					t.Errorf("XAdd = %v, want %v", got, tt.want)
				}
				if n, _ := b.XLen(ctx, "s"); n != tt.wantLen {
					t.Errorf("XLen = %d, want %d", n, tt.wantLen)
				}
				wantExists := int64(0)
				if len(tt.prepare) > 0 || tt.wantErr == nil {
					wantExists = 1
				}
				if n, _ := b.Exists(ctx, "s"); n != wantExists {
					t.Errorf("Exists = %d, want %d", n, wantExists)
				}
			})
		}
	})
}

func TestRanges(t *testing.T) {
	eachKind(t, func(t *testing.T, k kind) {
		ctx := context.Background()
		b, _ := k.open(t, 1)
		for i := uint64(1); i <= 5; i++ {
			mustAdd(t, b, "s", id(i, 0), "n", fmt.Sprint(i))
		}
		tests := []struct {
			name       string
			rev        bool
			start, end stream.ID
			count      int
			want       []stream.ID
		}{
			{name: "all", start: stream.MinID, end: stream.MaxID, want: []stream.ID{id(1, 0), id(2, 0), id(3, 0), id(4, 0), id(5, 0)}},
			{name: "count", start: stream.MinID, end: stream.MaxID, count: 2, want: []stream.ID{id(1, 0), id(2, 0)}},
			{name: "inner", start: id(2, 0), end: id(3, 0), want: []stream.ID{id(2, 0), id(3, 0)}},
			{name: "start after end", start: id(4, 0), end: id(2, 0), want: []stream.ID{}},
			{name: "rev all", rev: true, start: stream.MinID, end: stream.MaxID, want: []stream.ID{id(5, 0), id(4, 0), id(3, 0), id(2, 0), id(1, 0)}},
			{name: "rev count", rev: true, start: stream.MinID, end: id(4, 0), count: 2, want: []stream.ID{id(4, 0), id(3, 0)}},
			{name: "rev start after end", rev: true, start: id(4, 0), end: id(2, 0), want: []stream.ID{}},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				var got []stream.Entry
				var err error
				if tt.rev {
					got, err = b.XRevRange(ctx, "s", tt.end, tt.start, tt.count)
				} else {
					got, err = b.XRange(ctx, "s", tt.start, tt.end, tt.count)
				}
				if err != nil {
					t.Fatal(err)
				}
				if !sameIDs(ids(got), tt.want) {
					t.Errorf("got %v, want %v", ids(got), tt.want)
				}
			})
		}
		t.Run("fields", func(t *testing.T) {
			got, err := b.XRange(ctx, "s", id(3, 0), id(3, 0), 0)
			if err != nil || len(got) != 1 || len(got[0].Fields) != 1 || got[0].Fields[0] != (stream.Field{Name: "n", Value: "3"}) {
				t.Fatalf("XRange 3-0 = %v, %v", got, err)
			}
		})
		t.Run("missing key", func(t *testing.T) {
			got, err := b.XRange(ctx, "nope", stream.MinID, stream.MaxID, 0)
			if err != nil || len(got) != 0 {
				t.Fatalf("XRange missing = %v, %v", got, err)
			}
			n, err := b.XLen(ctx, "nope")
			if err != nil || n != 0 {
				t.Fatalf("XLen missing = %d, %v", n, err)
			}
		})
	})
}

func TestRangeIterator(t *testing.T) {
	eachKind(t, func(t *testing.T, k kind) {
		ctx := context.Background()
		b, _ := k.open(t, 1)
		const n = 600 // more than two pages
		for i := uint64(1); i <= n; i++ {
			mustAdd(t, b, "s", id(i, 0), "n", fmt.Sprint(i))
		}
		tests := []struct {
			name       string
			start, end stream.ID
			stopAfter  int
			want       int
			wantFirst  stream.ID
		}{
			{name: "all", start: stream.MinID, end: stream.MaxID, want: n, wantFirst: id(1, 0)},
			{name: "bounded", start: id(10, 0), end: id(400, 0), want: 391, wantFirst: id(10, 0)},
			{name: "break early", start: stream.MinID, end: stream.MaxID, stopAfter: 300, want: 300, wantFirst: id(1, 0)},
			{name: "empty", start: id(700, 0), end: stream.MaxID, want: 0},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				var got []stream.ID
				for e, err := range b.Range(ctx, "s", tt.start, tt.end) {
					if err != nil {
						t.Fatal(err)
					}
					got = append(got, e.ID)
					if len(got) == tt.stopAfter {
						break
					}
				}
				if len(got) != tt.want {
					t.Fatalf("got %d entries, want %d", len(got), tt.want)
				}
				for i := 1; i < len(got); i++ {
					if !got[i-1].Less(got[i]) {
						t.Fatalf("out of order at %d: %v then %v", i, got[i-1], got[i])
					}
				}
				if len(got) > 0 && got[0] != tt.wantFirst {
					t.Errorf("first = %v, want %v", got[0], tt.wantFirst)
				}
			})
		}
		t.Run("closed", func(t *testing.T) {
			b2, _ := k.open(t, 1)
			b2.Close()
			for _, err := range b2.Range(ctx, "s", stream.MinID, stream.MaxID) {
				if !errors.Is(err, broker.ErrClosed) {
					t.Fatalf("err = %v, want ErrClosed", err)
				}
			}
		})
	})
}

func TestXDelXTrim(t *testing.T) {
	eachKind(t, func(t *testing.T, k kind) {
		ctx := context.Background()
		tests := []struct {
			name    string
			op      func(b *broker.Broker) (int64, error)
			want    int64
			wantIDs []stream.ID
		}{
			{name: "xdel some", op: func(b *broker.Broker) (int64, error) { return b.XDel(ctx, "s", id(2, 0), id(4, 0), id(9, 0)) },
				want: 2, wantIDs: []stream.ID{id(1, 0), id(3, 0), id(5, 0)}},
			{name: "xdel missing key", op: func(b *broker.Broker) (int64, error) { return b.XDel(ctx, "nope", id(1, 0)) },
				want: 0, wantIDs: []stream.ID{id(1, 0), id(2, 0), id(3, 0), id(4, 0), id(5, 0)}},
			{name: "xtrim maxlen", op: func(b *broker.Broker) (int64, error) {
				return b.XTrim(ctx, "s", stream.Trim{Strategy: stream.TrimMaxLen, MaxLen: 2})
			}, want: 3, wantIDs: []stream.ID{id(4, 0), id(5, 0)}},
			{name: "xtrim minid", op: func(b *broker.Broker) (int64, error) {
				return b.XTrim(ctx, "s", stream.Trim{Strategy: stream.TrimMinID, MinID: id(3, 0)})
			}, want: 2, wantIDs: []stream.ID{id(3, 0), id(4, 0), id(5, 0)}},
			{name: "xtrim missing key", op: func(b *broker.Broker) (int64, error) {
				return b.XTrim(ctx, "nope", stream.Trim{Strategy: stream.TrimMaxLen})
			}, want: 0, wantIDs: []stream.ID{id(1, 0), id(2, 0), id(3, 0), id(4, 0), id(5, 0)}},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				b, _ := k.open(t, 1)
				for i := uint64(1); i <= 5; i++ {
					mustAdd(t, b, "s", id(i, 0), "f", "v")
				}
				n, err := tt.op(b)
				if err != nil || n != tt.want {
					t.Fatalf("op = %d, %v; want %d", n, err, tt.want)
				}
				got, _ := b.XRange(ctx, "s", stream.MinID, stream.MaxID, 0)
				if !sameIDs(ids(got), tt.wantIDs) {
					t.Errorf("left %v, want %v", ids(got), tt.wantIDs)
				}
				if n, _ := b.Exists(ctx, "nope"); n != 0 {
					t.Errorf("a write on a missing key created it")
				}
			})
		}
	})
}

func TestKeys(t *testing.T) {
	eachKind(t, func(t *testing.T, k kind) {
		ctx := context.Background()
		b, _ := k.open(t, 1)
		mustAdd(t, b, "a", id(1, 0), "f", "v")
		mustAdd(t, b, "b", id(1, 0), "f", "v")
		tests := []struct {
			name string
			op   func() (any, error)
			want any
		}{
			{name: "exists counts duplicates", op: func() (any, error) { return b.Exists(ctx, "a", "a", "b", "c") }, want: int64(3)},
			{name: "type stream", op: func() (any, error) { return b.Type(ctx, "a") }, want: "stream"},
			{name: "type none", op: func() (any, error) { return b.Type(ctx, "c") }, want: "none"},
			{name: "keys", op: func() (any, error) { k, err := b.Keys(ctx); return fmt.Sprint(k), err }, want: "[a b]"},
			{name: "del", op: func() (any, error) { return b.Del(ctx, "a", "c", "a") }, want: int64(1)},
			{name: "deleted is gone", op: func() (any, error) { return b.Exists(ctx, "a") }, want: int64(0)},
			{name: "deleted range is empty", op: func() (any, error) {
				e, err := b.XRange(ctx, "a", stream.MinID, stream.MaxID, 0)
				return len(e), err
			}, want: 0},
			{name: "recreated starts afresh", op: func() (any, error) {
				return b.XAdd(ctx, "a", fields("f", "v"), broker.AddOptions{ID: stream.ExplicitID(id(1, 0))})
			}, want: id(1, 0)},
		}
		for _, tt := range tests { // in order: each case sees the previous ones' effects
			got, err := tt.op()
			if err != nil || got != tt.want {
				t.Fatalf("%s: got %v, %v; want %v", tt.name, got, err, tt.want)
			}
		}
	})
}

func TestClosed(t *testing.T) {
	eachKind(t, func(t *testing.T, k kind) {
		ctx := context.Background()
		b, _ := k.open(t, 1)
		mustAdd(t, b, "s", id(1, 0), "f", "v")
		if err := b.XGroupCreate(ctx, "s", "g", broker.GroupCreateOptions{}); err != nil {
			t.Fatal(err)
		}
		b.Close()
		ops := map[string]func() error{
			"XAdd":   func() error { _, err := b.XAdd(ctx, "s", fields("f", "v"), broker.AddOptions{}); return err },
			"XLen":   func() error { _, err := b.XLen(ctx, "s"); return err },
			"XRange": func() error { _, err := b.XRange(ctx, "s", stream.MinID, stream.MaxID, 0); return err },
			"XRead": func() error {
				_, err := b.XRead(ctx, []broker.ReadStream{{Key: "s"}}, broker.ReadOptions{})
				return err
			},
			"XReadGroup": func() error {
				_, err := b.XReadGroup(ctx, "g", "c", []broker.ReadStream{{Key: "s", From: broker.Undelivered()}}, broker.GroupReadOptions{})
				return err
			},
			"XAck":   func() error { _, err := b.XAck(ctx, "s", "g", id(1, 0)); return err },
			"Del":    func() error { _, err := b.Del(ctx, "s"); return err },
			"Exists": func() error { _, err := b.Exists(ctx, "s"); return err },
			"Keys":   func() error { _, err := b.Keys(ctx); return err },
		}
		for name, op := range ops {
			if err := op(); !errors.Is(err, broker.ErrClosed) {
				t.Errorf("%s after Close: %v, want ErrClosed", name, err)
			}
		}
	})
}

// TestInvalidArguments checks the argument errors of the streams API:
// ErrNoFields for an entry without fields, ErrInvalidArgument for negative
// counts and durations, unknown trim strategies and positions a method does
// not take. Each is found before anything changes.
func TestInvalidArguments(t *testing.T) {
	eachKind(t, func(t *testing.T, k kind) {
		ctx := context.Background()
		b, _ := k.open(t, 1000)
		mustAdd(t, b, "s", id(1, 0), "f", "v")
		if err := b.XGroupCreate(ctx, "s", "g", broker.GroupCreateOptions{}); err != nil {
			t.Fatal(err)
		}
		badTrim := stream.Trim{Strategy: 9, MaxLen: 1}
		tests := []struct {
			name    string
			op      func() error
			wantErr error
		}{
			{"XAdd nil fields", func() error { _, err := b.XAdd(ctx, "s", nil, broker.AddOptions{}); return err }, broker.ErrNoFields},
			{"XAdd empty fields on a new key", func() error {
				_, err := b.XAdd(ctx, "new", []stream.Field{}, broker.AddOptions{})
				return err
			}, broker.ErrNoFields},
			{"XAdd unknown trim", func() error {
				_, err := b.XAdd(ctx, "s", fields("f", "v"), broker.AddOptions{Trim: badTrim})
				return err
			}, broker.ErrInvalidArgument},
			{"XAdd negative MaxLen", func() error {
				_, err := b.XAdd(ctx, "s", fields("f", "v"), broker.AddOptions{Trim: stream.Trim{Strategy: stream.TrimMaxLen, MaxLen: -1}})
				return err
			}, broker.ErrInvalidArgument},
			{"XTrim unknown strategy", func() error { _, err := b.XTrim(ctx, "s", badTrim); return err }, broker.ErrInvalidArgument},
			{"XRange negative count", func() error { _, err := b.XRange(ctx, "s", stream.MinID, stream.MaxID, -1); return err }, broker.ErrInvalidArgument},
			{"XRevRange negative count", func() error { _, err := b.XRevRange(ctx, "s", stream.MaxID, stream.MinID, -1); return err }, broker.ErrInvalidArgument},
			{"XRead negative count", func() error {
				_, err := b.XRead(ctx, []broker.ReadStream{{Key: "s"}}, broker.ReadOptions{Count: -1})
				return err
			}, broker.ErrInvalidArgument},
			{"XRead negative block", func() error {
				_, err := b.XRead(ctx, []broker.ReadStream{{Key: "s"}}, broker.ReadOptions{Block: -1})
				return err
			}, broker.ErrInvalidArgument},
			{"XRead undelivered", func() error {
				_, err := b.XRead(ctx, []broker.ReadStream{{Key: "s", From: broker.Undelivered()}}, broker.ReadOptions{})
				return err
			}, broker.ErrInvalidArgument},
			{"XInfoStreamFull negative count", func() error { _, err := b.XInfoStreamFull(ctx, "s", -1); return err }, broker.ErrInvalidArgument},
			{"XClaim negative idle", func() error {
				_, err := b.XClaim(ctx, "s", "g", "c", []stream.ID{id(1, 0)}, broker.ClaimOptions{Idle: -time.Second})
				return err
			}, broker.ErrInvalidArgument},
			{"XAutoClaim negative min idle", func() error {
				_, err := b.XAutoClaim(ctx, "s", "g", "c", broker.AutoClaimOptions{MinIdle: -time.Second})
				return err
			}, broker.ErrInvalidArgument},
			{"XPendingRange negative min idle", func() error {
				_, err := b.XPendingRange(ctx, "s", "g", broker.PendingOptions{MinIdle: -time.Second})
				return err
			}, broker.ErrInvalidArgument},
		}
		before := fullState(t, b)
		for _, tt := range tests {
			if err := tt.op(); !errors.Is(err, tt.wantErr) {
				t.Errorf("%s = %v, want %v", tt.name, err, tt.wantErr)
			}
		}
		if d := diffState(fullState(t, b), before); d != "" {
			t.Errorf("refused calls changed the state: %s", d)
		}
	})
}

// fullState is observe with the consumers' seen-times, which a refused call
// must not move either.
func fullState(t *testing.T, b *broker.Broker) state {
	t.Helper()
	ctx := context.Background()
	keys, err := b.Keys(ctx)
	if err != nil {
		t.Fatal(err)
	}
	st := make(state, len(keys))
	for _, k := range keys {
		if st[k], err = b.XInfoStreamFull(ctx, k, 0); err != nil {
			t.Fatal(err)
		}
	}
	return st
}
