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

func ptr[T any](v T) *T { return &v }

func TestXGroupAdmin(t *testing.T) {
	eachKind(t, func(t *testing.T, k kind) {
		ctx := context.Background()
		tests := []struct {
			name    string
			op      func(b *broker.Broker) (any, error)
			want    any
			wantErr error
		}{
			{name: "create on missing key", op: func(b *broker.Broker) (any, error) {
				return nil, b.XGroupCreate(ctx, "nope", "g", broker.GroupCreateOptions{})
			}, wantErr: broker.ErrNoStream},
			{name: "create mkstream", op: func(b *broker.Broker) (any, error) {
				err := b.XGroupCreate(ctx, "new", "g", broker.GroupCreateOptions{MkStream: true})
				n, _ := b.Exists(ctx, "new")
				return n, err
			}, want: int64(1)},
			{name: "create twice", op: func(b *broker.Broker) (any, error) {
				return nil, b.XGroupCreate(ctx, "s", "g", broker.GroupCreateOptions{})
			}, wantErr: stream.ErrGroupExists},
			{name: "create latest", op: func(b *broker.Broker) (any, error) {
				err := b.XGroupCreate(ctx, "s", "h", broker.GroupCreateOptions{Latest: true, EntriesRead: ptr(int64(3))})
				return groupRow(b, "s", "h"), err
			}, want: "h last=3-0 read=3 lag=0"},
			{name: "setid", op: func(b *broker.Broker) (any, error) {
				err := b.XGroupSetID(ctx, "s", "g", id(1, 0), false, ptr(int64(1)))
				return groupRow(b, "s", "g"), err
			}, want: "g last=1-0 read=1 lag=2"},
			{name: "setid latest", op: func(b *broker.Broker) (any, error) {
				err := b.XGroupSetID(ctx, "s", "g", stream.ID{}, true, nil)
				return groupRow(b, "s", "g"), err
			}, want: "g last=3-0 read=-1 lag=0"},
			{name: "setid missing group", op: func(b *broker.Broker) (any, error) {
				return nil, b.XGroupSetID(ctx, "s", "zz", id(1, 0), false, nil)
			}, wantErr: stream.ErrNoGroup},
			{name: "setid missing key", op: func(b *broker.Broker) (any, error) {
				return nil, b.XGroupSetID(ctx, "nope", "g", id(1, 0), false, nil)
			}, wantErr: broker.ErrNoStream},
			{name: "destroy", op: func(b *broker.Broker) (any, error) { return b.XGroupDestroy(ctx, "s", "g") }, want: true},
			{name: "destroy unknown", op: func(b *broker.Broker) (any, error) { return b.XGroupDestroy(ctx, "s", "zz") }, want: false},
			{name: "destroy missing key", op: func(b *broker.Broker) (any, error) { return b.XGroupDestroy(ctx, "nope", "g") }, wantErr: broker.ErrNoStream},
			{name: "createconsumer", op: func(b *broker.Broker) (any, error) { return b.XGroupCreateConsumer(ctx, "s", "g", "c") }, want: true},
			{name: "createconsumer existing", op: func(b *broker.Broker) (any, error) {
				b.XGroupCreateConsumer(ctx, "s", "g", "c")
				return b.XGroupCreateConsumer(ctx, "s", "g", "c")
			}, want: false},
			{name: "createconsumer missing group", op: func(b *broker.Broker) (any, error) { return b.XGroupCreateConsumer(ctx, "s", "zz", "c") }, wantErr: stream.ErrNoGroup},
			{name: "delconsumer", op: func(b *broker.Broker) (any, error) {
				readNew(b, "g", "c", "s", 2)
				n, err := b.XGroupDelConsumer(ctx, "s", "g", "c")
				sum, _ := b.XPending(ctx, "s", "g")
				return fmt.Sprint(n, sum.Count), err
			}, want: "2 0"},
			{name: "delconsumer missing group", op: func(b *broker.Broker) (any, error) { return b.XGroupDelConsumer(ctx, "s", "zz", "c") }, wantErr: stream.ErrNoGroup},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				b, _ := k.open(t, 1000)
				for i := uint64(1); i <= 3; i++ {
					mustAdd(t, b, "s", id(i, 0), "f", "v")
				}
				if err := b.XGroupCreate(ctx, "s", "g", broker.GroupCreateOptions{}); err != nil {
					t.Fatal(err)
				}
				got, err := tt.op(b)
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("err = %v, want %v", err, tt.wantErr)
				}
				if err == nil && got != tt.want {
					t.Errorf("got %v, want %v", got, tt.want)
				}
			})
		}
	})
}

// groupRow renders one XINFO GROUPS row.
func groupRow(b *broker.Broker, key, group string) string {
	gs, err := b.XInfoGroups(context.Background(), key)
	if err != nil {
		return err.Error()
	}
	for _, g := range gs {
		if g.Name == group {
			return fmt.Sprintf("%s last=%v read=%d lag=%d", g.Name, g.LastDeliveredID, g.EntriesRead, g.Lag)
		}
	}
	return "no group " + group
}

func readNew(b *broker.Broker, group, consumer, key string, count int) string {
	res, err := b.XReadGroup(context.Background(), group, consumer, []broker.GroupReadStream{{Key: key, New: true}}, broker.GroupReadOptions{Count: count})
	if err != nil {
		return err.Error()
	}
	return summary(res)
}

func TestXReadGroup(t *testing.T) {
	eachKind(t, func(t *testing.T, k kind) {
		ctx := context.Background()
		b, _ := k.open(t, 1000)
		for i := uint64(1); i <= 4; i++ {
			mustAdd(t, b, "s", id(i, 0), "f", "v")
		}
		mustAdd(t, b, "t", id(1, 0), "f", "v")
		for _, k := range []string{"s", "t"} {
			if err := b.XGroupCreate(ctx, k, "g", broker.GroupCreateOptions{}); err != nil {
				t.Fatal(err)
			}
		}
		hist := func(k string, after stream.ID) broker.GroupReadStream {
			return broker.GroupReadStream{Key: k, After: after}
		}
		newer := func(k string) broker.GroupReadStream { return broker.GroupReadStream{Key: k, New: true} }
		steps := []struct {
			name     string
			consumer string
			streams  []broker.GroupReadStream
			opts     broker.GroupReadOptions
			want     string
			wantErr  error
		}{
			{name: "new with count", consumer: "a", streams: []broker.GroupReadStream{newer("s")}, opts: broker.GroupReadOptions{Count: 2}, want: "s:1-0,2-0"},
			{name: "next consumer gets the rest", consumer: "b", streams: []broker.GroupReadStream{newer("s")}, want: "s:3-0,4-0"},
			{name: "nothing new is nil", consumer: "a", streams: []broker.GroupReadStream{newer("s")}, want: "nil"},
			{name: "history is the consumer's own", consumer: "a", streams: []broker.GroupReadStream{hist("s", stream.MinID)}, want: "s:1-0,2-0"},
			{name: "history after", consumer: "b", streams: []broker.GroupReadStream{hist("s", id(3, 0))}, want: "s:4-0"},
			{name: "empty history is still listed", consumer: "z", streams: []broker.GroupReadStream{hist("s", stream.MinID)}, want: "s:"},
			{name: "two streams", consumer: "a", streams: []broker.GroupReadStream{newer("s"), newer("t")}, want: "t:1-0"},
			{name: "missing key", consumer: "a", streams: []broker.GroupReadStream{newer("nope")}, wantErr: stream.ErrNoGroup},
			{name: "missing group on second stream changes nothing", consumer: "q", streams: []broker.GroupReadStream{hist("s", stream.MinID), newer("nope")}, wantErr: stream.ErrNoGroup},
		}
		for _, st := range steps {
			res, err := b.XReadGroup(ctx, "g", st.consumer, st.streams, st.opts)
			if !errors.Is(err, st.wantErr) {
				t.Fatalf("%s: err = %v, want %v", st.name, err, st.wantErr)
			}
			if err == nil && summary(res) != st.want {
				t.Fatalf("%s: got %s, want %s", st.name, summary(res), st.want)
			}
		}
		cs, err := b.XInfoConsumers(ctx, "s", "g")
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, c := range cs {
			names = append(names, fmt.Sprintf("%s:%d", c.Name, c.Pending))
		}
		if got := fmt.Sprint(names); got != "[a:2 b:2 z:0]" {
			t.Errorf("consumers = %s, want [a:2 b:2 z:0] (q must not exist)", got)
		}
		p, err := b.XPendingRange(ctx, "s", "g", stream.PendingQuery{Start: stream.MinID, End: stream.MaxID, Count: 10, Consumer: "a"})
		if err != nil || len(p) != 2 || p[0].DeliveryCount != 2 {
			t.Errorf("history reads must count deliveries: %+v, %v", p, err)
		}
	})
}

func TestXReadGroupNoAck(t *testing.T) {
	eachKind(t, func(t *testing.T, k kind) {
		ctx := context.Background()
		b, _ := k.open(t, 1000)
		mustAdd(t, b, "s", id(1, 0), "f", "v")
		if err := b.XGroupCreate(ctx, "s", "g", broker.GroupCreateOptions{}); err != nil {
			t.Fatal(err)
		}
		res, err := b.XReadGroup(ctx, "g", "c", []broker.GroupReadStream{{Key: "s", New: true}}, broker.GroupReadOptions{NoAck: true})
		if err != nil || summary(res) != "s:1-0" {
			t.Fatalf("got %s, %v", summary(res), err)
		}
		if sum, err := b.XPending(ctx, "s", "g"); err != nil || sum.Count != 0 {
			t.Fatalf("NOACK left pending entries: %+v, %v", sum, err)
		}
	})
}

func TestAckPendingClaim(t *testing.T) {
	eachKind(t, func(t *testing.T, k kind) {
		ctx := context.Background()
		b, clk := k.open(t, 1000)
		for i := uint64(1); i <= 4; i++ {
			mustAdd(t, b, "s", id(i, 0), "f", "v")
		}
		if err := b.XGroupCreate(ctx, "s", "g", broker.GroupCreateOptions{}); err != nil {
			t.Fatal(err)
		}
		readNew(b, "g", "a", "s", 0)
		clk.Advance(5 * time.Second)
		steps := []struct {
			name    string
			op      func() (any, error)
			want    string
			wantErr error
		}{
			{name: "ack", op: func() (any, error) { return b.XAck(ctx, "s", "g", id(1, 0), id(1, 0), id(9, 0)) }, want: "1"},
			{name: "ack missing key", op: func() (any, error) { return b.XAck(ctx, "nope", "g", id(1, 0)) }, want: "0"},
			{name: "ack missing group", op: func() (any, error) { return b.XAck(ctx, "s", "zz", id(2, 0)) }, want: "0"},
			{name: "pending", op: func() (any, error) { return b.XPending(ctx, "s", "g") }, want: "{3 2-0 4-0 [{a 3}]}"},
			{name: "pending range idle", op: func() (any, error) {
				p, err := b.XPendingRange(ctx, "s", "g", stream.PendingQuery{Start: stream.MinID, End: stream.MaxID, Count: 1})
				return p, err
			}, want: "[{2-0 a 1000 1}]"},
			{name: "claim too fresh", op: func() (any, error) {
				e, err := b.XClaim(ctx, "s", "g", "b", 10*time.Second, []stream.ID{id(2, 0)}, stream.ClaimOptions{})
				return ids(e), err
			}, want: "[]"},
			{name: "claim", op: func() (any, error) {
				e, err := b.XClaim(ctx, "s", "g", "b", 5*time.Second, []stream.ID{id(2, 0)}, stream.ClaimOptions{})
				return ids(e), err
			}, want: "[2-0]"},
			{name: "claimed owner and count", op: func() (any, error) {
				return b.XPendingRange(ctx, "s", "g", stream.PendingQuery{Start: id(2, 0), End: id(2, 0), Count: 1})
			}, want: "[{2-0 b 6000 2}]"},
			{name: "autoclaim", op: func() (any, error) {
				b.XDel(ctx, "s", id(4, 0))
				next, e, del, err := b.XAutoClaim(ctx, "s", "g", "c", time.Second, stream.MinID, 10, false)
				return fmt.Sprint(next, ids(e), del), err
			}, want: "0-0 [3-0] [4-0]"},
			{name: "claim missing key", op: func() (any, error) {
				return b.XClaim(ctx, "nope", "g", "b", 0, []stream.ID{id(2, 0)}, stream.ClaimOptions{})
			}, wantErr: stream.ErrNoGroup},
			{name: "pending missing key", op: func() (any, error) { return b.XPending(ctx, "nope", "g") }, wantErr: stream.ErrNoGroup},
			{name: "autoclaim missing group", op: func() (any, error) {
				_, _, _, err := b.XAutoClaim(ctx, "s", "zz", "c", 0, stream.MinID, 10, false)
				return nil, err
			}, wantErr: stream.ErrNoGroup},
		}
		for _, st := range steps {
			got, err := st.op()
			if !errors.Is(err, st.wantErr) {
				t.Fatalf("%s: err = %v, want %v", st.name, err, st.wantErr)
			}
			if s := fmt.Sprint(got); err == nil && s != st.want {
				t.Fatalf("%s: got %s, want %s", st.name, s, st.want)
			}
		}
	})
}

func TestXInfo(t *testing.T) {
	eachKind(t, func(t *testing.T, k kind) {
		ctx := context.Background()
		b, _ := k.open(t, 1000)
		for i := uint64(1); i <= 3; i++ {
			mustAdd(t, b, "s", id(i, 0), "f", "v")
		}
		if err := b.XGroupCreate(ctx, "s", "g", broker.GroupCreateOptions{}); err != nil {
			t.Fatal(err)
		}
		readNew(b, "g", "a", "s", 2)
		in, err := b.XInfoStream(ctx, "s")
		if err != nil || in.Length != 3 || in.LastGeneratedID != id(3, 0) || in.Groups != 1 || in.FirstEntry == nil || in.FirstEntry.ID != id(1, 0) {
			t.Errorf("XInfoStream = %+v, %v", in, err)
		}
		full, err := b.XInfoStreamFull(ctx, "s", 1)
		if err != nil || len(full.Entries) != 1 || len(full.Groups) != 1 || full.Groups[0].PELCount != 2 || len(full.Groups[0].Pending) != 1 {
			t.Errorf("XInfoStreamFull = %+v, %v", full, err)
		}
		for name, op := range map[string]func() error{
			"stream":    func() error { _, err := b.XInfoStream(ctx, "nope"); return err },
			"full":      func() error { _, err := b.XInfoStreamFull(ctx, "nope", 0); return err },
			"groups":    func() error { _, err := b.XInfoGroups(ctx, "nope"); return err },
			"consumers": func() error { _, err := b.XInfoConsumers(ctx, "nope", "g"); return err },
		} {
			if err := op(); !errors.Is(err, broker.ErrNoStream) {
				t.Errorf("XINFO %s on a missing key: %v, want ErrNoStream", name, err)
			}
		}
		if _, err := b.XInfoConsumers(ctx, "s", "zz"); !errors.Is(err, stream.ErrNoGroup) {
			t.Errorf("XINFO CONSUMERS missing group: %v", err)
		}
	})
}
