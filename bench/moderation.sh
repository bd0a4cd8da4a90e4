#!/bin/sh
# Moderation costs: what roles and word lists add to ordinary requests.
#   Role resolution: `drive` (an endpoint that reads the caller's policies) for a user holding
#   nothing, then with 20 roles defined (10 manual, 5 of them held; 10 conditional, on account
#   age, counts and flags) — requests/s, latency, and database transactions per request
#   (pg_stat_database), which shows whether resolving roles queries anything.
#   Role badges: notes/local-timeline (20 notes, each author packed with their badges) with no
#   badge role, then with three (one given by hand to 50 users, two conditional).
#   Word lists: notes/create with no prohibited words, then with 1,000 (500 word pairs, 500
#   regular expressions) and 1,000 sensitive words.
# Needs wrk, PostgreSQL and Redis on 127.0.0.1 (MKRS_TEST_PG overrides the superuser URL).
# Usage: bench/moderation.sh [binary] [seconds]
set -eu
cd "$(dirname "$0")/.."
BIN=$(realpath "${1:-target/x86_64-unknown-linux-musl/release/misskey-rs}")
DUR=${2:-10}
PG=${MKRS_TEST_PG:-postgres://postgres@127.0.0.1:5432/postgres}
command -v wrk >/dev/null || { echo "bench needs wrk" >&2; exit 1; }
port=61821
RATE_LIMITS=false
. bench/lib.sh
"$BIN" --config "$cfg" migrate >/dev/null
"$BIN" --config "$cfg" bench seed --users 200 --notes 5000 >/dev/null
q() { psql "$DB_URL" -Atqc "$1"; }
set -- $(q "SELECT id || ' ' || token FROM users WHERE NOT is_system AND NOT is_root AND host IS NULL ORDER BY id LIMIT 1")
viewer_id=$1 viewer=$2
set -- $(q "SELECT username || ' ' || token FROM users WHERE NOT is_system AND host IS NULL AND id <> '$viewer_id' ORDER BY id DESC LIMIT 1")
"$BIN" --config "$cfg" admin user promote --username "$1" >/dev/null
admin=$2
serve
api() { # endpoint, body -> response
    curl -sf "$MK_BASE/api/$1" -H 'content-type: application/json' -d "$2"
}
xacts() { q "SELECT xact_commit + xact_rollback FROM pg_stat_database WHERE datname = '$db'"; }
run() { # name, endpoint, body | script
    name=$1 ep=$2 body=$3 script=${4:-bench/post.lua}
    x0=$(xacts)
    out=$(wrk -t2 -c32 -d"${DUR}s" --latency -s "$script" "$MK_BASE/api/$ep" -- "$body")
    x1=$(xacts)
    n=$(echo "$out" | awk '/requests in/ {print $1}')
    printf '| %-44s | %8s | %7s | %7s | %5s |\n' "$name" "$(echo "$out" | awk '/Requests\/sec/ {print $2}')" \
        "$(echo "$out" | awk '$1=="50%" {print $2}')" "$(echo "$out" | awk '$1=="99%" {print $2}')" \
        "$(awk -v a="$x0" -v b="$x1" -v n="$n" 'BEGIN { printf "%.2f", (b - a) / n }')"
}
echo "misskey-rs $("$BIN" version | cut -d' ' -f2) — $(nproc) cores, $(date -u +%Y-%m-%d)"
echo
echo "| request                                      |    req/s |     p50 |     p99 | tx/req |"
echo "|----------------------------------------------|---------:|--------:|--------:|-------:|"
run "drive, no roles" drive "{\"i\":\"$viewer\"}"
run "local-timeline, no badge role" notes/local-timeline "{\"i\":\"$viewer\",\"limit\":20}"
policy='"policies":{"driveCapacityMb":{"useDefault":false,"priority":0,"value":500},"pinLimit":{"useDefault":false,"priority":1,"value":7}}'
for i in $(seq 1 10); do
    r=$(api admin/roles/create "{\"i\":\"$admin\",\"name\":\"manual $i\",\"target\":\"manual\",$policy}")
    rid=$(echo "$r" | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
    [ "$i" -le 5 ] && api admin/roles/assign "{\"i\":\"$admin\",\"roleId\":\"$rid\",\"userId\":\"$viewer_id\"}" >/dev/null
done
for c in '{"type":"isLocal"}' '{"type":"createdMoreThan","sec":60}' '{"type":"notesMoreThanOrEq","value":1}' \
    '{"type":"followersMoreThanOrEq","value":10}' '{"type":"not","value":{"type":"isBot"}}' \
    '{"type":"and","values":[{"type":"isLocal"},{"type":"followingLessThanOrEq","value":1000}]}' \
    '{"type":"or","values":[{"type":"isCat"},{"type":"isLocked"}]}' '{"type":"createdLessThan","sec":86400}' \
    '{"type":"notesLessThanOrEq","value":5}' '{"type":"isRemote"}'; do
    api admin/roles/create "{\"i\":\"$admin\",\"name\":\"c\",\"target\":\"conditional\",\"condFormula\":$c,$policy}" >/dev/null
done
sleep 3
run "drive, 20 roles (5 manual + conditional held)" drive "{\"i\":\"$viewer\"}"
r=$(api admin/roles/create "{\"i\":\"$admin\",\"name\":\"supporter\",\"target\":\"manual\",\"asBadge\":true,\"isPublic\":true}")
rid=$(echo "$r" | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
for u in $(q "SELECT id FROM users WHERE NOT is_system AND host IS NULL ORDER BY id LIMIT 50"); do
    api admin/roles/assign "{\"i\":\"$admin\",\"roleId\":\"$rid\",\"userId\":\"$u\"}" >/dev/null
done
for c in '{"type":"notesMoreThanOrEq","value":10}' '{"type":"createdMoreThan","sec":1}'; do
    api admin/roles/create "{\"i\":\"$admin\",\"name\":\"b\",\"target\":\"conditional\",\"asBadge\":true,\"condFormula\":$c}" >/dev/null
done
sleep 3
run "local-timeline, 3 badge roles" notes/local-timeline "{\"i\":\"$viewer\",\"limit\":20}"
echo
run "notes/create, no word lists" notes/create "$viewer" bench/create.lua
words=$(python3 -c 'import json; print(json.dumps({"i": "'"$admin"'",
  "prohibitedWords": [f"spam{i} offer{i}" for i in range(500)] + [f"/sc[a4]m+{i}/i" for i in range(500)],
  "sensitiveWords": [f"nsfw{i}" for i in range(1000)]}))')
api admin/update-meta "$words" >/dev/null
sleep 3
run "notes/create, 1,000 prohibited + 1,000 sensitive" notes/create "$viewer" bench/create.lua
echo
echo "RSS after load: $(rss_mib) MiB"
