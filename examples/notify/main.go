// Command notify is a notification service: each user has a channel
// ("user:<id>"), each group one ("group:<id>"), and one channel reaches
// everybody ("global"). Every client holds one subscription to its user
// channel, its groups' channels and the global channel.
//
// One client, on a slow phone, stops reading. Its subscription has small
// queue limits (SubscriptionOptions), so once its queue is over them the
// broker disconnects it (PolicyDisconnect, Redis's slow-consumer rule): its
// reader gets ErrSlowConsumer, the publisher never waits, and every other
// client keeps receiving everything. The program reports what each client
// received.
//
// Run it with: go run ./notify
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"os"
	"sync"

	"github.com/brookmq/brook/broker"
)

func main() {
	rounds := flag.Int("rounds", 50, "how many rounds of notifications to send")
	flag.Parse()
	b, err := broker.New(broker.Options{})
	if err != nil {
		log.Fatal(err)
	}
	defer b.Close()
	if _, err := Run(context.Background(), b, os.Stdout, *rounds); err != nil {
		log.Fatal(err)
	}
}

// Client is one connected user.
type Client struct {
	User   string
	Groups []string
	Slow   bool // stops reading: its phone is on a bad network
}

// Clients are the users of the story.
var Clients = []Client{
	{User: "ana", Groups: []string{"eng"}},
	{User: "ben", Groups: []string{"eng", "ops"}},
	{User: "cy", Groups: []string{"ops"}},
	{User: "dee", Groups: []string{"eng"}, Slow: true},
}

// slowLimits are the queue limits of the slow client: small, so the story
// is short. The others keep the broker's defaults (32 MiB hard limit).
var slowLimits = broker.PubSubOptions{HardLimit: 4 << 10}

// Result is what one client ended with.
type Result struct {
	User         string
	Received     int   // messages read
	Expected     int   // messages addressed to it
	Disconnected bool  // closed by the broker as a slow consumer
	Err          error // the error that ended its reader
}

// Run connects the clients, sends rounds of notifications (to each user,
// each group and everybody), and reports what each client received.
func Run(ctx context.Context, b *broker.Broker, out io.Writer, rounds int) ([]Result, error) {
	results := make([]Result, len(Clients))
	subs := make([]*broker.Subscription, len(Clients))
	for i, c := range Clients {
		o := broker.SubscriptionOptions{}
		if c.Slow {
			o.Limits = slowLimits
		}
		sub, err := b.NewSubscription(o)
		if err != nil {
			return nil, err
		}
		defer sub.Close()
		channels := []string{"user:" + c.User, "global"}
		for _, g := range c.Groups {
			channels = append(channels, "group:"+g)
		}
		if _, err := sub.Subscribe(channels...); err != nil {
			return nil, err
		}
		subs[i] = sub
		results[i].User = c.User
	}

	// Fast clients read until the "bye" on the global channel; the slow one
	// reads nothing until the sending is over.
	var wg sync.WaitGroup
	sent := make(chan struct{})
	for i, c := range Clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if c.Slow {
				<-sent
			}
			r := &results[i]
			for m, err := range subs[i].Messages(ctx) {
				if err != nil {
					r.Err = err
					r.Disconnected = errors.Is(err, broker.ErrSlowConsumer)
					return
				}
				r.Received++
				if m.Channel == "global" && string(m.Payload) == "bye" {
					return
				}
			}
		}()
	}

	send := func(channel, text string) error {
		if _, err := b.Publish(ctx, channel, []byte(text)); err != nil {
			return err
		}
		for i, c := range Clients {
			if addressed(c, channel) {
				results[i].Expected++
			}
		}
		return nil
	}
	var err error
	for r := 1; r <= rounds && err == nil; r++ {
		for _, c := range Clients {
			if err = send("user:"+c.User, fmt.Sprintf("round %d: %s, you have a new message", r, c.User)); err != nil {
				break
			}
		}
		for _, g := range []string{"eng", "ops"} {
			if err == nil {
				err = send("group:"+g, fmt.Sprintf("round %d: a build of %s finished", r, g))
			}
		}
		if err == nil {
			err = send("global", fmt.Sprintf("round %d: maintenance tonight at 22:00", r))
		}
	}
	if err == nil {
		err = send("global", "bye")
	}
	close(sent)
	wg.Wait()
	if err != nil {
		return nil, err
	}

	fmt.Fprintf(out, "sent %d rounds to %d users, 2 groups and everybody\n", rounds, len(Clients))
	for _, r := range results {
		switch {
		case r.Disconnected:
			fmt.Fprintf(out, "%-4s disconnected as a slow consumer (%s) after its queue passed %d bytes; it had read %d of %d\n",
				r.User, r.Err, slowLimits.HardLimit, r.Received, r.Expected)
		case r.Err != nil:
			fmt.Fprintf(out, "%-4s stopped: %v\n", r.User, r.Err)
		default:
			fmt.Fprintf(out, "%-4s received %d of %d notifications\n", r.User, r.Received, r.Expected)
		}
	}
	return results, nil
}

// addressed reports whether a message on channel reaches client c.
func addressed(c Client, channel string) bool {
	if channel == "global" || channel == "user:"+c.User {
		return true
	}
	for _, g := range c.Groups {
		if channel == "group:"+g {
			return true
		}
	}
	return false
}
