# Shared by the bench scripts: a scratch database and a server on it, removed on exit.
# Needs PG (superuser URL), BIN (binary), port (RATE_LIMITS=false turns Misskey's rate limits
# off); sets tmp, db, cfg, spid, MK_BASE.
tmp=$(mktemp -d)
db=mkrs_bench_$$
cfg="$tmp/c.toml"
MK_BASE="http://127.0.0.1:$port"
cleanup() { [ -n "${spid:-}" ] && kill "$spid" 2>/dev/null; wait 2>/dev/null; cp "$tmp/log" "${TMPDIR:-/tmp}/misskey-rs-bench-server.log" 2>/dev/null; psql "$PG" -qc "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null 2>&1; rm -rf "$tmp"; }
trap cleanup EXIT
psql "$PG" -qc "CREATE DATABASE $db" >/dev/null
DB_URL="${PG%/*}/$db"
cat > "$cfg" <<CONF
url = "http://127.0.0.1:$port"
data_dir = "$tmp"
[http]
listen = "127.0.0.1:$port"
[database]
url = "$DB_URL"
[redis]
prefix = "mkrsbench$$:"
[log]
level = "warn"
[api]
# The shared workload creates the first administrator without a setup token.
open_setup = true
rate_limits = ${RATE_LIMITS:-true}
CONF

# Starts the server and waits until it is ready.
serve() {
    "$BIN" --config "$cfg" serve "$@" >"$tmp/log" 2>&1 &
    spid=$!
    until [ "$(curl -s -o /dev/null -w '%{http_code}' "$MK_BASE/readyz")" = 200 ]; do
        kill -0 "$spid" 2>/dev/null || { cat "$tmp/log" >&2; exit 1; }
        sleep 0.05
    done
}

rss_mib() { awk '/VmRSS/ {printf "%.1f", $2 / 1024}' "/proc/$spid/status"; }
