#!/usr/bin/env bash
# rounds.sh runs brook's benchmarks (package bench) in interleaved rounds and
# prints medians and paired ratios, as RESULTS.md reports them. On a shared
# machine the load changes by the minute, so each round runs every workload
# once: brook and its baseline back to back (sys=brook, sys=chan), and Redis
# (redis-compare.sh, skipped without redis-server) just before the stream
# benchmarks. A ratio is taken within a round; the median over rounds is
# printed with its min-max range.
#
# Usage: bench/rounds.sh [outdir]   (ROUNDS=6 by default; raw output kept in outdir)
set -euo pipefail

rounds=${ROUNDS:-6}
root=$(cd "$(dirname "$0")/.." && pwd)
out=${1:-$(mktemp -d)}
mkdir -p "$out"
out=$(cd "$out" && pwd)
(cd "$root" && go test -c -o "$out/bench.test" ./bench)
cd "$out"
run() { ./bench.test -test.run '^$' -test.bench "$1" -test.benchtime "$2" >>"$3"; }
for r in $(seq "$rounds"); do
	"$root/bench/redis-compare.sh" 500000 >"redis$r.txt"
	run '^BenchmarkXAdd$|XRange|XReadGroupAck' 0.5s streams.txt
	run 'FanOut|PublishPatterns|ManyPublishers' 0.5s pubsub.txt
	run 'XReadWakeup' 1000x wakeup.txt
	run 'DiskSync|DurableXAdd' 1s durable.txt
	echo "round $r of $rounds done $(date -u +%T)" >&2
done
./bench.test -test.run '^$' -test.bench 'StreamMemory' -test.benchtime 1x -test.count 3 >memory.txt

# summary reads benchmark lines (and redis key=value files) and prints, per
# benchmark and unit, the median (min-max) over rounds; for sys=brook/sys=chan
# pairs and for brook against Redis, the median of the per-round ratios.
summary() {
	awk '
	function med(a, n,   i, j, t) {
		for (i = 2; i <= n; i++) for (j = i; j > 1 && a[j-1] > a[j]; j--) { t = a[j]; a[j] = a[j-1]; a[j-1] = t }
		return n % 2 ? a[(n+1)/2] : (a[n/2] + a[n/2+1]) / 2
	}
	function add(key, v) { n[key]++; val[key, n[key]] = v; if (!(key in seen)) { seen[key] = 1; order[++k] = key } }
	FILENAME ~ /redis[0-9]+\.txt$/ {
		split($0, kv, "="); r = FILENAME; gsub(/.*redis|\.txt$/, "", r)
		if (kv[2] ~ /^[0-9.]+$/) redis[kv[1], r] = kv[2]
		next
	}
	/^Benchmark/ {
		name = $1; sub(/-[0-9]+$/, "", name)
		round[name]++
		for (i = 3; i < NF; i += 2) {
			u = $(i+1); v = $i; add(name " " u, v)
			if (name ~ /\/sys=brook$/) { p = name; sub(/\/sys=brook$/, "", p); last[p, u] = v }
			if (name ~ /\/sys=chan$/) { p = name; sub(/\/sys=chan$/, "", p); if ((p, u) in last && v > 0) add(p " brook/chan " u, last[p, u] / v) }
			if (name == "BenchmarkXAdd/goroutines=1" && u == "xadd/s") other[round[name]] = v
			if (name == "BenchmarkXAdd/goroutines=1" && u == "cpu-ns/xadd") othercpu[round[name]] = v
			if (name == "BenchmarkXReadGroupAck" && u == "entries/s") group[round[name]] = v
			if (name == "BenchmarkXReadGroupAck" && u == "cpu-ns/entry") groupcpu[round[name]] = v
		}
	}
	END {
		for (r in other) if (("xadd_per_s", r) in redis) add("XADD 1 goroutine brook/redis xadd/s", other[r] / redis["xadd_per_s", r])
		for (r in group) if (("group_entries_per_s", r) in redis) add("XREADGROUP+XACK brook/redis entries/s", group[r] / redis["group_entries_per_s", r])
		for (r in othercpu) if (("xadd_server_cpu_ns", r) in redis) add("XADD 1 goroutine redis/brook cpu-ns", redis["xadd_server_cpu_ns", r] / othercpu[r])
		for (r in groupcpu) if (("group_server_cpu_ns_per_entry", r) in redis) add("XREADGROUP+XACK redis/brook cpu-ns", redis["group_server_cpu_ns_per_entry", r] / groupcpu[r])
		for (j = 1; j <= k; j++) {
			key = order[j]; m = n[key]
			for (i = 1; i <= m; i++) a[i] = val[key, i]
			mid = med(a, m)
			printf "%-70s %12.4g (%.4g-%.4g) n=%d\n", key, mid, a[1], a[m], m
		}
	}' "$@"
}
summary redis*.txt streams.txt pubsub.txt wakeup.txt durable.txt memory.txt
echo "raw output: $out" >&2
