#!/usr/bin/env bash
# Records a case that needs a second, subscribed client (see README.md):
#
#   ./record-subscribed.sh PORT NAME
#
# Against the Redis server on 127.0.0.1:PORT (a server of your own, only
# meant for recording): flushes it, runs cases/NAME.subscribe through a
# background redis-cli that stays subscribed, records cases/NAME.expected
# with run.sh while it is, then stops the subscriber and writes what it
# printed to cases/NAME.subscribe.expected.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
if [ $# -ne 2 ]; then echo "usage: $0 PORT NAME" >&2; exit 2; fi
port="$1"; name="$2"
cli=(redis-cli -h 127.0.0.1 -p "$port" --no-raw)
sub="$here/cases/$name.subscribe"
[ -f "$sub" ] || { echo "no $sub" >&2; exit 2; }
tmp="$(mktemp -d)"; trap 'rm -rf "$tmp"' EXIT
sed -e '/^[[:space:]]*#/d' -e '/^[[:space:]]*$/d' "$sub" > "$tmp/in"
[ "$(wc -l < "$tmp/in")" -eq 1 ] || { echo "$sub must hold one command line" >&2; exit 2; }
echo FLUSHALL | "${cli[@]}" > /dev/null
before=$(echo 'CLIENT LIST' | redis-cli -h 127.0.0.1 -p "$port" --raw | grep -c 'sub=[1-9]\|psub=[1-9]' || true)
"${cli[@]}" < "$tmp/in" > "$tmp/sub.out" &
subpid=$!
# Wait until the new client holds its subscriptions.
for _ in $(seq 1 100); do
  now=$(echo 'CLIENT LIST' | redis-cli -h 127.0.0.1 -p "$port" --raw | grep -c 'sub=[1-9]\|psub=[1-9]' || true)
  [ "$now" -gt "$before" ] && break
  sleep 0.05
done
"$here/run.sh" --record -d "$here/cases" "${cli[*]}" "$name"
kill "$subpid"; wait "$subpid" 2>/dev/null || true
cp "$tmp/sub.out" "$here/cases/$name.subscribe.expected"
echo "RECORDED $name.subscribe ($(wc -l < "$here/cases/$name.subscribe.expected") lines)"
