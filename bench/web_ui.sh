#!/bin/sh
# The web UI: (1) the timeline page's initial load in Debian's Chromium (JS+CSS transferred,
# time to the first note on screen; cold cache), (2) the server handing out the UI's files
# (wrk: index.html and the main script as brotli) with its memory, (3) Lighthouse (npm, pinned,
# installed on first use under target/lighthouse) on the timeline page as a visitor opens it,
# LH_RUNS times (5) with its default mobile emulation and with the desktop preset; the median
# run's scores, every report kept under target/lighthouse.
# Needs PostgreSQL and Redis on 127.0.0.1 (MKRS_TEST_PG overrides), chromium, wrk, node.
# Usage: bench/web_ui.sh [binary] [seconds]
set -eu
cd "$(dirname "$0")/.."
BIN=$(realpath "${1:-target/x86_64-unknown-linux-musl/release/misskey-rs}")
SECS=${2:-10}
PG=${MKRS_TEST_PG:-postgres://postgres@127.0.0.1:5432/postgres}
port=61819
RATE_LIMITS=false
. bench/lib.sh
"$BIN" --config "$cfg" migrate >/dev/null
serve
[ -d tests/ui/node_modules/playwright-core ] || (cd tests/ui && npm ci --no-audit --no-fund >/dev/null)
echo "misskey-rs $("$BIN" version | cut -d' ' -f2) — $(nproc) cores, $(date -u +%Y-%m-%d)"
token=$(curl -s "$MK_BASE/api/admin/accounts/create" -H 'content-type: application/json' \
    -d '{"username":"reader","password":"benchmark-password"}' | sed 's/.*"token":"\([^"]*\)".*/\1/')
for i in $(seq 1 30); do
    curl -s -o /dev/null "$MK_BASE/api/notes/create" -H 'content-type: application/json' \
        -d "{\"i\":\"$token\",\"text\":\"note $i with **bold**, a #tag and :smile: $\\\\[tada text]\"}"
done
node tests/ui/bench.mjs "$MK_BASE" "$token" 7
lh=target/lighthouse
[ -x "$lh/node_modules/.bin/lighthouse" ] || (mkdir -p "$lh" && cd "$lh" && npm init -y >/dev/null &&
    npm install --no-audit --no-fund --loglevel=error lighthouse@12.8.2 >/dev/null)
for preset in mobile desktop; do
    extra=""; [ "$preset" = desktop ] && extra="--preset=desktop"
    for i in $(seq 1 "${LH_RUNS:-5}"); do
        CHROME_PATH=${CHROMIUM:-/usr/bin/chromium} "$lh/node_modules/.bin/lighthouse" "$MK_BASE/" $extra --quiet \
            --chrome-flags="--headless=new --no-sandbox" --only-categories=performance,accessibility,best-practices \
            --output=json --output-path="$lh/report-$preset-$i.json"
    done
    node bench/lighthouse-summary.mjs "$preset" "$lh"/report-"$preset"-*.json
done
script=$(curl -s "$MK_BASE/" | sed -n 's/.*src="\(\/assets\/[^"]*\.js\)".*/\1/p' | head -n 1)
for path in / "$script"; do
    printf '%s (brotli): ' "$path"
    wrk -t2 -c64 -d"${SECS}s" --latency -H 'Accept-Encoding: br' -H 'Accept: text/html' "$MK_BASE$path" |
        awk '/Requests\/sec/ {rps=$2} /^ +50%/ {p50=$2} /^ +99%/ {p99=$2} END {printf "%s req/s, p50 %s, p99 %s", rps, p50, p99}'
    echo ", server RSS $(rss_mib) MiB"
done
