package main

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/brookmq/brook/broker"
	"github.com/nats-io/nats.go"
	"github.com/redis/go-redis/v9"
)

// The "streams" workload: many small streams, one per user. For N users it
// creates N streams (brook and Redis keys "user:<i>"; for JetStream, N
// subjects "user.<i>" of one stream, the natural JetStream layout for
// per-user data) holding one entry each, reports the memory per stream,
// then appends round-robin over the N streams in a scattered order for a
// fixed time and reports the rate. The entry is 3 fields with a 64-byte
// payload (one message body for JetStream).
//
// What differs: brook is called in-process and its memory is the Go heap
// growth after a collection; JetStream runs embedded in-process (memory
// storage) and is measured the same way, its server and client included;
// Redis is a separate process on loopback and is measured by used_memory
// (INFO memory), its appends are synchronous round trips, so its rate is
// latency-bound and is given for completeness, not as a peer of an
// in-process call. JetStream appends are synchronous publishes
// (acknowledged), as in the append workload.

// streamsStore is one system holding N small streams.
type streamsStore interface {
	// add appends one entry to user i's stream (creating it if needed).
	add(ctx context.Context, i int) error
	// heap returns the memory the system uses now, in bytes, after a
	// garbage collection where it has one.
	heap(ctx context.Context) (int64, error)
	close() error
}

var (
	scalePayload = strings.Repeat("p", 64)
	scaleFields  = []broker.Field{{Name: "user_id", Value: "1234"}, {Name: "type", Value: "click"}, {Name: "payload", Value: scalePayload}}
	scaleBody    = []byte("user_id 1234 type click payload " + scalePayload)
)

// jsManyStreamsMax caps JetStream's users: publishing a million subjects
// synchronously takes minutes on a small machine.
const jsManyStreamsMax = 100_000

type brookManyStreams struct{ b *broker.Broker }

func (s brookManyStreams) add(ctx context.Context, i int) error {
	_, err := s.b.XAdd(ctx, "user:"+strconv.Itoa(i), scaleFields, broker.AddOptions{})
	return err
}

func (brookManyStreams) heap(context.Context) (int64, error) { return int64(heapAfterGC()), nil }
func (s brookManyStreams) close() error                      { return s.b.Close() }

type jsManyStreams struct{ *jsStore }

func openJSManyStreams(dir string) (streamsStore, error) {
	srv, err := startNATS(dir, false)
	if err != nil {
		return nil, err
	}
	s := &jsStore{srv: srv}
	if s.nc, err = srv.connect(); err != nil {
		s.close()
		return nil, err
	}
	if s.js, err = s.nc.JetStream(); err != nil {
		s.close()
		return nil, err
	}
	if _, err := s.js.AddStream(&nats.StreamConfig{Name: "USERS", Subjects: []string{"user.>"}, Storage: nats.MemoryStorage}); err != nil {
		s.close()
		return nil, fmt.Errorf("jetstream: add stream: %w", err)
	}
	return jsManyStreams{s}, nil
}

func (s jsManyStreams) add(_ context.Context, i int) error {
	_, err := s.js.Publish("user."+strconv.Itoa(i), scaleBody)
	return err
}

func (jsManyStreams) heap(context.Context) (int64, error) { return int64(heapAfterGC()), nil }

type redisManyStreams struct{ rdb *redis.Client }

func (s redisManyStreams) add(ctx context.Context, i int) error {
	return s.rdb.XAdd(ctx, &redis.XAddArgs{
		Stream: "user:" + strconv.Itoa(i),
		Values: []any{"user_id", "1234", "type", "click", "payload", scalePayload},
	}).Err()
}

func (s redisManyStreams) heap(ctx context.Context) (int64, error) { return infoUsedMemory(ctx, s.rdb) }
func (s redisManyStreams) close() error                            { return s.rdb.Close() }

// streamsOrder returns the users 0..n-1 in a scattered order (a stride
// coprime with n), so consecutive appends touch unrelated memory.
func streamsOrder(n int) []int {
	stride := 7919
	for gcd(stride, n) != 1 {
		stride++
	}
	out := make([]int, n)
	for i := range out {
		out[i] = i * stride % n
	}
	return out
}

func gcd(a, b int) int {
	for b != 0 {
		a, b = b, a%b
	}
	return a
}

// streamsPoint fills n streams of one entry each and then appends for d;
// it returns bytes per stream and appends per second.
func streamsPoint(ctx context.Context, st streamsStore, add func(int) error, n int, d time.Duration) (perStream, rate float64, err error) {
	before, err := st.heap(ctx)
	if err != nil {
		return 0, 0, err
	}
	for i := range n {
		if err := add(i); err != nil {
			return 0, 0, err
		}
	}
	after, err := st.heap(ctx)
	if err != nil {
		return 0, 0, err
	}
	perStream = float64(after-before) / float64(n)
	order := streamsOrder(n)
	start := time.Now()
	deadline := start.Add(d)
	done := 0
	for k := 0; ; k++ {
		if k%64 == 0 && time.Now().After(deadline) {
			break
		}
		if err := add(order[k%n]); err != nil {
			return 0, 0, err
		}
		done++
	}
	return perStream, float64(done) / time.Since(start).Seconds(), nil
}

// runStreamsScale: bytes per one-entry stream and append rate over N streams.
func runStreamsScale(e *env) error {
	mem := e.res.table("scale/memory", "Many small streams: bytes per stream holding one entry (3 fields, 64 B payload)", "streams", bytesPE)
	rate := e.res.table("scale/xadd", "Many small streams: appends/s spread round-robin over N streams", "streams", perSec)
	systems := []string{"brook", "JetStream"}
	if e.wants("Redis") && e.redis(false) != nil {
		systems = append(systems, "Redis")
	}
	systems = keepNames(e, systems)
	for _, n := range e.size.scaleStreams {
		row := strconv.Itoa(n)
		err := e.record("scale streams="+row, systems, func(i int) (string, error) {
			if systems[i] == "JetStream" && n > jsManyStreamsMax {
				return "", fmt.Errorf("skipped above %d subjects (synchronous loading takes minutes)", jsManyStreamsMax)
			}
			ps, r, err := e.streamsOne(systems[i], n)
			if err != nil {
				return "", err
			}
			mem.add(row, systems[i], ps)
			rate.add(row, systems[i], r)
			return fmt.Sprintf("%.0f B/stream, %s appends/s", ps, format(perSec, r)), nil
		}, func(i int, err error) { mem.fail(row, systems[i], err); rate.fail(row, systems[i], err) })
		if err != nil {
			return err
		}
	}
	return nil
}

// streamsOne measures one system at n streams.
func (e *env) streamsOne(system string, n int) (float64, float64, error) {
	switch system {
	case "brook":
		b, err := broker.New(broker.Options{})
		if err != nil {
			return 0, 0, err
		}
		st := brookManyStreams{b}
		defer st.close()
		return streamsPoint(e.ctx, st, func(i int) error { return st.add(e.ctx, i) }, n, e.size.appendTime)
	case "JetStream":
		d, err := e.subdir("js-scale")
		if err != nil {
			return 0, 0, err
		}
		st, err := openJSManyStreams(d)
		if err != nil {
			return 0, 0, err
		}
		defer st.close()
		return streamsPoint(e.ctx, st, func(i int) error { return st.add(e.ctx, i) }, n, e.size.appendTime)
	default:
		st := redisManyStreams{e.redis(false).client(1)}
		defer st.close()
		if err := st.rdb.FlushAll(e.ctx).Err(); err != nil {
			return 0, 0, err
		}
		return streamsPoint(e.ctx, st, func(i int) error { return st.add(e.ctx, i) }, n, e.size.appendTime)
	}
}

// keepNames returns the system names -systems selects.
func keepNames(e *env, names []string) []string {
	var out []string
	for _, n := range names {
		if e.wants(n) {
			out = append(out, n)
		}
	}
	return out
}
