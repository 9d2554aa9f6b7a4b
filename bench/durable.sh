#!/usr/bin/env bash
# durable.sh runs the durability benchmarks of package bench as RESULTS.md
# reports them ("Durable XADD" and "Recovery and fsync policies") and prints
# the median (min-max) of every metric:
#   - DiskSync and DurableXAdd, -count 3;
#   - FsyncPolicies in 3 whole runs (its of-memory ratio pairs with the
#     in-memory run just before it, which -count would not repeat);
#   - Recovery and Replay, 3 opens each, -count 3 (each builds its 1M-entry
#     directory first: about 10 s).
# About 2 minutes. Run it from an exported tree (git archive) to keep
# uncommitted edits out.
#
# Usage: bench/durable.sh [outdir]   (raw output kept in outdir)
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
out=${1:-$(mktemp -d)}
mkdir -p "$out"
out=$(cd "$out" && pwd)
(cd "$root" && go test -c -o "$out/bench.test" ./bench)
cd "$out"
stamp() { echo "$1 $(date -u +%T) load $(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || true)" >>times.txt; }
run() { ./bench.test -test.run '^$' -test.bench "$1" -test.benchtime "$2" -test.count "$3" >>"$4"; }
stamp start
run 'DiskSync|DurableXAdd' 1s 3 durable.txt
stamp durable
for _ in 1 2 3; do
	run 'FsyncPolicies' 0.5s 1 policies.txt
done
stamp policies
run 'Recovery|Replay' 3x 3 recovery.txt
stamp recovery
cat times.txt >&2

awk '
function med(a, n,   i, j, t) {
	for (i = 2; i <= n; i++) for (j = i; j > 1 && a[j-1] > a[j]; j--) { t = a[j]; a[j] = a[j-1]; a[j-1] = t }
	return n % 2 ? a[(n+1)/2] : (a[n/2] + a[n/2+1]) / 2
}
/^Benchmark/ {
	name = $1; sub(/-[0-9]+$/, "", name)
	for (i = 3; i < NF; i += 2) {
		if ($(i+1) ~ /B\/op|allocs\/op/) continue
		key = name " " $(i+1); n[key]++; val[key, n[key]] = $i
		if (!(key in seen)) { seen[key] = 1; order[++k] = key }
	}
}
END {
	for (j = 1; j <= k; j++) {
		key = order[j]; m = n[key]
		for (i = 1; i <= m; i++) a[i] = val[key, i]
		mid = med(a, m)
		printf "%-70s %12.4g (%.4g-%.4g) n=%d\n", key, mid, a[1], a[m], m
	}
}' durable.txt policies.txt recovery.txt
echo "raw output: $out" >&2
