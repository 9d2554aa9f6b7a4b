#!/usr/bin/env bash
# redis-compare.sh measures Redis 7 on loopback with the workloads and data of
# brook's own benchmarks (package bench), so RESULTS.md can put the two side by
# side from one run:
#
#   xadd/s          redis-benchmark -P 16 -c 50 -n 1000000 XADD s * user_id 1234
#                   product prod1234 amount 5678 (the fields of BenchmarkXAdd)
#   B/entry         used_memory delta for 1,000,000 XADDs of the data of
#                   BenchmarkStreamMemory (explicit IDs 1700000000000+i-0),
#                   sent pipelined with redis-cli --pipe
#   group entries/s XREADGROUP COUNT 100 + XACK of the returned IDs, done
#                   server-side in one EVAL per page (no client library is
#                   allowed in brook's module), 4 clients as 4 consumers
#   *_server_cpu_ns the server's CPU time (INFO cpu, user + system) per XADD
#                   and per entry read and acked: steadier than rates on a
#                   shared machine, comparable to brook's cpu-ns metrics
#
# It starts its own redis-server on a free loopback port with persistence off
# and shuts it down on exit. Usage: bench/redis-compare.sh [requests]
# (default 1000000). Needs redis-server and redis-benchmark (apt-get install
# redis-server redis-tools); without them it says so and exits 0.
set -euo pipefail

n=${1:-1000000}
for tool in redis-server redis-cli redis-benchmark; do
	if ! command -v "$tool" >/dev/null; then
		echo "redis-compare: $tool not found; skipped"
		exit 0
	fi
done

port=""
for p in $(seq 6390 6499); do
	if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
		port=$p
		break
	fi
done
[ -n "$port" ] || { echo "redis-compare: no free loopback port in 6390-6499" >&2; exit 1; }

dir=$(mktemp -d)
cli() { timeout 60 redis-cli -p "$port" "$@"; }
cleanup() {
	cli shutdown nosave >/dev/null 2>&1 || true
	rm -rf "$dir"
}
trap cleanup EXIT

redis-server --port "$port" --bind 127.0.0.1 --save '' --appendonly no \
	--dir "$dir" --daemonize yes --pidfile "$dir/redis.pid" --logfile "$dir/redis.log"
for _ in $(seq 50); do
	cli ping >/dev/null 2>&1 && break
	sleep 0.1
done

used() { cli info memory | awk -F: '/^used_memory:/ { print $2 + 0 }'; }
# cpu prints the server's CPU time so far (user + system, main thread and
# others) in nanoseconds.
cpu() { cli info cpu | awk -F: '/^used_cpu_(sys|user):/ { s += $2 } END { printf "%.0f", s * 1e9 }'; }
# per prints (b - a) / n with one decimal.
per() { awk -v a="$1" -v b="$2" -v n="$3" 'BEGIN { printf "%.1f", (b - a) / n }'; }

echo "redis_version=$(cli info server | awk -F: '/^redis_version:/ { sub(/\r/, "", $2); print $2 }')"
echo "mem_allocator=$(cli info memory | awk -F: '/^mem_allocator:/ { sub(/\r/, "", $2); print $2 }')"
echo "requests=$n"

# XADD, pipelined.
c0=$(cpu)
out=$(timeout 300 redis-benchmark -p "$port" -P 16 -c 50 -n "$n" -q \
	XADD s '*' user_id 1234 product prod1234 amount 5678 | tr '\r' '\n' | grep 'requests per second' | tail -1)
echo "xadd_line=$out"
echo "xadd_per_s=$(echo "$out" | sed -E 's/.*: ([0-9.]+) requests per second.*/\1/')"
echo "xadd_server_cpu_ns=$(per "$c0" "$(cpu)" "$n")"

# XREADGROUP COUNT 100 + XACK, one page per EVAL, on the stream XADD filled.
pages=$(((n - n / 20) / 100))
cli xgroup create s g 0 >/dev/null
c0=$(cpu)
script='local r = redis.call("XREADGROUP", "GROUP", "g", KEYS[2], "COUNT", 100, "STREAMS", KEYS[1], ">")
if not r then return 0 end
local ids = {}
for i, e in ipairs(r[1][2]) do ids[i] = e[1] end
return redis.call("XACK", KEYS[1], "g", unpack(ids))'
out=$(timeout 300 redis-benchmark -p "$port" -c 4 -r 4 -n "$pages" -q \
	EVAL "$script" 2 s c__rand_int__ | tr '\r' '\n' | grep 'requests per second' | tail -1)
pps=$(echo "$out" | sed -E 's/.*: ([0-9.]+) requests per second.*/\1/')
echo "group_pages_per_s=$pps"
echo "group_entries_per_s=$(awk -v p="$pps" 'BEGIN { printf "%.0f", p * 100 }')"
echo "group_server_cpu_ns_per_entry=$(per "$c0" "$(cpu)" $((pages * 100)))"
echo "group_pending_after=$(cli xpending s g | head -1)"

# Bytes per entry: 1,000,000 entries of BenchmarkStreamMemory's data.
cli flushall >/dev/null
before=$(used)
awk -v n=1000000 'BEGIN {
	for (i = 0; i < n; i++) {
		id = sprintf("%.0f-0", 1700000000000 + i)
		u = sprintf("%d", 1000 + (i * 7919) % 9000)
		p = sprintf("prod%d", 1000 + (i * 104729) % 9000)
		a = sprintf("%d", 1000 + (i * 31337) % 9000)
		printf "*9\r\n$4\r\nXADD\r\n$1\r\nm\r\n$%d\r\n%s\r\n$7\r\nuser_id\r\n$%d\r\n%s\r\n", length(id), id, length(u), u
		printf "$7\r\nproduct\r\n$%d\r\n%s\r\n$6\r\namount\r\n$%d\r\n%s\r\n", length(p), p, length(a), a
	}
}' | timeout 300 redis-cli -p "$port" --pipe >/dev/null
after=$(used)
echo "xlen=$(cli xlen m)"
echo "bytes_per_entry=$(awk -v a="$after" -v b="$before" 'BEGIN { printf "%.2f", (a - b) / 1000000 }')"
