#!/bin/sh
# Job queue: throughput of the durable queue in PostgreSQL with a handler that waits like a
# network call, and the same with one host hanging (its jobs run into their timeout) — the
# other hosts must keep their pace. Uses a scratch database on the PostgreSQL of
# MKRS_TEST_PG (default postgres://postgres@127.0.0.1:5432/postgres).
# Usage: bench/jobs.sh [jobs] [lanes] [workers] [concurrency] [work_ms]
set -eu
cd "$(dirname "$0")/.."
JOBS=${1:-100000}
LANES=${2:-500}
WORKERS=${3:-2}
CONC=${4:-64}
WORK=${5:-20}
PG=${MKRS_TEST_PG:-postgres://postgres@127.0.0.1:5432/postgres}
cargo build -q --release --example jobs_bench
for mode in "" --down; do
    db="mkrs_jobs_bench_$$"
    psql "$PG" -qAtc "CREATE DATABASE $db"
    url="${PG%/*}/$db"
    target/release/examples/jobs_bench "$url" "$JOBS" "$LANES" "$WORKERS" "$CONC" "$WORK" $mode || true
    psql "$PG" -qAtc "DROP DATABASE $db WITH (FORCE)"
    echo
done
