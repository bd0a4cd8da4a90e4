#!/bin/sh
# Account deletion: an account with NOTES notes (and the reactions and follows of a seeded
# dataset) is deleted through admin/delete-account while wrk reads notes/local-timeline; the
# time until everything it had is gone (notes removed per second), and the timeline's
# throughput and latency before and during the deletion.
# Needs wrk, PostgreSQL and Redis on 127.0.0.1 (MKRS_TEST_PG overrides the superuser URL).
# Usage: bench/deletion.sh [binary] [notes] [seconds]
set -eu
cd "$(dirname "$0")/.."
BIN=$(realpath "${1:-target/x86_64-unknown-linux-musl/release/misskey-rs}")
NOTES=${2:-100000}
DUR=${3:-10}
PG=${MKRS_TEST_PG:-postgres://postgres@127.0.0.1:5432/postgres}
command -v wrk >/dev/null || { echo "bench needs wrk" >&2; exit 1; }
port=61819
RATE_LIMITS=false
. bench/lib.sh
"$BIN" --config "$cfg" migrate >/dev/null
"$BIN" --config "$cfg" bench seed --users 500 --notes 50000 >/dev/null
q() { psql "$DB_URL" -Atqc "$1"; }
# The account to delete: the one with the most followers (the root account cannot be deleted),
# given NOTES more notes.
set -- $(q "SELECT id || ' ' || token FROM users WHERE NOT is_system AND NOT is_root AND host IS NULL ORDER BY followers_count DESC LIMIT 1")
victim=$1
set -- $(q "SELECT token FROM users WHERE NOT is_system AND host IS NULL AND id <> '$victim' ORDER BY id LIMIT 1")
viewer=$1
q "INSERT INTO notes (id, created_at, user_id, text, visibility)
   SELECT 'dn' || lpad(i::text, 10, '0'), now() - i * interval '1 second', '$victim', 'note ' || i, 'public'
   FROM generate_series(1, $NOTES) i;
   UPDATE users SET notes_count = notes_count + $NOTES WHERE id = '$victim'; ANALYZE" >/dev/null
# A seeded account (neither of the two above) made administrator, to ask for the deletion.
set -- $(q "SELECT username || ' ' || token FROM users WHERE NOT is_system AND host IS NULL AND id <> '$victim' ORDER BY id DESC LIMIT 1")
"$BIN" --config "$cfg" admin user promote --username "$1" >/dev/null
admin=$2
serve
echo "misskey-rs $("$BIN" version | cut -d' ' -f2) — $(nproc) cores, $(date -u +%Y-%m-%d)"
total=$(q "SELECT count(*) FROM notes WHERE user_id = '$victim'")
echo "account: $total notes," \
    "$(q "SELECT count(*) FROM note_reactions WHERE user_id = '$victim'") reactions," \
    "$(q "SELECT count(*) FROM following WHERE follower_id = '$victim' OR followee_id = '$victim'") follows;" \
    "dataset $(q "SELECT count(*) FROM notes") notes"
tl() { # seconds -> "req/s p50 p99"
    wrk -t2 -c16 -d"${1}s" --latency -s bench/post.lua "$MK_BASE/api/notes/local-timeline" -- "{\"i\":\"$viewer\",\"limit\":20}" > "$tmp/wrk.$1"
    echo "$(awk '/Requests\/sec/ {print $2}' "$tmp/wrk.$1") $(awk '$1=="50%" {print $2}' "$tmp/wrk.$1") $(awk '$1=="99%" {print $2}' "$tmp/wrk.$1")"
}
set -- $(tl "$DUR")
echo "local-timeline before: $1 req/s, p50 $2, p99 $3"
tl "$DUR" > "$tmp/during" &
wpid=$!
sleep 1
t0=$(date +%s.%N)
status=$(curl -s -o "$tmp/del.out" -w '%{http_code}' "$MK_BASE/api/admin/delete-account" \
    -H 'content-type: application/json' -d "{\"i\":\"$admin\",\"userId\":\"$victim\"}")
[ "$status" = 204 ] || [ "$status" = 200 ] || { echo "admin/delete-account: $status $(cat "$tmp/del.out")" >&2; exit 1; }
until [ "$(q "SELECT finished_at IS NOT NULL FROM deleted_accounts WHERE user_id = '$victim'")" = t ]; do sleep 0.05; done
t1=$(date +%s.%N)
wait $wpid
set -- $(cat "$tmp/during")
awk -v t0="$t0" -v t1="$t1" -v n="$total" 'BEGIN {
    printf "deleted in %.2f s: %.0f notes/s (the others of the account included)\n", t1 - t0, n / (t1 - t0) }'
echo "local-timeline during ($DUR s window, deletion inside it): $1 req/s, p50 $2, p99 $3"
echo "left: $(q "SELECT count(*) FROM notes WHERE user_id = '$victim'") notes, server RSS $(rss_mib) MiB"
