#!/bin/sh
# Streaming: many idle authenticated WebSocket connections, and the delivery of new notes to
# the followers among them. Seeds a scratch database (`misskey-rs bench seed`, default 10,000
# accounts), makes the first FOLLOWERS of them follow one author, starts the server, then
# `ws_bench` (bench/streaming/ws_bench.rs) opens CONNECTIONS sockets (each on homeTimeline +
# main), reads the server's RSS, posts NOTES notes as the author (one every 50 ms) and measures
# the latency from each notes/create to every follower's socket.
# Needs PostgreSQL and Redis on 127.0.0.1 (MKRS_TEST_PG overrides the superuser URL); the open
# file limit must allow CONNECTIONS sockets in the server and in the client (each process).
# Usage: bench/streaming.sh [binary] [connections] [followers] [notes]
set -eu
cd "$(dirname "$0")/.."
BIN=$(realpath "${1:-target/x86_64-unknown-linux-musl/release/misskey-rs}")
CONNS=${2:-10000}
FOLLOWERS=${3:-1000}
NOTES=${4:-200}
PG=${MKRS_TEST_PG:-postgres://postgres@127.0.0.1:5432/postgres}
need=$((CONNS + 200))
ulimit -n "$need" 2>/dev/null || ulimit -n "$(ulimit -Hn)"
[ "$(ulimit -n)" -ge "$need" ] || { echo "the open file limit ($(ulimit -n)) is below $need" >&2; exit 1; }
cargo build -q --release --example ws_bench
CLIENT=target/release/examples/ws_bench
port=61815
RATE_LIMITS=false
. bench/lib.sh
"$BIN" --config "$cfg" migrate >/dev/null
"$BIN" --config "$cfg" bench seed --users "$((CONNS + 1))" --notes 1000 >/dev/null
q() { psql "$DB_URL" -Atqc "$1"; }
# The author is the last account; the first FOLLOWERS accounts follow it.
author=$(q "SELECT id || ' ' || token FROM users WHERE NOT is_system AND token IS NOT NULL ORDER BY id DESC LIMIT 1")
set -- $author
aid=$1 atok=$2
q "SELECT token FROM users WHERE NOT is_system AND token IS NOT NULL AND id <> '$aid' ORDER BY id LIMIT $CONNS" > "$tmp/tokens"
q "INSERT INTO following (id, created_at, follower_id, followee_id)
   SELECT 'bf' || row_number() OVER (), now(), id, '$aid' FROM
     (SELECT id FROM users WHERE NOT is_system AND token IS NOT NULL AND id <> '$aid' ORDER BY id LIMIT $FOLLOWERS) f
   ON CONFLICT DO NOTHING" >/dev/null
# Those beyond the first FOLLOWERS must not follow the author.
q "DELETE FROM following WHERE followee_id = '$aid' AND follower_id NOT IN
   (SELECT id FROM users WHERE NOT is_system AND token IS NOT NULL AND id <> '$aid' ORDER BY id LIMIT $FOLLOWERS)" >/dev/null
serve
sleep 1
echo "misskey-rs $("$BIN" version | cut -d' ' -f2) — $(nproc) cores, $(date -u +%Y-%m-%d); open file limit $(ulimit -n);" \
    "$(q "SELECT count(*) FROM users") accounts, the author has $(q "SELECT count(*) FROM following WHERE followee_id = '$aid'") followers"
"$CLIENT" "$MK_BASE" "$tmp/tokens" "$CONNS" "$FOLLOWERS" "$atok" "$NOTES" "$spid"
