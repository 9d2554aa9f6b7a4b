// Package bench holds brook's own benchmarks: the workloads a user of the
// library runs, measured with go test next to the physical baseline where one
// exists (raw Go channels for Pub/Sub, the disk's own fdatasync rate for the
// durable log) so each figure can be read as a ratio taken in the same run.
//
// The package has no API; it is test files only:
//
//	go test ./bench                                  # smoke test, seconds
//	go test ./bench -run '^$' -bench 'FanOut' -benchtime 0.5s
//	go test ./bench -run '^$' -bench '^BenchmarkXAdd$' # not DurableXAdd too
//	go test ./bench -run '^$' -bench 'StreamMemory' -benchtime 1x
//
// Where a workload runs on brook and on a baseline, the two are sub-benchmarks
// named sys=brook and sys=chan that run back to back, so benchstat -col /sys
// lines them up and a ratio can be taken per run. Rates come with the CPU
// time of the whole process per event (cpu-ns/delivery, cpu-ns/xadd,
// cpu-ns/entry, from getrusage), which varies far less than wall-clock rates
// on a shared machine. RESULTS.md repeats whole runs in interleaved rounds
// rather than using -count, which repeats one sub-benchmark back to back.
//
// Workloads and their metrics:
//
//   - BenchmarkFanOut: one publisher to N = 1, 10, 100, 1000 subscribers of
//     one channel, 64 B and 1 KiB payloads, on brook and on raw channels
//     (one sender looping over N buffered channels, each drained by its own
//     goroutine). Both are flow-controlled alike: each subscriber may lag by
//     at most 1024 messages (a buffered channel of 1024; a brook subscription
//     with PolicyBlock and a hard limit of 1024 messages), so neither buffers
//     without bound. Delivery is inside the timing. Metrics: deliveries/s and
//     the publish-to-receive latency under that load, p50-ns and p99-ns, from
//     one message in 64.
//   - BenchmarkFanOutLatency: the same readers, one message at a time: each
//     iteration publishes once and waits until all N received it, so p50-ns
//     and p99-ns are the latency of an idle system.
//   - BenchmarkPublishPatterns: publishes/s to one plain subscriber while
//     P = 0, 100, 10000 patterns that never match are subscribed.
//   - BenchmarkManyPublishers: 8 publishers to 100 subscribers, deliveries/s.
//   - BenchmarkXAdd, BenchmarkXRange, BenchmarkXReadGroupAck,
//     BenchmarkXReadWakeup, BenchmarkStreamMemory: stream appends (1 and 8
//     goroutines), scans with COUNT 100, four consumers reading COUNT 100 and
//     acknowledging, the latency from XADD to a blocked XREAD returning, and
//     heap bytes per entry for 1,000,000 entries (HeapAlloc after
//     runtime.GC, comparable to Redis's used_memory).
//   - BenchmarkWorker: one consumer of a group reading and acknowledging
//     entries in batches of 16 with C = 1 and 4 goroutines, as broker.Worker
//     with a no-op handler (sys=worker) and as the hand-written
//     XREADGROUP+XACK loop (sys=raw); entries/s and cpu-ns/entry, the ratio
//     worker/raw being the runtime's overhead.
//   - BenchmarkDiskSync, BenchmarkDurableXAdd: the disk's limit (4 KiB append
//     and fdatasync in a loop) and XADD on a durable broker under the
//     "always" fsync policy with 1, 16 and 64 producers; x-disk is appends/s
//     over the disk's syncs/s measured just before and after. The log's
//     fdatasyncs are counted and timed through the broker's file-system seam
//     (records/fsync, fsync-p50/p99-ns), and each call is timed
//     (ack-p50/p99-ns).
//   - BenchmarkFsyncPolicies: XADD from 1 and 8 goroutines in memory and
//     under the "everysec" and "no" policies, back to back; of-memory is the
//     durable rate over the in-memory one.
//   - BenchmarkRecovery, BenchmarkReplay: broker.Open of a directory of
//     1,000,000 entries (a snapshot and a log tail; or a log alone, also read
//     through package wal alone), open-ms and replay MB/s. Replay's
//     layer=broker also reads the log through package wal alone before each
//     open and reports the pair in the same iteration: of-wal, the broker's
//     replay rate over the log's own read rate (wal.Log.Replay, which copies
//     each record), and cpu-of-wal, the same from CPU time; of-wal-view and
//     cpu-of-wal-view against wal.Log.ReplayView, the read without a copy
//     that recovery uses (layer=wal-view alone). bench/durable.sh runs
//     these and the durable ones as
//     RESULTS.md reports them.
//
// redis-compare.sh measures Redis 7 on loopback with the same data:
// redis-benchmark for XADD and for XREADGROUP + XACK (one EVAL per page),
// the server's CPU time per operation, and used_memory for bytes per entry.
// rounds.sh runs everything in interleaved rounds and prints medians and
// per-round ratios; RESULTS.md records command lines, machine, figures and
// targets.
package bench
