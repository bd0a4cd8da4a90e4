#!/bin/sh
# Fuzzes the client API from its own OpenAPI document (/api.json) with schemathesis against a
# real `serve` on a scratch database, signed in as an administrator: every operation, its
# coverage and fuzzing phases, a bounded number of examples, and the check that no answer is a
# server error. Fails on any 5xx or when the server process is not the one that started.
# Usage: tests/fuzz_api.sh BINARY   (FUZZ_SEED, FUZZ_EXAMPLES and FUZZ_SECONDS adjust the run)
# Needs python3 with venv, PostgreSQL and Redis on 127.0.0.1 (MKRS_TEST_PG overrides the URL).
set -eu
cd "$(dirname "$0")/.."
BIN=$(realpath "${1:-target/x86_64-unknown-linux-musl/release/misskey-rs}")
PG=${MKRS_TEST_PG:-postgres://postgres@127.0.0.1:5432/postgres}
SEED=${FUZZ_SEED:-$(od -An -N4 -tu4 /dev/urandom | tr -d ' ')}
EXAMPLES=${FUZZ_EXAMPLES:-25}
SECONDS_MAX=${FUZZ_SECONDS:-150}
venv=target/schemathesis-venv
if [ ! -x "$venv/bin/st" ]; then
    python3 -m venv "$venv"
    "$venv/bin/pip" install -q --disable-pip-version-check "schemathesis==4.32.5"
fi
port=61893
RATE_LIMITS=false
. bench/lib.sh
serve
base=$MK_BASE
token=$(curl -s "$base/api/admin/accounts/create" -H 'content-type: application/json' \
    -d '{"username":"fuzzadmin","password":"fuzzpassword1"}' | python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])')
# A second account and a note, so that ids in examples can meet real rows.
curl -s "$base/api/admin/accounts/create" -H 'content-type: application/json' \
    -d "{\"i\":\"$token\",\"username\":\"other\",\"password\":\"fuzzpassword1\"}" >/dev/null
curl -s "$base/api/notes/create" -H 'content-type: application/json' -d "{\"i\":\"$token\",\"text\":\"hello\"}" >/dev/null
echo "schemathesis seed $SEED, $EXAMPLES examples per operation, at most ${SECONDS_MAX}s (FUZZ_SEED=$SEED reproduces)"
status=0
"$venv/bin/st" run "$base/api.json" \
    --header "Authorization: Bearer $token" \
    --checks not_a_server_error \
    --phases examples,coverage,fuzzing \
    --max-examples "$EXAMPLES" \
    --seed "$SEED" \
    --max-time "$SECONDS_MAX" \
    --workers 2 \
    --request-timeout 20 \
    --generation-database none \
    --exclude-path /i/regenerate-token \
    --no-color || status=$?
if ! kill -0 "$spid" 2>/dev/null; then
    echo "the server died during the fuzz run:"; tail -n 40 "$tmp/log"; exit 1
fi
if [ "$(curl -s -o /dev/null -w '%{http_code}' "$base/livez")" != 200 ]; then
    echo "the server stopped answering after the fuzz run"; exit 1
fi
if grep -q "panic" "$tmp/log"; then
    echo "the server panicked during the fuzz run:"; grep -m 5 "panic" "$tmp/log"; exit 1
fi
[ "$status" = 0 ] || { echo "schemathesis found server errors (FUZZ_SEED=$SEED reproduces)"; tail -n 20 "$tmp/log"; exit "$status"; }
echo "fuzz run passed: same server process (pid $spid) before and after"
