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
			}, wantErr: broker.ErrGroupExists},
			{name: "create latest", op: func(b *broker.Broker) (any, error) {
				err := b.XGroupCreate(ctx, "s", "h", broker.GroupCreateOptions{Start: broker.Latest(), EntriesRead: ptr(int64(3))})
				return groupRow(b, "s", "h"), err
			}, want: "h last=3-0 read=3 lag=0"},
			{name: "setid", op: func(b *broker.Broker) (any, error) {
				err := b.XGroupSetID(ctx, "s", "g", broker.GroupSetIDOptions{Start: broker.After(id(1, 0)), EntriesRead: ptr(int64(1))})
				return groupRow(b, "s", "g"), err
			}, want: "g last=1-0 read=1 lag=2"},
			{name: "setid latest", op: func(b *broker.Broker) (any, error) {
				err := b.XGroupSetID(ctx, "s", "g", broker.GroupSetIDOptions{Start: broker.Latest()})
				return groupRow(b, "s", "g"), err
			}, want: "g last=3-0 read=-1 lag=0"},
			{name: "setid missing group", op: func(b *broker.Broker) (any, error) {
				return nil, b.XGroupSetID(ctx, "s", "zz", broker.GroupSetIDOptions{Start: broker.After(id(1, 0))})
			}, wantErr: broker.ErrNoGroup},
			{name: "setid missing key", op: func(b *broker.Broker) (any, error) {
				return nil, b.XGroupSetID(ctx, "nope", "g", broker.GroupSetIDOptions{Start: broker.After(id(1, 0))})
			}, wantErr: broker.ErrNoStream},
			{name: "setid undelivered", op: func(b *broker.Broker) (any, error) {
				return nil, b.XGroupSetID(ctx, "s", "g", broker.GroupSetIDOptions{Start: broker.Undelivered()})
			}, wantErr: broker.ErrInvalidArgument},
			{name: "create at last entry", op: func(b *broker.Broker) (any, error) {
				return nil, b.XGroupCreate(ctx, "s", "h", broker.GroupCreateOptions{Start: broker.LastEntry()})
			}, wantErr: broker.ErrInvalidArgument},
			{name: "create entries-read below -1", op: func(b *broker.Broker) (any, error) {
				return nil, b.XGroupCreate(ctx, "s", "h", broker.GroupCreateOptions{EntriesRead: ptr(int64(-2))})
			}, wantErr: broker.ErrEntriesRead},
			{name: "destroy", op: func(b *broker.Broker) (any, error) { return b.XGroupDestroy(ctx, "s", "g") }, want: true},
			{name: "destroy unknown", op: func(b *broker.Broker) (any, error) { return b.XGroupDestroy(ctx, "s", "zz") }, want: false},
			{name: "destroy missing key", op: func(b *broker.Broker) (any, error) { return b.XGroupDestroy(ctx, "nope", "g") }, wantErr: broker.ErrNoStream},
			{name: "createconsumer missing key", op: func(b *broker.Broker) (any, error) { return b.XGroupCreateConsumer(ctx, "nope", "g", "c") }, wantErr: broker.ErrNoStream},
			{name: "delconsumer missing key", op: func(b *broker.Broker) (any, error) { return b.XGroupDelConsumer(ctx, "nope", "g", "c") }, wantErr: broker.ErrNoStream},
			{name: "createconsumer", op: func(b *broker.Broker) (any, error) { return b.XGroupCreateConsumer(ctx, "s", "g", "c") }, want: true},
			{name: "createconsumer existing", op: func(b *broker.Broker) (any, error) {
				b.XGroupCreateConsumer(ctx, "s", "g", "c")
				return b.XGroupCreateConsumer(ctx, "s", "g", "c")
			}, want: false},
			{name: "createconsumer missing group", op: func(b *broker.Broker) (any, error) { return b.XGroupCreateConsumer(ctx, "s", "zz", "c") }, wantErr: broker.ErrNoGroup},
			{name: "delconsumer", op: func(b *broker.Broker) (any, error) {
				readNew(b, "g", "c", "s", 2)
				n, err := b.XGroupDelConsumer(ctx, "s", "g", "c")
				sum, _ := b.XPending(ctx, "s", "g")
				return fmt.Sprint(n, sum.Count), err
			}, want: "2 0"},
			{name: "delconsumer missing group", op: func(b *broker.Broker) (any, error) { return b.XGroupDelConsumer(ctx, "s", "zz", "c") }, wantErr: broker.ErrNoGroup},
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

// pendingRows renders pending entries as {ID consumer delivered-ms idle
// deliveries}.
func pendingRows(ps []broker.Pending) string {
	rows := make([]string, len(ps))
	for i, p := range ps {
		rows[i] = fmt.Sprintf("{%v %s %d %v %d}", p.ID, p.Consumer, p.Delivered.UnixMilli(), p.Idle, p.Deliveries)
	}
	return fmt.Sprint(rows)
}

func readNew(b *broker.Broker, group, consumer, key string, count int) string {
	res, err := b.XReadGroup(context.Background(), group, consumer, []broker.ReadStream{{Key: key, From: broker.Undelivered()}}, broker.GroupReadOptions{Count: count})
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
		mustAdd(t, b, "u", id(1, 0), "f", "v") // no group
		for _, k := range []string{"s", "t"} {
			if err := b.XGroupCreate(ctx, k, "g", broker.GroupCreateOptions{}); err != nil {
				t.Fatal(err)
			}
		}
		hist := func(k string, after stream.ID) broker.ReadStream {
			return broker.ReadStream{Key: k, From: broker.After(after)}
		}
		newer := func(k string) broker.ReadStream { return broker.ReadStream{Key: k, From: broker.Undelivered()} }
		steps := []struct {
			name     string
			consumer string
			streams  []broker.ReadStream
			opts     broker.GroupReadOptions
			want     string
			wantErr  error
		}{
			{name: "new with count", consumer: "a", streams: []broker.ReadStream{newer("s")}, opts: broker.GroupReadOptions{Count: 2}, want: "s:1-0,2-0"},
			{name: "next consumer gets the rest", consumer: "b", streams: []broker.ReadStream{newer("s")}, want: "s:3-0,4-0"},
			{name: "nothing new is nil", consumer: "a", streams: []broker.ReadStream{newer("s")}, want: "nil"},
			{name: "history is the consumer's own", consumer: "a", streams: []broker.ReadStream{hist("s", stream.MinID)}, want: "s:1-0,2-0"},
			{name: "history after", consumer: "b", streams: []broker.ReadStream{hist("s", id(3, 0))}, want: "s:4-0"},
			{name: "empty history is still listed", consumer: "z", streams: []broker.ReadStream{hist("s", stream.MinID)}, want: "s:"},
			{name: "two streams", consumer: "a", streams: []broker.ReadStream{newer("s"), newer("t")}, want: "t:1-0"},
			{name: "missing key", consumer: "a", streams: []broker.ReadStream{newer("nope")}, wantErr: broker.ErrNoStream},
			{name: "missing key on second stream changes nothing", consumer: "q", streams: []broker.ReadStream{hist("s", stream.MinID), newer("nope")}, wantErr: broker.ErrNoStream},
			{name: "missing group", consumer: "a", streams: []broker.ReadStream{newer("u")}, wantErr: broker.ErrNoGroup},
			{name: "missing group on second stream changes nothing", consumer: "q", streams: []broker.ReadStream{newer("t"), newer("u")}, wantErr: broker.ErrNoGroup},
			{name: "latest is not a group position", consumer: "q", streams: []broker.ReadStream{{Key: "s", From: broker.Latest()}}, wantErr: broker.ErrInvalidArgument},
			{name: "negative count", consumer: "q", streams: []broker.ReadStream{newer("s")}, opts: broker.GroupReadOptions{Count: -1}, wantErr: broker.ErrInvalidArgument},
			{name: "negative block", consumer: "q", streams: []broker.ReadStream{newer("s")}, opts: broker.GroupReadOptions{Block: -1}, wantErr: broker.ErrInvalidArgument},
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
		p, err := b.XPendingRange(ctx, "s", "g", broker.PendingOptions{Start: stream.MinID, End: stream.MaxID, Count: 10, Consumer: "a"})
		if err != nil || len(p) != 2 || p[0].Deliveries != 2 {
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
		res, err := b.XReadGroup(ctx, "g", "c", []broker.ReadStream{{Key: "s", From: broker.Undelivered()}}, broker.GroupReadOptions{NoAck: true})
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
				p, err := b.XPendingRange(ctx, "s", "g", broker.PendingOptions{Start: stream.MinID, End: stream.MaxID, Count: 1})
				return pendingRows(p), err
			}, want: "[{2-0 a 1000 5s 1}]"},
			{name: "pending range, zero options: all", op: func() (any, error) {
				p, err := b.XPendingRange(ctx, "s", "g", broker.PendingOptions{})
				return pendingRows(p), err
			}, want: "[{2-0 a 1000 5s 1} {3-0 a 1000 5s 1} {4-0 a 1000 5s 1}]"},
			{name: "pending range min idle", op: func() (any, error) {
				p, err := b.XPendingRange(ctx, "s", "g", broker.PendingOptions{MinIdle: 6 * time.Second})
				return pendingRows(p), err
			}, want: "[]"},
			{name: "pending range negative count", op: func() (any, error) {
				return b.XPendingRange(ctx, "s", "g", broker.PendingOptions{Count: -1})
			}, wantErr: broker.ErrInvalidArgument},
			{name: "claim too fresh", op: func() (any, error) {
				e, err := b.XClaim(ctx, "s", "g", "b", []stream.ID{id(2, 0)}, broker.ClaimOptions{MinIdle: 10 * time.Second})
				return ids(e), err
			}, want: "[]"},
			{name: "claim", op: func() (any, error) {
				e, err := b.XClaim(ctx, "s", "g", "b", []stream.ID{id(2, 0)}, broker.ClaimOptions{MinIdle: 5 * time.Second})
				return ids(e), err
			}, want: "[2-0]"},
			{name: "claimed owner and count", op: func() (any, error) {
				p, err := b.XPendingRange(ctx, "s", "g", broker.PendingOptions{Start: id(2, 0), End: id(2, 0), Count: 1})
				return pendingRows(p), err
			}, want: "[{2-0 b 6000 0s 2}]"},
			{name: "claim negative min idle", op: func() (any, error) {
				return b.XClaim(ctx, "s", "g", "b", []stream.ID{id(2, 0)}, broker.ClaimOptions{MinIdle: -1})
			}, wantErr: broker.ErrInvalidArgument},
			{name: "autoclaim", op: func() (any, error) {
				b.XDel(ctx, "s", id(4, 0))
				r, err := b.XAutoClaim(ctx, "s", "g", "c", broker.AutoClaimOptions{MinIdle: time.Second, Start: stream.MinID, Count: 10})
				return fmt.Sprint(r.Next, ids(r.Claimed), r.Deleted), err
			}, want: "0-0 [3-0] [4-0]"},
			{name: "claim missing key", op: func() (any, error) {
				return b.XClaim(ctx, "nope", "g", "b", []stream.ID{id(2, 0)}, broker.ClaimOptions{})
			}, wantErr: broker.ErrNoStream},
			{name: "claim missing group", op: func() (any, error) {
				return b.XClaim(ctx, "s", "zz", "b", []stream.ID{id(2, 0)}, broker.ClaimOptions{})
			}, wantErr: broker.ErrNoGroup},
			{name: "pending missing key", op: func() (any, error) { return b.XPending(ctx, "nope", "g") }, wantErr: broker.ErrNoStream},
			{name: "pending missing group", op: func() (any, error) { return b.XPending(ctx, "s", "zz") }, wantErr: broker.ErrNoGroup},
			{name: "pending range missing key", op: func() (any, error) { return b.XPendingRange(ctx, "nope", "g", broker.PendingOptions{}) }, wantErr: broker.ErrNoStream},
			{name: "pending range missing group", op: func() (any, error) { return b.XPendingRange(ctx, "s", "zz", broker.PendingOptions{}) }, wantErr: broker.ErrNoGroup},
			{name: "autoclaim missing key", op: func() (any, error) {
				_, err := b.XAutoClaim(ctx, "nope", "g", "c", broker.AutoClaimOptions{Count: 10})
				return nil, err
			}, wantErr: broker.ErrNoStream},
			{name: "autoclaim negative count", op: func() (any, error) {
				_, err := b.XAutoClaim(ctx, "s", "g", "c", broker.AutoClaimOptions{Count: -1})
				return nil, err
			}, wantErr: broker.ErrInvalidArgument},
			{name: "autoclaim missing group", op: func() (any, error) {
				_, err := b.XAutoClaim(ctx, "s", "zz", "c", broker.AutoClaimOptions{Start: stream.MinID, Count: 10})
				return nil, err
			}, wantErr: broker.ErrNoGroup},
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
		if _, err := b.XInfoConsumers(ctx, "s", "zz"); !errors.Is(err, broker.ErrNoGroup) {
			t.Errorf("XINFO CONSUMERS missing group: %v", err)
		}
	})
}

// TestXInfoConsumerTimes checks the times of XINFO CONSUMERS and XINFO
// STREAM FULL on the broker clock: idle since the last interaction,
// inactive since the last successful read (negative, or a zero Active time,
// for a consumer that never read).
func TestXInfoConsumerTimes(t *testing.T) {
	eachKind(t, func(t *testing.T, k kind) {
		ctx := context.Background()
		b, clk := k.open(t, 1000)
		mustAdd(t, b, "s", id(1, 0), "f", "v")
		if err := b.XGroupCreate(ctx, "s", "g", broker.GroupCreateOptions{}); err != nil {
			t.Fatal(err)
		}
		readNew(b, "g", "a", "s", 0)
		clk.Advance(time.Second)
		if _, err := b.XGroupCreateConsumer(ctx, "s", "g", "z"); err != nil {
			t.Fatal(err)
		}
		clk.Advance(2 * time.Second)
		cs, err := b.XInfoConsumers(ctx, "s", "g")
		if err != nil {
			t.Fatal(err)
		}
		want := []broker.ConsumerInfo{
			{Name: "a", Pending: 1, Idle: 3 * time.Second, Inactive: 3 * time.Second},
			{Name: "z", Pending: 0, Idle: 2 * time.Second, Inactive: -time.Millisecond},
		}
		if len(cs) != len(want) {
			t.Fatalf("XInfoConsumers = %+v, want %+v", cs, want)
		}
		for i, c := range cs {
			w := want[i]
			if c.Name != w.Name || c.Pending != w.Pending || c.Idle != w.Idle || (w.Inactive < 0) != (c.Inactive < 0) || (w.Inactive >= 0 && c.Inactive != w.Inactive) {
				t.Errorf("consumer %d = %+v, want %+v (a negative Inactive: never)", i, c, w)
			}
		}
		full, err := b.XInfoStreamFull(ctx, "s", 0)
		if err != nil || len(full.Groups) != 1 || len(full.Groups[0].Consumers) != 2 {
			t.Fatalf("XInfoStreamFull = %+v, %v", full, err)
		}
		a, z := full.Groups[0].Consumers[0], full.Groups[0].Consumers[1]
		if !a.Seen.Equal(time.UnixMilli(1000)) || !a.Active.Equal(time.UnixMilli(1000)) || a.PELCount != 1 || len(a.Pending) != 1 ||
			a.Pending[0].Idle != 3*time.Second || !a.Pending[0].Delivered.Equal(time.UnixMilli(1000)) {
			t.Errorf("consumer a = %+v", a)
		}
		if !z.Seen.Equal(time.UnixMilli(2000)) || !z.Active.IsZero() || z.PELCount != 0 || len(z.Pending) != 0 {
			t.Errorf("consumer z = %+v; want seen at 2000 ms, never active", z)
		}
	})
}

// TestXAutoClaimCountZero: a zero Count claims every pending entry
// (XAUTOCLAIM's own default of 100 is the caller's to pass).
func TestXAutoClaimCountZero(t *testing.T) {
	eachKind(t, func(t *testing.T, k kind) {
		ctx := context.Background()
		b, _ := k.open(t, 1000)
		const n = 150
		batch := make([][]stream.Field, n)
		for i := range batch {
			batch[i] = fields("i", fmt.Sprint(i))
		}
		if _, err := b.XAddBatch(ctx, "s", batch, broker.AddOptions{}); err != nil {
			t.Fatal(err)
		}
		if err := b.XGroupCreate(ctx, "s", "g", broker.GroupCreateOptions{}); err != nil {
			t.Fatal(err)
		}
		readNew(b, "g", "a", "s", 0)
		r, err := b.XAutoClaim(ctx, "s", "g", "b", broker.AutoClaimOptions{})
		if err != nil || len(r.Claimed) != n || r.Next != (stream.ID{}) || len(r.Deleted) != 0 {
			t.Fatalf("XAutoClaim with Count 0 = next %v, %d claimed, deleted %v, %v; want all %d", r.Next, len(r.Claimed), r.Deleted, err, n)
		}
		r, err = b.XAutoClaim(ctx, "s", "g", "c", broker.AutoClaimOptions{Count: 100})
		if err != nil || len(r.Claimed) != 100 || r.Next != id(1000, 100) {
			t.Fatalf("XAutoClaim with Count 100 = next %v, %d claimed, %v", r.Next, len(r.Claimed), err)
		}
	})
}

// TestXClaimOptions checks XCLAIM's options as durations and instants:
// IDLE, TIME, RETRYCOUNT, JUSTID and LASTID.
func TestXClaimOptions(t *testing.T) {
	eachKind(t, func(t *testing.T, k kind) {
		ctx := context.Background()
		b, clk := k.open(t, 10_000)
		for i := uint64(1); i <= 3; i++ {
			mustAdd(t, b, "s", id(i, 0), "f", "v")
		}
		if err := b.XGroupCreate(ctx, "s", "g", broker.GroupCreateOptions{}); err != nil {
			t.Fatal(err)
		}
		readNew(b, "g", "a", "s", 0)
		clk.Advance(time.Second)
		pending := func(at stream.ID) string {
			t.Helper()
			p, err := b.XPendingRange(ctx, "s", "g", broker.PendingOptions{Start: at, End: at})
			if err != nil {
				t.Fatal(err)
			}
			return pendingRows(p)
		}
		if _, err := b.XClaim(ctx, "s", "g", "b", []stream.ID{id(1, 0)}, broker.ClaimOptions{Idle: 5 * time.Second}); err != nil {
			t.Fatal(err)
		}
		if got, want := pending(id(1, 0)), "[{1-0 b 6000 5s 2}]"; got != want {
			t.Errorf("after IDLE 5s: %s, want %s", got, want)
		}
		e, err := b.XClaim(ctx, "s", "g", "b", []stream.ID{id(2, 0)},
			broker.ClaimOptions{Time: time.UnixMilli(4000), Idle: time.Hour, RetryCount: ptr(uint64(7)), JustID: true})
		if err != nil || len(e) != 1 || e[0].Fields != nil {
			t.Fatalf("XClaim JUSTID = %+v, %v; want one ID without fields", e, err)
		}
		if got, want := pending(id(2, 0)), "[{2-0 b 4000 7s 7}]"; got != want {
			t.Errorf("after TIME 4000 RETRYCOUNT 7 JUSTID: %s, want %s", got, want)
		}
		if _, err := b.XClaim(ctx, "s", "g", "b", []stream.ID{id(3, 0)}, broker.ClaimOptions{MinIdle: 2 * time.Second}); err != nil {
			t.Fatal(err)
		}
		if got, want := pending(id(3, 0)), "[{3-0 a 10000 1s 1}]"; got != want {
			t.Errorf("a claim under MinIdle changed %s, want %s", got, want)
		}
		if _, err := b.XClaim(ctx, "s", "g", "b", nil, broker.ClaimOptions{LastID: id(9, 0)}); err != nil {
			t.Fatal(err)
		}
		if got, want := groupRow(b, "s", "g"), "g last=9-0 read=3 lag=0"; got != want {
			t.Errorf("after LASTID 9-0: %s, want %s", got, want)
		}
	})
}
