package command_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/brookmq/brook/broker"
)

// TestConfigSetChangesTheBroker: CONFIG SET client-output-buffer-limit
// pubsub changes the broker's limits, which a subscription made afterwards
// gets: over its hard limit it is disconnected as a slow consumer.
func TestConfigSetChangesTheBroker(t *testing.T) {
	h := newHandler(t)
	before, err := h.B.Subscribe("c")
	if err != nil {
		t.Fatal(err)
	}
	defer before.Close()
	if got := do(t, h, `CONFIG SET client-output-buffer-limit "pubsub 1kb 0 0"`); got != "OK\n" {
		t.Fatalf("CONFIG SET: %q", got)
	}
	want := broker.PubSubOptions{HardLimit: 1024, SoftLimit: -1, SoftPeriod: -1}
	if got := h.B.PubSubLimits(); got != want {
		t.Fatalf("PubSubLimits() = %+v, want %+v", got, want)
	}
	after, err := h.B.Subscribe("c")
	if err != nil {
		t.Fatal(err)
	}
	defer after.Close()
	payload := []byte(strings.Repeat("x", 300))
	for range 10 {
		if _, err := h.B.Publish(context.Background(), "c", payload); err != nil {
			t.Fatal(err)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if _, err := after.Next(ctx); !errors.Is(err, broker.ErrSlowConsumer) {
		t.Errorf("subscription made after CONFIG SET: %v, want ErrSlowConsumer", err)
	}
	for i := range 10 { // made before: the default 32 MiB
		if _, err := before.Next(ctx); err != nil {
			t.Fatalf("subscription made before, message %d: %v", i, err)
		}
	}
}

// TestConfigGetShowsTheBroker: CONFIG GET reads the broker's limits,
// whoever set them, in Redis's units (0: no limit).
func TestConfigGetShowsTheBroker(t *testing.T) {
	h := newHandler(t)
	err := h.B.SetPubSubLimits(broker.PubSubOptions{HardLimit: -1, SoftLimit: 4096, SoftPeriod: 90 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	runSteps(t, h, []step{
		{"CONFIG GET client-output-buffer-limit", "1) \"client-output-buffer-limit\"\n" +
			"2) \"normal 0 0 0 slave 268435456 67108864 60 pubsub 0 4096 90\"\n"},
		// Beyond an int64, brook keeps the largest int64 (Redis keeps the
		// uint64 as given; neither can be reached).
		{`CONFIG SET client-output-buffer-limit "pubsub 18446744073709551616 20000000000000000000k 2147483647"`, "OK\n"},
		{"CONFIG GET client-output-buffer-limit", "1) \"client-output-buffer-limit\"\n" +
			"2) \"normal 0 0 0 slave 268435456 67108864 60 pubsub 9223372036854775807 9223372036854775807 2147483647\"\n"},
		{`CONFIG SET client-output-buffer-limit "pubsub 1 1 -9223372036854775809"`, "OK\n"}, // strtoll saturates; as an int it is 0
		{`CONFIG SET client-output-buffer-limit "pubsub 1 1 4294967297"`, "OK\n"},           // as an int: 1
		{"CONFIG GET client-output-buffer-limit", "1) \"client-output-buffer-limit\"\n" +
			"2) \"normal 0 0 0 slave 268435456 67108864 60 pubsub 1 1 1\"\n"},
		{`CONFIG SET client-output-buffer-limit "pubsub 1 1 +"`, "(error) ERR CONFIG SET failed (possibly related to argument 'client-output-buffer-limit') - Error in hard, soft or soft_seconds setting in buffer limit configuration.\n"},
		{`CONFIG SET client-output-buffer-limit "pubsub 1 1 ` + "\t" + `7"`, "OK\n"},
		{`CONFIG SET client-output-buffer-limit "pubsub ` + strings.Repeat("1", 128) + ` 1 1"`, "(error) ERR CONFIG SET failed (possibly related to argument 'client-output-buffer-limit') - Error in hard, soft or soft_seconds setting in buffer limit configuration.\n"},
	})
	if got := h.B.PubSubLimits(); got.Policy != broker.PolicyDisconnect || got.SoftPeriod != 7*time.Second {
		t.Errorf("PubSubLimits() = %+v", got)
	}
}

// TestKeys: KEYS lists streams by glob, sorted; "*" alone lists "" too.
func TestKeys(t *testing.T) {
	h := newHandler(t)
	runSteps(t, h, []step{
		{"KEYS *", "(empty array)\n"},
		{"XADD b 1-0 f v", "\"1-0\"\n"},
		{"XADD a 1-0 f v", "\"1-0\"\n"},
		{`XADD "" 1-0 f v`, "\"1-0\"\n"},
		{"KEYS *", "1) \"\"\n2) \"a\"\n3) \"b\"\n"},
		{"KEYS ?", "1) \"a\"\n2) \"b\"\n"},
		{"KEYS [b-z]", "1) \"b\"\n"},
	})
}
