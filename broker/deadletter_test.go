package broker_test

import (
	"context"
	"errors"
	"strconv"
	"testing"
	"time"

	"github.com/brookmq/brook/broker"
	"github.com/brookmq/brook/wal/faultfs"
)

// TestDeadLetterRecovery dead-letters entries on a durable broker, then
// recovers it from the log alone (a crash, no snapshot since) and with
// snapshots taken in between, and checks that both keys come back as they
// were: the move is one logged mutation, replayed through the same apply.
func TestDeadLetterRecovery(t *testing.T) {
	for name, every := range map[string]int64{"log only": -1, "snapshots": 2 << 10} {
		t.Run(name, func(t *testing.T) {
			fsys := faultfs.New(1)
			opts := broker.Options{Durability: broker.DurabilityOptions{FS: fsys, SnapshotEvery: every, Logf: t.Logf}}
			b := openDurable(t, "/data", opts)
			defer b.Close()
			const n = 40
			fillGroup(t, b, "jobs", "g", n)
			w := newWorker(t, b, "jobs", "g", "c1", func(ctx context.Context, e broker.Entry) error {
				if v, _ := strconv.Atoi(e.Fields[0].Value); v%3 == 0 {
					return errors.New("no")
				}
				return nil
			}, broker.WorkerOptions{MaxDeliveries: 2, MinBackoff: time.Millisecond, MaxBackoff: time.Millisecond})
			stop := runWorker(t, w)
			eventually(t, "all settled", func() bool { st := w.Stats(); return st.Processed+st.DeadLettered == n })
			if err := stop(); err != nil {
				t.Fatal(err)
			}
			if st := w.Stats(); st.DeadLettered != (n+2)/3 {
				t.Fatalf("Stats = %+v", st)
			}
			want := withoutImplicit(observe(t, b))
			again := openDurable(t, "/data", withFS(opts, fsys.Crash()))
			defer again.Close()
			if d := diffState(withoutImplicit(observe(t, again)), want); d != "" {
				t.Fatalf("after recovery: %s", d)
			}
		})
	}
}

// TestDeadLetterWakesReaders: a reader blocked on the dead-letter stream
// gets the entry the move adds.
func TestDeadLetterWakesReaders(t *testing.T) {
	b := newBroker(t, broker.Options{})
	ctx := context.Background()
	fillGroup(t, b, "jobs", "g", 1)
	got := make(chan []broker.StreamEntries, 1)
	go func() {
		res, _ := b.XRead(ctx, []broker.ReadStream{{Key: "jobs:dead", From: broker.After(broker.MinID)}}, broker.ReadOptions{Block: broker.BlockForever})
		got <- res
	}()
	w := newWorker(t, b, "jobs", "g", "c1", func(ctx context.Context, e broker.Entry) error {
		return errors.New("no")
	}, broker.WorkerOptions{MaxDeliveries: 1})
	stop := runWorker(t, w)
	res := <-got
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	if len(res) != 1 || len(res[0].Entries) != 1 {
		t.Fatalf("blocked reader got %+v", res)
	}
}
