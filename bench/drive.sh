#!/bin/sh
# Drive: uploads of real photos through drive/files/create (type from the bytes, metadata
# stripped, WebP thumbnail and web version, blurhash) — images/s, MB/s and latency at 4
# concurrent uploads of a 12-megapixel photo; the server's peak memory while 20-megapixel
# photos are processed 8 at a time (the decode budget bounds it); and /files/:key serving a
# cached thumbnail.
# Needs wrk, python3 (Pillow is installed in a venv under target/), PostgreSQL and Redis.
# Usage: bench/drive.sh [binary] [seconds]
# DRIVE_S3=1 keeps the files in an S3 bucket instead (moto's server on loopback, installed in
# target/s3-venv; being Python, moto rather than misskey-rs bounds those figures).
set -eu
cd "$(dirname "$0")/.."
BIN=$(realpath "${1:-target/x86_64-unknown-linux-musl/release/misskey-rs}")
DUR=${2:-15}
PG=${MKRS_TEST_PG:-postgres://postgres@127.0.0.1:5432/postgres}
command -v wrk >/dev/null || { echo "bench needs wrk" >&2; exit 1; }
venv=$(tests/venv.sh bench-venv "pillow==11.3.0")
port=61823
RATE_LIMITS=false
. bench/lib.sh
if [ "${DRIVE_S3:-0}" = 1 ]; then
    s3venv=$(tests/venv.sh s3-venv "moto[server]==5.2.5")
    "$s3venv/bin/moto_server" -H 127.0.0.1 -p 61824 >"$tmp/moto.log" 2>&1 &
    mpid=$!
    trap 'kill $mpid 2>/dev/null; cleanup' EXIT
    until curl -s -o /dev/null http://127.0.0.1:61824/; do sleep 0.1; done
    curl -s -X PUT http://127.0.0.1:61824/bench >/dev/null
    printf '[drive.s3]\nendpoint = "http://127.0.0.1:61824"\nbucket = "bench"\naccess_key = "bench"\nsecret_key = "bench"\n' >> "$cfg"
    echo "storage: S3 bucket (moto on loopback)"
fi
serve
echo "misskey-rs $("$BIN" version | cut -d' ' -f2) — $(nproc) cores, $(date -u +%Y-%m-%d)"
token=$(curl -s "$MK_BASE/api/admin/accounts/create" -H 'content-type: application/json' \
    -d '{"username":"benchadmin","password":"benchpassword1"}' | python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])')
# Room for the run's uploads.
curl -s "$MK_BASE/api/admin/roles/update-default-policies" -H 'content-type: application/json' \
    -d "{\"i\":\"$token\",\"policies\":{\"driveCapacityMb\":1000000,\"maxFileSizeMb\":200}}" >/dev/null
b=----mkrsbench
"$venv/bin/python" bench/drive/images.py 4000 3000 "$tmp/12mp.jpg" "$tmp/12mp.body" "$token" "$b"
"$venv/bin/python" bench/drive/images.py 5472 3648 "$tmp/20mp.jpg" "$tmp/20mp.body" "$token" "$b"
size=$(stat -c %s "$tmp/12mp.jpg")
echo "inputs: 12 MP photo $((size / 1024)) KiB, 20 MP photo $(($(stat -c %s "$tmp/20mp.jpg") / 1024)) KiB"
rss0=$(rss_mib)

wrk -t2 -c4 -d"${DUR}s" --latency --timeout 60s -s bench/drive/upload.lua "$MK_BASE/api/drive/files/create" -- "$tmp/12mp.body" "$b" > "$tmp/up"
grep -q "Non-2xx" "$tmp/up" && { cat "$tmp/up"; tail -20 "$tmp/log"; exit 1; }
awk -v size="$size" '/Requests\/sec/ {rps=$2} $1=="50%" {p50=$2} $1=="99%" {p99=$2}
    END {printf "upload 12 MP JPEG, 4 at a time: %.2f images/s, %.1f MB/s in, p50 %s, p99 %s\n", rps, rps * size / 1e6, p50, p99}' "$tmp/up"
echo "server RSS: $rss0 MiB idle, peak $(awk '/VmHWM/ {printf "%.1f", $2 / 1024}' "/proc/$spid/status") MiB after the 12 MP run"

wrk -t2 -c8 -d"${DUR}s" --latency --timeout 60s -s bench/drive/upload.lua "$MK_BASE/api/drive/files/create" -- "$tmp/20mp.body" "$b" > "$tmp/up20"
grep -q "Non-2xx" "$tmp/up20" && { cat "$tmp/up20"; exit 1; }
awk '/Requests\/sec/ {rps=$2} $1=="50%" {p50=$2} $1=="99%" {p99=$2}
    END {printf "upload 20 MP JPEG, 8 at a time: %.2f images/s, p50 %s, p99 %s\n", rps, p50, p99}' "$tmp/up20"
echo "server peak RSS with 8 concurrent 20 MP uploads: $(awk '/VmHWM/ {printf "%.1f", $2 / 1024}' "/proc/$spid/status") MiB (decode budget: 32 megapixels)"

thumb=$(curl -s "$MK_BASE/api/drive/stream" -H 'content-type: application/json' -d "{\"i\":\"$token\",\"limit\":1}" \
    | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["thumbnailUrl"].split("/files/")[1])')
wrk -t2 -c64 -d"${DUR}s" --latency "$MK_BASE/files/$thumb" > "$tmp/get"
awk '/Requests\/sec/ {rps=$2} $1=="50%" {p50=$2} $1=="99%" {p99=$2}
    END {printf "GET /files/<thumbnail>, 64 connections: %.0f req/s, p50 %s, p99 %s\n", rps, p50, p99}' "$tmp/get"
echo "server RSS after: $(rss_mib) MiB"
