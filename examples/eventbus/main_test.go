package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/brookmq/brook/broker"
	brookredis "github.com/brookmq/brook/redis"
	"github.com/brookmq/brook/redis/redistest"
	"github.com/redis/go-redis/v9"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func newBroker(t *testing.T) *broker.Broker {
	t.Helper()
	b, err := broker.New(broker.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	return b
}

// newRedis returns a Client of a redis-server of the test's own.
func newRedis(t *testing.T) broker.Client {
	t.Helper()
	addr := redistest.Start(t)
	c := brookredis.New(redis.NewUniversalClient(&redis.UniversalOptions{Addrs: []string{addr}}), brookredis.Options{})
	t.Cleanup(func() { c.Close() })
	return c
}

// streamIDs returns the IDs of every event in the stream, in order.
func streamIDs(t *testing.T, b broker.Client) []broker.ID {
	t.Helper()
	entries, err := b.XRange(context.Background(), StreamKey, broker.MinID, broker.MaxID, 0)
	if err != nil {
		t.Fatal(err)
	}
	ids := make([]broker.ID, len(entries))
	for i, e := range entries {
		ids[i] = e.ID
	}
	return ids
}

// TestStory runs the program's story: the late auditor sees every event of
// the stream exactly once, in order, the first ones from the history and the
// rest live, and the notifier was told about every event.
func TestStory(t *testing.T) { story(t, newBroker(t)) }

// TestStoryRedis is TestStory on Redis.
func TestStoryRedis(t *testing.T) { story(t, newRedis(t)) }

func story(t *testing.T, b broker.Client) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var out bytes.Buffer
	const orders, late = 10, 4
	audit, err := Run(ctx, b, &out, orders, late)
	if err != nil {
		t.Fatal(err)
	}
	all := streamIDs(t, b)
	if len(all) != 2*orders+1 {
		t.Fatalf("%d events in the stream, want %d", len(all), 2*orders+1)
	}
	if !slices.Equal(audit, all) {
		t.Fatalf("the auditor saw\n%v\nthe stream holds\n%v", audit, all)
	}
	text := out.String()
	if got := strings.Count(text, " history "); got != 2*late {
		t.Errorf("%d events read from the history, want %d:\n%s", got, 2*late, text)
	}
	if got := strings.Count(text, " live "); got != 2*(orders-late)+1 {
		t.Errorf("%d events read live, want %d:\n%s", got, 2*(orders-late)+1, text)
	}
	if got := strings.Count(text, "notify "); got != len(all) {
		t.Errorf("%d notifications, want one per event (%d):\n%s", got, len(all), text)
	}
	for _, want := range []string{"stock.short     order 5", "shop.closed     10 orders today"} {
		if !strings.Contains(text, want) {
			t.Errorf("output lacks %q:\n%s", want, text)
		}
	}
}

// TestFollowSwitchOver starts followers at many points while several
// services emit at once: each follower must see the whole stream exactly
// once and in order, whatever happened during its switch from the stream to
// Pub/Sub.
func TestFollowSwitchOver(t *testing.T) { switchOver(t, newBroker(t)) }

// TestFollowSwitchOverRedis is TestFollowSwitchOver on Redis.
func TestFollowSwitchOverRedis(t *testing.T) { switchOver(t, newRedis(t)) }

func switchOver(t *testing.T, b broker.Client) {
	bus := NewBus(b)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()

	const emitters, perEmitter, followers = 4, 150, 12
	var (
		mu   sync.Mutex
		seen = make([][]broker.ID, followers)
		errs = make([]error, followers)
		fwg  sync.WaitGroup
	)
	errEnd := errors.New("end")
	follow := func(i int) {
		defer fwg.Done()
		err := bus.Follow(ctx, func(e Event) error {
			mu.Lock()
			seen[i] = append(seen[i], e.ID)
			mu.Unlock()
			if e.Type == "end" {
				return errEnd
			}
			return nil
		})
		if !errors.Is(err, errEnd) {
			errs[i] = err
		}
	}

	var ewg sync.WaitGroup
	emitted := make(chan struct{}, emitters*perEmitter)
	for e := range emitters {
		ewg.Add(1)
		go func() {
			defer ewg.Done()
			for i := range perEmitter {
				if _, err := bus.Emit(ctx, fmt.Sprintf("svc%d.tick", e), fmt.Sprint(i)); err != nil {
					t.Error(err)
					return
				}
				emitted <- struct{}{}
			}
		}()
	}
	// Start a follower every few events, while the emitters run.
	step := emitters * perEmitter / followers
	for i := range followers {
		for range step {
			<-emitted
		}
		fwg.Add(1)
		go follow(i)
	}
	ewg.Wait()
	if _, err := bus.Emit(ctx, "end", ""); err != nil {
		t.Fatal(err)
	}
	fwg.Wait()

	all := streamIDs(t, b)
	if len(all) != emitters*perEmitter+1 {
		t.Fatalf("%d events in the stream, want %d", len(all), emitters*perEmitter+1)
	}
	for i := range followers {
		if errs[i] != nil {
			t.Errorf("follower %d: %v", i, errs[i])
			continue
		}
		if !slices.Equal(seen[i], all) {
			t.Errorf("follower %d saw %d events, not the stream's %d in order", i, len(seen[i]), len(all))
		}
	}
}
