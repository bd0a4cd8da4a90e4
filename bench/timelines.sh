#!/bin/sh
# Timelines and notes/create on a realistic dataset. Seeds a scratch database with
# `misskey-rs bench seed` (default 2,000 users with a skewed follow graph, 200,000 notes with
# replies, renotes, quotes and reactions), then for a user of median follow count:
#   - wrk (2 threads, 32 connections) on notes/timeline, notes/local-timeline and
#     notes/hybrid-timeline (limit 20), and on notes/create (one account, and 500 in turn);
#   - pgbench running the very statement of each timeline (`misskey-rs bench sql`: the list and
#     its packing) and the list alone (`--list`), with as many clients as the server has
#     database connections, and the ratios API/statement;
#   - EXPLAIN ANALYZE of each timeline query; fails if one scans the notes table sequentially.
# Needs wrk, pgbench, PostgreSQL and Redis on 127.0.0.1 (MKRS_TEST_PG overrides the superuser URL).
# Usage: bench/timelines.sh [binary] [seconds] [users] [notes]
set -eu
cd "$(dirname "$0")/.."
BIN=$(realpath "${1:-target/x86_64-unknown-linux-musl/release/misskey-rs}")
DUR=${2:-15}
USERS=${3:-2000}
NOTES=${4:-200000}
PG=${MKRS_TEST_PG:-postgres://postgres@127.0.0.1:5432/postgres}
for c in wrk pgbench; do command -v $c >/dev/null || { echo "bench needs $c" >&2; exit 1; }; done
port=61813
. bench/lib.sh
cat >> "$cfg" <<CONF
[api]
rate_limits = false
CONF
"$BIN" --config "$cfg" migrate >/dev/null
"$BIN" --config "$cfg" bench seed --users "$USERS" --notes "$NOTES"
pool=$("$BIN" --config "$cfg" config show 2>/dev/null | awk -F' *= *' '/^pool_size/ {print $2; exit}')
pool=${pool:-16}
q() { psql "$DB_URL" -Atqc "$1"; }
# A user of median follow count, and one who follows the most accounts.
median=$(q "SELECT id || ' ' || token || ' ' || following_count FROM users WHERE NOT is_system ORDER BY following_count, id OFFSET $USERS / 2 LIMIT 1")
set -- $median
uid=$1 tok=$2 follows=$3
serve
sleep 1
echo
echo "misskey-rs $("$BIN" version | cut -d' ' -f2) — $(nproc) cores, $(date -u +%Y-%m-%d); dataset:" \
    "$(q "SELECT count(*) FROM users") users, $(q "SELECT count(*) FROM following") follows," \
    "$(q "SELECT count(*) FROM notes") notes, $(q "SELECT count(*) FROM note_reactions") reactions"
echo "viewer follows $follows accounts (median); server pool $pool connections; idle RSS $(rss_mib) MiB"
echo

wrk_run() { # endpoint body [script]
    wrk -t2 -c32 -d"${DUR}s" --latency -s "bench/${3:-post.lua}" "$MK_BASE/api/$1" -- "$2" > "$tmp/wrk.out"
    rps=$(awk '/Requests\/sec/ {print $2}' "$tmp/wrk.out")
    p50=$(awk '$1=="50%" {print $2}' "$tmp/wrk.out")
    p99=$(awk '$1=="99%" {print $2}' "$tmp/wrk.out")
    bad=$(awk '/Non-2xx/ {print $5}' "$tmp/wrk.out")
}
raw_sql() { # timeline [--list] -> the statement with the binds of `timelines::run` filled in
    "$BIN" --config "$cfg" bench sql "$@" | sed -e "s/\\\$1\\b/'$uid'/g" -e "s/\\\$[2-6]\\b/NULL/g"
}
pgb() { # file -> tx/s of that statement, prepared, from as many clients as the server has connections
    echo "$(cat "$1");" > "$1.pgb"
    pgbench -n -M prepared -c "$pool" -j 2 -T "$DUR" -f "$1.pgb" "$DB_URL" 2>/dev/null | awk '/^tps/ {printf "%.0f", $3}'
}
# The raw SQL runs prepared, with the planner settings the server's sessions use (db::connect).
# "page stmt" is the very statement the endpoint runs (the list and its packing); "list" is the
# list of notes alone, without the packing.
export PGOPTIONS="-c random_page_cost=1.1"
echo "| endpoint (limit 20)    |   API req/s |   p50    |   p99    | page stmt tx/s | API/page stmt | list tx/s | API/list |"
echo "|------------------------|------------:|---------:|---------:|---------------:|--------------:|----------:|---------:|"
row() { printf '| %-22s | %11s | %8s | %8s | %14s | %13s | %9s | %8s | %s\n' "$@"; }
for tl in home local hybrid; do
    case $tl in home) ep=notes/timeline ;; local) ep=notes/local-timeline ;; hybrid) ep=notes/hybrid-timeline ;; esac
    wrk_run "$ep" "{\"i\":\"$tok\",\"limit\":20}"
    raw_sql $tl > "$tmp/$tl.sql"
    raw_sql $tl --list > "$tmp/$tl.list.sql"
    page=$(pgb "$tmp/$tl.sql")
    list=$(pgb "$tmp/$tl.list.sql")
    ratio() { awk -v a="$rps" -v b="$1" 'BEGIN {printf "%.2f", a / b}'; }
    row "$ep" "$rps" "$p50" "$p99" "$page" "$(ratio "$page")" "$list" "$(ratio "$list")" "${bad:+$bad non-2xx}"
done
wrk_run notes/create "$tok" create.lua
row "notes/create (1 user)" "$rps" "$p50" "$p99" "—" "—" "—" "—" "${bad:+$bad non-2xx}"
q "SELECT token FROM users WHERE NOT is_system ORDER BY id LIMIT 500" > "$tmp/tokens"
wrk_run notes/create "$tmp/tokens" create_many.lua
row "notes/create (500 users)" "$rps" "$p50" "$p99" "—" "—" "—" "—" "${bad:+$bad non-2xx}"
echo
echo "RSS after load: $(rss_mib) MiB"
echo
status=0
for tl in home local hybrid; do
    echo "== EXPLAIN ANALYZE $tl"
    psql "$DB_URL" -Atc "EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY ON) $(cat "$tmp/$tl.sql")" | tee "$tmp/$tl.plan"
    if grep -q "Seq Scan on notes" "$tmp/$tl.plan"; then
        echo "!! $tl timeline scans notes sequentially" >&2
        status=1
    fi
done
exit $status
