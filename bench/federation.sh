#!/bin/sh
# Federation: (1) the inbox — signed Create(Note) activities from a peer (served by the
# benchmark client) verified, queued and stored per second, with the peer's key cached;
# (2) delivery — one note to FOLLOWERS remote followers on HOSTS hosts (a local sink listening
# on HOSTS ports answers 202), once with shared inboxes (one delivery per host) and once with
# personal inboxes only (one per follower): time to full delivery and the server's peak RSS.
# BLOCKED=n runs it all with n servers (none of them the peers) blocked by the administrator,
# the host policy's largest case. Needs PostgreSQL and Redis on 127.0.0.1 (MKRS_TEST_PG
# overrides the superuser URL).
# Usage: [BLOCKED=n] bench/federation.sh [binary] [activities] [followers] [hosts]
set -eu
cd "$(dirname "$0")/.."
BIN=$(realpath "${1:-target/x86_64-unknown-linux-musl/release/misskey-rs}")
N=${2:-20000}
FOLLOWERS=${3:-10000}
HOSTS=${4:-500}
BLOCKED=${BLOCKED:-0}
PG=${MKRS_TEST_PG:-postgres://postgres@127.0.0.1:5432/postgres}
ulimit -n 65536 2>/dev/null || true
cargo build -q --release --example fed_bench
CLIENT=target/release/examples/fed_bench
port=61817
RATE_LIMITS=false
. bench/lib.sh
printf '[federation]\nallow_insecure_peers = true\n' >> "$cfg"
"$BIN" --config "$cfg" migrate >/dev/null
serve
q() { psql "$DB_URL" -Atqc "$1"; }
echo "misskey-rs $("$BIN" version | cut -d' ' -f2) — $(nproc) cores, $(date -u +%Y-%m-%d)"
if [ "$BLOCKED" -gt 0 ]; then
    # Written as another process would: every process reads the lists again within 2 s.
    q "INSERT INTO meta (id, created_at, updated_at) VALUES ('x', now(), now()) ON CONFLICT DO NOTHING;
       UPDATE meta SET blocked_hosts = ARRAY(SELECT 'blocked' || i || '.example' FROM generate_series(1, $BLOCKED) i)" >/dev/null
    sleep 3
    echo "$BLOCKED servers blocked"
fi
"$CLIENT" inbox "$MK_BASE" "127.0.0.1:$port" "$DB_URL" "$N" 64 "$spid"

# A local author followed by FOLLOWERS remote accounts spread over HOSTS hosts.
token=$(curl -s "$MK_BASE/api/admin/accounts/create" -H 'content-type: application/json' \
    -d '{"username":"author","password":"benchmark-password"}' | sed 's/.*"token":"\([^"]*\)".*/\1/')
aid=$(q "SELECT id FROM users WHERE username = 'author' AND host IS NULL")
sink_port=62000
seed() { # $1: shared inboxes (true/false)
    q "DELETE FROM following WHERE followee_id = '$aid'; DELETE FROM users WHERE username LIKE 'f%' AND host LIKE '127.0.0.1:%'" >/dev/null
    q "INSERT INTO users (id, created_at, username, username_lower, host, uri, inbox, shared_inbox)
       SELECT 'bf' || i, now(), 'f' || i, 'f' || i, '127.0.0.1:' || ($sink_port + i % $HOSTS),
              'http://127.0.0.1:' || ($sink_port + i % $HOSTS) || '/users/f' || i,
              'http://127.0.0.1:' || ($sink_port + i % $HOSTS) || '/users/f' || i || '/inbox',
              CASE WHEN $1 THEN 'http://127.0.0.1:' || ($sink_port + i % $HOSTS) || '/inbox' END
       FROM generate_series(1, $FOLLOWERS) i;
       INSERT INTO following (id, created_at, follower_id, followee_id, follower_host)
       SELECT 'bfl' || i, now(), 'bf' || i, '$aid', '127.0.0.1:' || ($sink_port + i % $HOSTS)
       FROM generate_series(1, $FOLLOWERS) i" >/dev/null
}
seed true
echo "one note, $FOLLOWERS followers on $HOSTS hosts, shared inboxes:"
"$CLIENT" sink "$sink_port" "$HOSTS" "$HOSTS" "$MK_BASE" "$token" "$spid"
seed false
echo "one note, $FOLLOWERS followers on $HOSTS hosts, personal inboxes only:"
"$CLIENT" sink "$sink_port" "$HOSTS" "$FOLLOWERS" "$MK_BASE" "$token" "$spid"
echo "queue afterwards:"
"$BIN" --config "$cfg" admin jobs stats
