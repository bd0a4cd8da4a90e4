#!/bin/sh
# Runs the cross-server workload in ../shared/perf (the same scripts that measured upstream
# Misskey) against misskey-rs: first admin, 50 users, 1,000 follows, 2,000 notes through the
# public API, 1,000 warm-up requests, then wrk (2 threads, 32 connections) on meta,
# notes/local-timeline, notes/timeline and notes/create. Prints wrk's JSON lines and RSS.
# Needs node, wrk, PostgreSQL and Redis on 127.0.0.1 (MKRS_TEST_PG overrides the superuser URL).
# Usage: bench/perf.sh [binary] [seconds] [path to shared/perf]
set -eu
cd "$(dirname "$0")/.."
BIN=$(realpath "${1:-target/x86_64-unknown-linux-musl/release/misskey-rs}")
DUR=${2:-15}
PERF=$(realpath "${3:-../shared/perf}")
PG=${MKRS_TEST_PG:-postgres://postgres@127.0.0.1:5432/postgres}
command -v wrk >/dev/null || { echo "bench needs wrk: apt-get install wrk" >&2; exit 1; }
port=61812
. bench/lib.sh
serve
sleep 2
echo "idle RSS: $(rss_mib) MiB"
export PERF_DIR="$tmp" MK_BASE
node "$PERF/admin.mjs"
node "$PERF/seed.mjs"
node "$PERF/warm1000.mjs"
tok=$(node -e "console.log(JSON.parse(require('fs').readFileSync('$tmp/users.json'))[0].token)")
run() { echo "== $1"; wrk -t2 -c32 -d"${DUR}s" --latency -s "$PERF/$2" "$MK_BASE/api/$3" -- "$4" | grep '^JSON'; }
run meta post.lua meta '{"detail":false}'
run local-timeline post.lua notes/local-timeline '{"limit":20}'
run timeline post.lua notes/timeline "{\"i\":\"$tok\",\"limit\":20}"
run create create.lua notes/create "$tok"
echo "RSS after load: $(rss_mib) MiB"
