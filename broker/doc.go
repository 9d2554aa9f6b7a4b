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
// which logs them as one record and waits for the disk once. Reads follow
// the same rule: a reply, blocked or not, is returned only after every
// mutation it could have observed is durable, so nothing a caller has seen
// can be lost by a crash. Under the relaxed policies ("everysec", "no")
// nothing waits for the disk: [DurabilityOptions] says what a crash can then
// lose, and [Broker.Sync] makes everything acknowledged durable.
//
// # Cancellation
//
// Every stream call takes a context, and what its end means depends on
// when it comes. A call that changes state (XAdd, XAddBatch, XDel, XTrim,
// Del, the XGroup calls, XAck, XClaim, XAutoClaim, XReadGroup, which
// delivers) checks its arguments, and ctx, before it changes anything: an
// input error, or a ctx that has already ended, changes nothing. It then
// applies the change and appends it to the log, and only then waits for the
// disk, bounded by ctx. A ctx error returned from that wait (errors.Is with
// [context.Canceled] or [context.DeadlineExceeded]) means the outcome is
// unknown, like a network timeout with a Redis server: the change is applied,
// other callers see it once it is durable, and it will be durable unless the
// log fails. To find out, read, or retry idempotently (XAdd with the same
// explicit ID fails with [github.com/brookmq/brook/stream.ErrIDTooSmall] if the first attempt
// landed). For XReadGroup the delivered entries are then pending for its
// consumer; a blocked read whose ctx ends before it is served has changed
// nothing. A log error after the change ([github.com/brookmq/brook/wal.ErrPoisoned]) hides the change
// from every caller; whether it survives a reopen depends on what reached the
// disk. A call that only reads changes nothing whatever its error.
package broker
