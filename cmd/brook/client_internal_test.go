package main

// White-box: the broker's Pub/Sub limits cannot be set from the command
// line, and a subscriber over the default 32 MiB would make the test slow.

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/brookmq/brook/broker"
	"github.com/brookmq/brook/command"
)

// TestClientResubscribesAfterSlowConsumer checks that once the broker has
// dropped the session's subscription as a slow consumer, a new SUBSCRIBE
// works again, as redis-cli reconnects after the server closed it.
func TestClientResubscribesAfterSlowConsumer(t *testing.T) {
	// The limit holds "PUBLISH b y" but not the 100-byte message.
	b, _ := broker.New(broker.Options{PubSub: broker.PubSubOptions{HardLimit: broker.MessageOverhead + 10}})
	defer b.Close()
	var out bytes.Buffer
	c := newClient(&command.Handler{B: b}, &out)
	defer c.close()
	for _, line := range []string{"SUBSCRIBE a", "PUBLISH a " + strings.Repeat("x", 100), "SUBSCRIBE b", "PUBLISH b y"} {
		c.line(context.Background(), line)
	}
	c.flush()
	const ended = "brook: subscription ended: broker: subscription closed: slow consumer\n"
	_, after, ok := strings.Cut(out.String(), ended)
	if !ok {
		t.Fatalf("no %q in the output:\n%s", ended, out.String())
	}
	want := readingMessages + "\n" +
		"1) \"subscribe\"\n2) \"b\"\n3) (integer) 1\n" +
		"(integer) 1\n" +
		"1) \"message\"\n2) \"b\"\n3) \"y\"\n"
	if after != want {
		t.Errorf("after the slow-consumer end:\n got %q\nwant %q", after, want)
	}
}
