// Package broker is the public face of brook: an in-process message broker
// with Redis-style Pub/Sub and Streams.
//
// A [Broker] made by [New] keeps everything in memory; one made by [Open]
// keeps its streams durable in a directory through a write-ahead log and
// snapshots. Both have the same API.
//
// # Pub/Sub
//
// [Broker.Publish] delivers a payload to every subscription of a channel and
// to every subscription whose glob pattern matches it, and returns the number
// of deliveries, as Redis's PUBLISH does. A [Subscription] behaves like a
// Redis connection in subscribed mode: it may subscribe and unsubscribe to
// channels and patterns at any time, and receives with [Subscription.Next] or
// by ranging over [Subscription.Messages]. Each subscription has a queue
// bounded in bytes; a subscriber that falls behind is handled by its
// [SlowPolicy] (by default it is disconnected, as Redis does with
// client-output-buffer-limit pubsub 32mb 8mb 60). Pub/Sub is never persisted.
//
// # Streams
//
// Streams are append-only logs of entries with Redis 7 semantics: XADD,
// XRANGE, XREAD (optionally blocking), consumer groups with pending-entry
// lists, claims and XINFO. Each method is named after its Redis command and
// takes typed arguments from package [github.com/brookmq/brook/stream].
// Blocking reads wait on condition variables and end when their context does.
//
// # Durability
//
// Every change to a stream is a mutation with resolved arguments (the
// concrete ID, the clock reading, the exact trimming effect). A durable broker
// appends it to the log while it holds the stream's lock and waits for the log
// outside the lock; under the "always" fsync policy a call returns only once
// its mutation is on disk. Concurrent callers share fsyncs (group commit);
// a producer with many entries at hand passes them to [Broker.XAddBatch],
// which logs them as one record and waits for the disk once. Reads follow the same rule: a reply, blocked or
// not, is returned only after every mutation it could have observed is
// durable, so nothing a caller has seen can be lost by a crash.
package broker
