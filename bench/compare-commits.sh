#!/usr/bin/env bash
# compare-commits.sh builds package bench at two commits and runs their
# fan-out, XADD and read+ack benchmarks in interleaved rounds (old, new, old,
# new, ...), so both see the same machine load; it prints, per benchmark,
# the median new/old ratio over rounds with its min-max range. For fan-out
# it compares brook/chan ratios (each binary's raw-channel baseline runs
# next to it), which cancels most of the load left.
#
# Usage: bench/compare-commits.sh OLD NEW [outdir]   (ROUNDS=5 by default)
set -euo pipefail
old=$1 new=$2
rounds=${ROUNDS:-5}
root=$(cd "$(dirname "$0")/.." && pwd)
out=${3:-$(mktemp -d)}
mkdir -p "$out"
out=$(cd "$out" && pwd)
for c in old new; do
	rev=${!c}
	wt="$out/src-$c"
	rm -rf "$wt"
	git -C "$root" worktree add -q --detach "$wt" "$rev"
	(cd "$wt" && go test -c -o "$out/$c.test" ./bench)
	git -C "$root" worktree remove --force "$wt"
done
cd "$out"
bench='FanOut$|^BenchmarkXAdd$|XReadGroupAck'
for r in $(seq "$rounds"); do
	for c in old new; do
		"./$c.test" -test.run '^$' -test.bench "$bench" -test.benchtime 0.5s >"$c$r.txt"
	done
	echo "round $r of $rounds done $(date -u +%T)" >&2
done
awk '
function med(a, n,   i, j, t) {
	for (i = 2; i <= n; i++) for (j = i; j > 1 && a[j-1] > a[j]; j--) { t = a[j]; a[j] = a[j-1]; a[j-1] = t }
	return n % 2 ? a[(n+1)/2] : (a[n/2] + a[n/2+1]) / 2
}
/^Benchmark/ {
	c = FILENAME; r = c; sub(/[0-9]+\.txt$/, "", c); gsub(/^[a-z]+|\.txt$/, "", r)
	name = $1; sub(/-[0-9]+$/, "", name)
	for (i = 3; i < NF; i += 2) {
		u = $(i+1)
		if (u != "deliveries/s" && u != "xadd/s" && u != "entries/s") continue
		v[c, r, name, u] = $i
		if (!((name, u) in seen)) { seen[name, u] = 1; keys[++k] = name SUBSEP u }
	}
}
END {
	for (i = 1; i <= k; i++) {
		split(keys[i], p, SUBSEP); name = p[1]; u = p[2]
		if (name ~ /sys=chan$/) continue
		base = name; is_fan = sub(/\/sys=brook$/, "", base)
		n = 0
		for (r = 1; r <= ROUNDS; r++) {
			o = v["old", r, name, u]; nw = v["new", r, name, u]
			if (is_fan) {
				oc = v["old", r, base "/sys=chan", u]; nc = v["new", r, base "/sys=chan", u]
				if (o == 0 || oc == 0 || nc == 0) continue
				x[++n] = (nw / nc) / (o / oc)
			} else {
				if (o == 0) continue
				x[++n] = nw / o
			}
		}
		if (n == 0) continue
		lo = x[1]; hi = x[1]
		for (j = 1; j <= n; j++) { if (x[j] < lo) lo = x[j]; if (x[j] > hi) hi = x[j] }
		printf "%-55s %-13s new/old %.3f (%.3f-%.3f, %d rounds)%s\n", name, u, med(x, n), lo, hi, n, is_fan ? " of brook/chan" : ""
		delete x
	}
}' ROUNDS="$rounds" old*.txt new*.txt
