// Package brooktest is the behavioural suite of [broker.Client]: one set of
// subtests that every implementation passes, so an application moving from
// an embedded broker to Redis keeps the behaviour it relied on.
//
// Run it from a test of the implementation:
//
//	func TestClient(t *testing.T) {
//		brooktest.Run(t, func(t *testing.T) broker.Client { return newClient(t) })
//	}
//
// newClient is called once per subtest and may return the same backend each
// time: every subtest names its own keys and channels (with a prefix unique
// to the run) and closes nothing but what it opened, except the client, which
// the suite closes at the end of the subtest. The names of a subtest share one
// hash tag ("{...}"), so multi-key calls stay in one Redis Cluster slot and,
// for Pub/Sub, on one node.
//
// The subtests are named by area: PubSub/ (receiver counts, patterns, order
// per publisher, Close), Streams/ (XAdd IDs, ranges, trimming, deletion,
// XRead), Groups/ (create, read new and history, pending, ack, claim,
// autoclaim, delivery counts, consumers, SETID, NOACK), Block/ (expiry,
// wake-up, ctx cancellation and deadline), Errors/ (the sentinels) and
// Worker/ (the worker runtime, [broker.NewWorker], on the client: retries,
// dead letters, release on stop).
//
// The suite asserts no timing: a Block expiry is tested by its result, never by
// how long it took, and every wait is bounded by a generous context deadline
// that only a hung implementation reaches.
package brooktest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/brookmq/brook/broker"
)

// hang bounds every wait of the suite: reaching it is a failure (a read that
// should have returned did not), not a measurement.
const hang = 20 * time.Second

// run distinguishes the names of two Run calls on one backend.
var run atomic.Int64

// Run runs the suite against the clients newClient makes.
func Run(t *testing.T, newClient func(t *testing.T) broker.Client) {
	prefix := fmt.Sprintf("brooktest%d-%d", time.Now().UnixNano()%1e9, run.Add(1))
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cl := newClient(t)
			t.Cleanup(func() { cl.Close() })
			ctx, cancel := context.WithTimeout(t.Context(), hang)
			defer cancel()
			c.run(&suite{T: t, c: cl, ctx: ctx, tag: "{" + prefix + "." + c.name + "}"})
		})
	}
}

// suite is a subtest's state: the client, a context bounded by hang, and the
// hash tag of the subtest's names.
type suite struct {
	*testing.T
	c   broker.Client
	ctx context.Context
	tag string
}

// name returns a key or channel name of this subtest.
func (t *suite) name(s string) string { return t.tag + s }

type testCase struct {
	name string
	run  func(t *suite)
}

var cases []testCase

func init() {
	cases = slices.Concat(pubsubCases, streamCases, groupCases, blockCases, errorCases, workerCases)
}

// id returns ms-seq.
func id(ms, seq uint64) broker.ID { return broker.ID{Ms: ms, Seq: seq} }

// fields builds an entry's fields from name, value pairs.
func fields(kv ...string) []broker.Field {
	out := make([]broker.Field, 0, len(kv)/2)
	for i := 0; i+1 < len(kv); i += 2 {
		out = append(out, broker.Field{Name: kv[i], Value: kv[i+1]})
	}
	return out
}

// add appends an entry with an explicit ID and fields n=<ms>.
func (t *suite) add(key string, at broker.ID) {
	t.Helper()
	got, err := t.c.XAdd(t.ctx, key, fields("n", strconv.FormatUint(at.Ms, 10)), broker.AddOptions{ID: broker.ExplicitID(at)})
	if err != nil || got != at {
		t.Fatalf("XAdd(%s, %v) = %v, %v", key, at, got, err)
	}
}

// ids returns the IDs of entries.
func ids(entries []broker.Entry) []broker.ID {
	out := make([]broker.ID, len(entries))
	for i, e := range entries {
		out[i] = e.ID
	}
	return out
}

// wantIDs fails unless entries have exactly the IDs want.
func (t *suite) wantIDs(what string, entries []broker.Entry, want ...broker.ID) {
	t.Helper()
	if got := ids(entries); !slices.Equal(got, want) {
		t.Fatalf("%s: IDs %v, want %v", what, got, want)
	}
}

// wantErr fails unless errors.Is(err, want).
func (t *suite) wantErr(what string, err, want error) {
	t.Helper()
	if !errors.Is(err, want) {
		t.Fatalf("%s: error %v, want %v", what, err, want)
	}
}

// ok fails on a non-nil error.
func (t *suite) ok(what string, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// group creates group on key at the beginning, making the key if needed.
func (t *suite) group(key, group string) {
	t.Helper()
	t.ok("XGroupCreate", t.c.XGroupCreate(t.ctx, key, group, broker.GroupCreateOptions{MkStream: true}))
}

// readGroup reads key's undelivered entries as consumer, without waiting.
func (t *suite) readGroup(key, group, consumer string, count int) []broker.Entry {
	t.Helper()
	got, err := t.c.XReadGroup(t.ctx, group, consumer, []broker.ReadStream{{Key: key, From: broker.Undelivered()}}, broker.GroupReadOptions{Count: count})
	t.ok("XReadGroup", err)
	if len(got) == 0 {
		return nil
	}
	if len(got) != 1 || got[0].Key != key {
		t.Fatalf("XReadGroup: reply for %v, want %s", got, key)
	}
	return got[0].Entries
}

// pending returns every pending entry of group.
func (t *suite) pending(key, group string) []broker.Pending {
	t.Helper()
	p, err := t.c.XPendingRange(t.ctx, key, group, broker.PendingOptions{})
	t.ok("XPendingRange", err)
	return p
}
