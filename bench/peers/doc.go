// Command peers runs the same Pub/Sub and Streams workloads on brook and on
// its peers, and writes the comparison to a Markdown report with plots.
//
// The peers are: raw Go channels (one sender looping over N buffered
// channels, each drained by its own goroutine: the physical limit of
// in-process fan-out), NATS server embedded in-process (with JetStream for
// streams), Watermill's GoChannel, and Redis 7 over loopback (started from
// the machine's redis-server when present, skipped with a printed reason
// otherwise).
//
// The worker workload measures brook's worker runtime (broker.Worker, a
// no-op handler) next to the raw XREADGROUP+XACK loop it is built on and
// a JetStream durable pull consumer with explicit acks, over the same
// pre-loaded messages: consumed-and-acknowledged entries per second.
//
// The watermill workload compares brook's Watermill backend
// (github.com/brookmq/brook/watermill) with Watermill's GoChannel through
// Watermill's own Publisher and Subscriber.
//
// It lives in its own module so that brook's go.mod never depends on a peer:
//
//	cd bench/peers && go run . -out ../RESULTS.md
//
// writes the "peers" section of bench/RESULTS.md (other sections of the file
// are kept) and the plots next to it. -tiny runs every workload once at a
// tiny size (CI), -only selects workloads, -count sets the repetitions.
// The scale workload (subscribe cost and publish rate with 1e3 to 1e6
// patterns of three shapes, brook and NATS, wall-clock and as process CPU
// time; plots peers-scale-patterns-<shape>-*.png) takes about a minute per
// repetition at full size; -tiny runs it at P=100 and 1000, and -p sets
// other sizes. The streams workload (many small streams, one per user:
// memory per stream and XADD spread over 1e3 to 1e6 keys, brook, JetStream
// subjects and Redis keys) and the plan workload (memory per entry,
// stream, subscription, pattern, group and pending entry) give the figures
// of README's "When to use" memory table. The growth workloads (-only
// growth) give the cost of one operation as the work grows: N channels of one
// subscription each (brook and NATS), P pending entries of a consumer group
// (brook and Redis), a stream of N entries (memory per entry, and the open
// time of a durable directory; 1e8 entries only with -entries).
//
// Method. Every point is measured -count times with the systems interleaved
// (A B C A B C ...); the report gives the median and the spread (min-max).
// The patterns workload, whose target compares brook with itself, instead
// runs each system's points of a repetition back to back and pairs them.
// Pub/Sub publishers are flow-controlled the same way for every system: a
// publisher never gets more than a window of messages ahead of the slowest
// subscriber, so no system buffers without bound or drops. Latency is
// measured separately by probes: one time-stamped message at a time,
// published once every subscriber has received the previous one; each
// delivery gives one publish-to-receive sample.
package main
