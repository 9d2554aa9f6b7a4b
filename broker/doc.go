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
// lists, claims and XINFO. Each method is named after its Redis command.
// Some Redis 8 additions are there too, each documented with the version it
// comes from: XACKDEL, XDELEX and the KEEPREF|DELREF|ACKED trimming
// strategies ([RefMode], 8.2), XREADGROUP CLAIM ([GroupReadOptions]
// ClaimMinIdle, 8.4) and XNACK ([Broker.XNack], 8.8).
// Blocking reads wait on condition variables, never poll.
//
// Everything a program needs is in this package: the value types ([ID],
// [Field], [Entry], [Trim], [FsyncPolicy], ...) are named here even where
// the engine packages (stream, wal) define them, so one import suffices.
//
// # Workers
//
// A [Worker] ([Broker.NewWorker], or [Broker.Consume] in one call) is a
// consumer of a group that runs a [Handler] on each entry, on a few
// goroutines: nil acknowledges the entry; an error or a panic retries it
// after an exponential backoff, and after [WorkerOptions].MaxDeliveries it
// goes to a dead-letter stream ([DeadLetter], [ParseDeadLetter]) with the
// last error, moved and acknowledged in one logged change, so a crash
// never loses it nor leaves it in both places. Entries that a dead consumer
// left pending are reclaimed once idle for ReclaimIdle. Cancelling Run's
// context stops it gracefully. [Worker.Stats] and [Subscription.Stats]
// give counters for monitoring. [NewWorker] and [Consume] run the same
// worker on any [Client], such as package github.com/brookmq/brook/redis's
// (see NewWorker for what differs there).
//
// # One rule per concept
//
// Every method follows the same rules, so a call reads the same whatever
// the command:
//
//   - Required arguments are parameters; optional ones are fields of an
//     options struct whose zero value is the common case (Redis's default
//     where it has one). There are no boolean mode parameters. An optional
//     value whose zero is meaningful (ENTRIESREAD 0, RETRYCOUNT 0) is a
//     pointer; nil means "not given".
//   - Counts: 0 means no limit, everywhere (XRange, XRevRange, the Count of
//     ReadOptions, GroupReadOptions, PendingOptions, AutoClaimOptions, and
//     XInfoStreamFull). A negative count is [ErrInvalidArgument]. Where
//     Redis has a default COUNT (XAUTOCLAIM's 100, XINFO FULL's 10), the
//     command layer passes it; the Go API has no hidden default.
//   - Durations are [time.Duration] (MinIdle, Idle, Block), instants are
//     [time.Time] (Pending.Delivered, ClaimOptions.Time), both on the
//     broker's clock ([Options].Clock).
//   - Where to read is a [Position]: [After] an ID, [Latest] ("$"),
//     [LastEntry] ("+") or [Undelivered] (">"); each method says which it
//     takes, and any other is [ErrInvalidArgument].
//   - Waiting: a Block option is part of the call. When it passes with
//     nothing to read, the call returns a nil result and a nil error, as
//     Redis replies nil to an expired BLOCK. An ended ctx (cancelled or past
//     its deadline) always returns ctx's error. The same holds for
//     [Broker.XRead] and [Broker.XReadGroup]; [Subscription.Next] has no
//     Block option and returns ctx's error when ctx ends.
//   - Errors are the sentinels of this package, tested with [errors.Is], and
//     the same condition gives the same one from every method: a missing
//     key is [ErrNoStream], a missing group on an existing key
//     [ErrNoGroup], a bad argument [ErrInvalidArgument]. Exceptions follow
//     Redis and are documented on the method: XAck, XDel, XTrim, XLen and
//     XRange read a missing key as empty. Each method's documentation lists
//     what it returns; every method returns [ErrClosed] after
//     [Broker.Close].
//   - Enumerated options are checked where they are given: an unknown
//     [SlowPolicy] is an error from [New], [Open] and
//     [Broker.NewSubscription], an unknown trim strategy or [RefMode] from
//     XAdd and XTrim, an unknown [NackMode] from XNack, an unknown RefMode
//     from XAckDel and XDelEx, an unknown [FsyncPolicy] from Open. An entry without fields is
//     refused ([ErrNoFields]), as Redis cannot hold one.
//
// # One contract: Client
//
// [Client] ([PubSub], [Streams], Close) is the part of this API that does not
// depend on the broker living in the process: *Broker implements it, and so
// does package github.com/brookmq/brook/redis over a Redis server, Sentinel or
// Cluster. Code written against Client moves from broker.Open to Redis by
// changing the line that makes it; package
// github.com/brookmq/brook/broker/brooktest is the behavioural suite both
// pass. [Broker.Listen] is the one method *Broker has for the contract alone:
// it returns a subscription as a [Receiver].
//
// # Idempotent appends and retention
//
// [AddOptions].Idempotency makes [Broker.XAdd] at most once per producer
// and idempotent ID, as Redis 8.6's XADD IDMP / IDMPAUTO; [Broker.XCfgSet]
// sets how many IDs and how long a stream remembers them (XCFGSET). A
// stream may also have a standing retention policy ([Broker.SetRetention],
// brook's own): the broker keeps it within a maximum length, age and size
// in bytes without any call, and can remove the entries every consumer
// group acknowledged ([Retention].Acked), so a work queue stops growing.
//
// # Durability
//
// Every change to a stream is a mutation with resolved arguments (the
// concrete ID, the clock reading, the exact trimming effect), applied by one
// function for live calls and for recovery alike. A durable broker appends
// it to the log while it holds the stream's lock and waits for the log
// outside the lock; under the "always" fsync policy a call returns only once
// its mutation is on disk. Concurrent callers share fsyncs (group commit);
// a producer with many entries at hand passes them to [Broker.XAddBatch],
// which logs them as one record and waits for the disk once. Reads follow
// the same rule: a reply, blocked or not, is returned only after every
// mutation it could have observed is durable, so nothing a caller has seen
// can be lost by a crash. Under the relaxed policies ([FsyncEverySec],
// [FsyncNo]) nothing waits for the disk: [DurabilityOptions] says what a
// crash can then lose, and [Broker.Sync] makes everything acknowledged
// durable.
//
// # Cancellation
//
// Every stream call takes a context, and what its end means depends on
// when it comes. A call that changes state (XAdd, XAddBatch, XDel, XTrim,
// Del, the XGroup calls, XAck, XClaim, XAutoClaim, XNack, XAckDel, XDelEx,
// XReadGroup, which delivers) checks its arguments, and ctx, before it changes anything: an
// input error, or a ctx that has already ended, changes nothing. It then
// applies the change and appends it to the log, and only then waits for the
// disk, bounded by ctx. A ctx error returned from that wait (errors.Is with
// [context.Canceled] or [context.DeadlineExceeded]) means the outcome is
// unknown, like a network timeout with a Redis server: the change is applied,
// other callers see it once it is durable, and it will be durable unless the
// log fails. To find out, read, or retry idempotently (XAdd with the same
// explicit ID fails with [ErrIDTooSmall] if the first attempt landed). For
// XReadGroup the delivered entries are then pending for its consumer; a
// blocked read whose ctx ends before it is served has changed nothing. A log
// error after the change ([ErrPoisoned]) hides the change from every
// caller; whether it survives a reopen depends on what reached the disk. A
// call that only reads changes nothing whatever its error.
//
// # Inside
//
// Pub/Sub and Streams share no state. Pub/Sub lives in the files named
// pubsub*.go and subscription*.go (the hub of channels and patterns, and
// each subscription's bounded queue); Streams in streams*.go, group*.go,
// xread.go, block.go and batch.go, over a registry of named streams
// (streams.go). They are one package because they share one facade
// ([Broker], its options and Close), not because they share data.
//
// The write path of Streams: a call validates its arguments, then takes the
// stream's lock through [Broker.update] or [Broker.upsert] (reads through
// [Broker.view]), resolves its change into a mutation (mutation.go: the
// concrete ID, the clock reading) and hands it to tx.apply, which calls
// apply (apply.go), the one function that changes a stream, and then the
// journal (journal.go), which logs the mutation in a durable broker and
// does nothing in memory. Recovery (recover.go, streams_replay.go) decodes
// the same mutations from the log (record.go) and calls the same apply.
// After the lock is released, the call waits on the journal until what it
// observed is durable.
//
// One mutation spans two keys: the dead-letter move (deadletter.go), which
// appends to the dead-letter stream and acknowledges in the source group.
// It locks both keys in key order, creating the dead-letter key if missing,
// calls apply once with the source's state (the second state travels in
// the mutation, unlogged) and logs one record with both locks held, so a
// snapshot sees both effects or neither; replay locks both keys the same
// way. The worker (worker.go, worker_fetch.go) is a client of the public
// calls plus that move; how it hands a failed entry back to the group is
// one function, Worker.release (see there).
//
// # Inside: durable data
//
// A broker made by [Open] keeps its streams in a data directory:
//
//	DIR/LOCK                    flock(2)ed for the life of the broker (ErrLocked);
//	                            the lock is the FS's (wal.FS.Lock), so a test
//	                            file system keeps it in its own memory
//	DIR/wal/                    the write-ahead log (package wal), one record
//	                            per mutation (record.go)
//	DIR/snap-<position>.snap    snapshots (format in snapshot.go); normally one
//
// Every change to a stream or a consumer group is a mutation with resolved
// arguments (mutation.go). The streams code applies it under the stream's
// lock and appends its record to the log there ([durable.append], cheap and
// non-blocking), so the log order of one stream's mutations is the order in
// which they were applied; it then releases the lock and waits until the
// record is durable under the fsync policy ([durable.wait]: group commit, many
// writers share one fsync) before it replies. Replies that show state wait
// for the position of the last mutation they observed, so under
// [wal.FsyncAlways] nobody observes what a crash could still lose. Under the
// relaxed policies nothing waits (DurabilityOptions.Fsync says what a crash
// can then lose).
//
// Snapshots. Once SnapshotEvery log bytes were appended since the last
// snapshot, one background goroutine takes a consistent copy of every stream
// (copy-on-write clones under the locks, with the log position they reflect),
// makes the log durable up to that position, writes the snapshot to a
// temporary file, fsyncs it, renames it, fsyncs the directory, and only then
// drops the log segments it covers and the older snapshots. Writers are
// blocked only while the clones are taken. [Broker.Close] writes a final
// snapshot, then closes the log.
//
// Recovery. [Open] creates the directory (0700; a directory it creates is
// fsynced with its parent, as is the log's) and locks it, opens the log
// (which cuts a torn tail of its last segment, keeping a copy, and refuses
// corruption anywhere else unless Repair is set), loads the newest usable
// snapshot and replays the records after its position through apply, the
// function the live calls use (XADD's fields go from the record's bytes into
// the stream's block through stream.Stream.AppendList, which packs them as
// Append does, without decoding them into Fields and strings;
// record_decode.go). The records come from wal.Log.ReplayView, as views of
// the log's read buffer valid until the next record: neither the decoder
// nor apply keeps any of their bytes (strings are copied or reused, fields
// are packed into the block). The usable snapshot is the newest
// one that passes its checksum and decodes: a damaged newer one is renamed
// "*.broken" (the directory fsynced after) and reported through Logf, and
// recovery falls back to an older snapshot, or to the log alone, only when
// the log still holds every record after it (checked against the log's
// first position), so nothing acknowledged is skipped. Open refuses with [ErrCorrupt], changing no file,
// when the log starts after the chosen snapshot's position (log without its
// snapshot), ends before it, or is missing next to a snapshot (snapshot
// without its log); with [ErrFormatVersion] for a snapshot written by a newer
// format. Leftover temporary files of an interrupted snapshot are ignored and
// removed by the next snapshot.
//
// Limits of what a restart keeps: a consumer's seen-time moves on reads and
// claims that find nothing, which are not logged (as in Redis); everything
// else a client can observe of streams and groups is restored exactly,
// the IDMP state (iids, counters, configuration) and the retention policy
// included (a duplicate append is logged, as it counts in iids-duplicates). A
// refused operation that logs two records (XREADGROUP creating its consumer,
// XGROUP CREATE MKSTREAM creating its key) may leave its first effect behind.
// A change the log refused (a poisoned log) stays applied in memory but its
// key refuses every later call and no snapshot is taken until the broker is
// reopened, so the refused change is never made durable by a snapshot.
// The log refuses as corruption (wal.ErrCorrupt, under ErrCorrupt) synced
// records replaced by zeros and a segment with an incomplete header, which
// no crash leaves; Repair salvages both (package wal documents the format).
//
// # Inside: the sweeper
//
// What falls due with time alone, entries older than a retention MaxAge and
// IDMP iids older than the stream's duration, is done by one goroutine per
// broker (sweeper.go), started with the first deadline and stopped and
// joined by [Broker.Close] before anything else closes. It keeps a min-heap
// of (deadline, key), at most one live item per stream (streamState.sweepAt),
// and sleeps on a timer until the earliest deadline by the broker's clock.
// Sweeping a stream is an ordinary locked access: an exact MINID trim
// (opTrim) and an expiry of iids (opIdmpExpire, with the clock reading), each
// logged when it changes something, so replay repeats them exactly. Appends
// also trim to the whole policy (length, bytes, age), so the bounds hold
// between sweeps; the record keeps the exact effect, not the policy. A
// clock that does not follow the wall clock (a test's) does not wake the
// timer: tests move it and call the unexported sweep (export_test.go: Sweep;
// ManualSweep stops the goroutine where two brokers must agree).
//
// # Inside: locks
//
// Lock order: the registry's lock before a stream's, a stream's before a
// waiter's and before the sweeper's heap lock. Two streams are locked
// together only in key order (snapshots, XReadGroup over several streams,
// the dead-letter move), and never while waiting for the registry's lock.
// No lock is held across an fsync or a wait for a reader.
package broker
