#!/bin/sh
# Benchmarks of the appliance core. Prints a table of figures:
#   release binary size; cold start of `serve` to /readyz 200 on a migrated database (median of
#   7); idle RSS after start; requests/s and latency of GET /livez and POST /api/meta under wrk
#   (2 threads, 32 connections, like ../shared/perf). Needs wrk (apt-get install wrk) and a
#   PostgreSQL and Redis on 127.0.0.1 (MKRS_TEST_PG overrides the superuser URL).
# Usage: bench/core.sh [binary] [seconds]
set -eu
cd "$(dirname "$0")/.."
BIN=$(realpath "${1:-target/x86_64-unknown-linux-musl/release/misskey-rs}")
DUR=${2:-10}
PG=${MKRS_TEST_PG:-postgres://postgres@127.0.0.1:5432/postgres}
command -v wrk >/dev/null || { echo "bench needs wrk: apt-get install wrk" >&2; exit 1; }
tmp=$(mktemp -d)
db=mkrs_bench_$$
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
cleanup() { [ -n "${spid:-}" ] && kill "$spid" 2>/dev/null; wait 2>/dev/null; psql "$PG" -qc "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null 2>&1; rm -rf "$tmp"; }
trap cleanup EXIT
psql "$PG" -qc "CREATE DATABASE $db" >/dev/null
"$BIN" --config "$tmp/c.toml" init --yes --domain localhost --tls off --listen "127.0.0.1:$port" \
    --data-dir "$tmp" --db-url "${PG%/*}/$db" --admin-username admin --admin-password benchpass123 >/dev/null
export MISSKEY_RS_LOG_LEVEL=warn

now_ms() { date +%s%3N; }
starts=""
for _ in 1 2 3 4 5 6 7; do
    t0=$(now_ms)
    "$BIN" --config "$tmp/c.toml" serve >/dev/null 2>&1 &
    spid=$!
    until [ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/readyz")" = 200 ]; do sleep 0.005; done
    starts="$starts $(( $(now_ms) - t0 ))"
    kill "$spid"; wait "$spid" || true; spid=""
done
cold=$(echo $starts | tr ' ' '\n' | sort -n | sed -n 4p)

"$BIN" --config "$tmp/c.toml" serve >/dev/null 2>&1 &
spid=$!
until [ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/readyz")" = 200 ]; do sleep 0.01; done
sleep 2
rss_idle=$(awk '/VmRSS/ {print $2}' "/proc/$spid/status")

wrk_line() { # name, wrk args…
    name=$1; shift
    out=$(wrk -t2 -c32 -d"${DUR}s" --latency "$@")
    rps=$(echo "$out" | awk '/Requests\/sec/ {print $2}')
    p50=$(echo "$out" | awk '$1=="50%" {print $2}')
    p99=$(echo "$out" | awk '$1=="99%" {print $2}')
    non2xx=$(echo "$out" | awk '/Non-2xx/ {print $5}')
    printf '| %-22s | %10s | %8s | %8s | %s\n' "$name" "$rps" "$p50" "$p99" "${non2xx:-0} non-2xx"
}
size=$(stat -c %s "$BIN")
echo
echo "misskey-rs $("$BIN" version | cut -d' ' -f2) — $(nproc) cores, $(date -u +%Y-%m-%d)"
echo "binary: $(( size / 1024 / 1024 )) MiB ($size bytes), $(file -b "$BIN" | grep -o "static-pie linked\|statically linked\|dynamically linked")"
echo "cold start to /readyz 200 (migrated DB), median of 7: ${cold} ms  (all:$starts)"
echo "idle RSS after start: $(( rss_idle / 1024 )) MiB"
echo
echo "| endpoint               |      req/s |      p50 |      p99 |"
echo "|------------------------|-----------:|---------:|---------:|"
wrk_line "GET /livez" "http://127.0.0.1:$port/livez"
wrk_line "POST /api/meta" -s bench/post.lua "http://127.0.0.1:$port/api/meta" -- '{}'
wrk_line "POST /api/meta detail=f" -s bench/post.lua "http://127.0.0.1:$port/api/meta" -- '{"detail":false}'
echo
echo "RSS after load: $(( $(awk '/VmRSS/ {print $2}' "/proc/$spid/status") / 1024 )) MiB"
