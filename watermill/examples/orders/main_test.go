package main

import (
	"bytes"
	"context"
	"strconv"
	"strings"
	"testing"

	"github.com/ThreeDotsLabs/watermill/message/router/middleware"
	"github.com/brookmq/brook/broker"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// TestOrders runs the example twice on one directory and checks its story:
// every order is processed exactly once except the poisoned one, which is in
// the poison stream with Watermill's metadata; the transient failures were
// retried; nothing is left pending; the second run finds the first run's
// streams on disk.
func TestOrders(t *testing.T) {
	dir := t.TempDir()
	const n1, n2 = 40, 25
	rep1 := runOrders(t, dir, n1)
	check(t, rep1, n1)
	rep2 := runOrders(t, dir, n2)
	check(t, rep2, n2)
	if rep2.ordersLen != n1+n2 || rep2.poisonLen != 2 {
		t.Errorf("second run: streams hold %d orders and %d poisoned, want %d and 2", rep2.ordersLen, rep2.poisonLen, n1+n2)
	}

	// The broker is closed; reopening the directory finds both runs.
	b, err := broker.Open(dir, broker.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	ctx := context.Background()
	poison, err := b.XRange(ctx, poisonTopic, broker.MinID, broker.MaxID, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(poison) != 2 {
		t.Fatalf("reopened poison stream has %d entries, want 2", len(poison))
	}
	if poison[0].ID != rep1.poisoned[0].entry || poison[1].ID != rep2.poisoned[0].entry {
		t.Errorf("reopened poison stream holds %s, %s; the runs wrote %s, %s",
			poison[0].ID, poison[1].ID, rep1.poisoned[0].entry, rep2.poisoned[0].entry)
	}
}

func runOrders(t *testing.T, dir string, n int) *report {
	t.Helper()
	var out bytes.Buffer
	rep, err := run(context.Background(), config{dir: dir, orders: n, out: &out})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("report:\n%s", out.String())
	for _, want := range []string{"processed " + strconv.Itoa(n-1) + " ", "poisoned  1,", "pending   0 "} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("report lacks %q", want)
		}
	}
	return rep
}

func check(t *testing.T, rep *report, n int) {
	t.Helper()
	if len(rep.published) != n {
		t.Fatalf("published %d orders, want %d", len(rep.published), n)
	}
	poison := poisonedOrder(n)
	wantRetries := 0
	for i, uuid := range rep.published {
		order := i + 1
		switch {
		case order == poison:
			if rep.processed[uuid] != 0 {
				t.Errorf("poisoned order %d processed %d times", order, rep.processed[uuid])
			}
			if rep.attempts[uuid] != 1 {
				t.Errorf("poisoned order %d tried %d times, want 1 (no retry for a declined card)", order, rep.attempts[uuid])
			}
		default:
			if rep.processed[uuid] != 1 {
				t.Errorf("order %d processed %d times, want 1", order, rep.processed[uuid])
			}
			if want := transientFailures(order) + 1; rep.attempts[uuid] != want {
				t.Errorf("order %d tried %d times, want %d", order, rep.attempts[uuid], want)
			}
			wantRetries += transientFailures(order)
		}
	}
	if wantRetries == 0 {
		t.Fatal("test sizes give no transient failure")
	}
	if rep.retries != wantRetries {
		t.Errorf("retries = %d, want %d", rep.retries, wantRetries)
	}
	if len(rep.processed) != n-1 {
		t.Errorf("%d distinct orders processed, want %d", len(rep.processed), n-1)
	}
	if rep.pending != 0 {
		t.Errorf("%d orders left pending", rep.pending)
	}
	if len(rep.poisoned) != 1 {
		t.Fatalf("poison stream holds %d of this run's messages, want 1: %+v", len(rep.poisoned), rep.poisoned)
	}
	p := rep.poisoned[0]
	if p.uuid != rep.published[poison-1] || p.order != strconv.Itoa(poison) {
		t.Errorf("poisoned message is %s (order %s), want %s (order %d)", p.uuid, p.order, rep.published[poison-1], poison)
	}
	if !strings.Contains(p.reason, errDeclined.Error()) || p.topic != ordersTopic || p.handler != handlerName || p.consumer == "" {
		t.Errorf("poison metadata: %s=%q %s=%q %s=%q %s=%q", middleware.ReasonForPoisonedKey, p.reason,
			middleware.PoisonedTopicKey, p.topic, middleware.PoisonedHandlerKey, p.handler, middleware.PoisonedSubscriberKey, p.consumer)
	}
}
