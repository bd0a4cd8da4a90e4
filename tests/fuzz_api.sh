#!/bin/sh
# Fuzzes the client API from its own OpenAPI document (/api.json) with schemathesis against a
# real `serve` on a scratch database, signed in as an administrator: every operation, its
# coverage and fuzzing phases, a bounded number of examples, and the check that no answer is a
# server error; then the ActivityPub inbox with hostile requests, each of which must be refused.
# Fails on any 5xx or when the server process is not the one that started.
# Usage: tests/fuzz_api.sh BINARY   (FUZZ_SEED, FUZZ_EXAMPLES and FUZZ_SECONDS adjust the run)
# Needs python3 with venv, PostgreSQL and Redis on 127.0.0.1 (MKRS_TEST_PG overrides the URL).
set -eu
cd "$(dirname "$0")/.."
BIN=$(realpath "${1:-target/x86_64-unknown-linux-musl/release/misskey-rs}")
PG=${MKRS_TEST_PG:-postgres://postgres@127.0.0.1:5432/postgres}
SEED=${FUZZ_SEED:-$(od -An -N4 -tu4 /dev/urandom | tr -d ' ')}
EXAMPLES=${FUZZ_EXAMPLES:-25}
SECONDS_MAX=${FUZZ_SECONDS:-150}
venv=$(tests/venv.sh schemathesis-venv "schemathesis==4.32.5")
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
# The inbox, with hostile activities: random JSON and non-JSON bodies, missing, garbled and
# forged signatures (keys on unreachable or internal addresses), wrong content types, big
# bodies. Every answer must be a refusal (4xx) and nothing may be queued.
python3 - "$base" "$SEED" <<'PY' || status=1
import base64, hashlib, json, random, sys, urllib.request, urllib.error, email.utils
base, seed = sys.argv[1], int(sys.argv[2])
rnd = random.Random(seed)
def junk(depth=0):
    k = rnd.randrange(7 if depth < 3 else 4)
    if k == 0: return rnd.randrange(-2**40, 2**40)
    if k == 1: return ''.join(chr(rnd.randrange(1, 0x2FFF)) for _ in range(rnd.randrange(0, 40)))
    if k == 2: return rnd.choice([None, True, False, 1.5e308, "https://127.0.0.1/x", "http://169.254.169.254/"])
    if k == 3: return rnd.choice(["Create", "Follow", "Delete", "Undo", "Like", "Announce", "Update", "Note"])
    if k in (4, 5): return {rnd.choice(["type", "id", "actor", "object", "to", "cc", "content", "tag", "inReplyTo", "_misskey_quote", "x"]): junk(depth + 1) for _ in range(rnd.randrange(0, 8))}
    return [junk(depth + 1) for _ in range(rnd.randrange(0, 5))]
bad = 0
for i in range(400):
    body = json.dumps(junk()).encode() if rnd.random() < 0.8 else bytes(rnd.randrange(256) for _ in range(rnd.randrange(0, 300)))
    if rnd.random() < 0.02: body = b'{"a":"' + b'x' * (2 * 1024 * 1024) + b'"}'
    headers = {"content-type": rnd.choice(["application/activity+json", "application/ld+json", "application/json", "text/plain", "multipart/form-data"])}
    if rnd.random() < 0.8:
        headers["date"] = email.utils.formatdate(usegmt=True)
        headers["digest"] = "SHA-256=" + base64.b64encode(hashlib.sha256(body).digest()).decode()
        key = rnd.choice(["http://127.0.0.1:1/users/a#main-key", "https://10.0.0.1/k", "https://example.invalid/a#k", "", "acct:x@y"])
        headers["signature"] = rnd.choice([
            f'keyId="{key}",algorithm="rsa-sha256",headers="(request-target) host date digest",signature="{base64.b64encode(rnd.randbytes(256)).decode()}"',
            f'keyId="{key}",headers="date",signature="AAAA"', 'garbage', '=,=,', f'keyId="{key}",algorithm="ed25519",signature="AAAA"'])
    path = rnd.choice(["/inbox", "/users/x/inbox"])
    req = urllib.request.Request(base + path, data=body, headers=headers, method="POST")
    try:
        code = urllib.request.urlopen(req, timeout=30).status
    except urllib.error.HTTPError as e:
        code = e.code
    except Exception as e:
        code = 0
    if not (400 <= code < 500):
        bad += 1
        print(f"inbox answered {code} to request {i}", file=sys.stderr)
print(f"inbox: 400 hostile requests, {bad} not refused")
sys.exit(1 if bad else 0)
PY
queued=$(psql "$DB_URL" -Atqc "SELECT count(*) FROM jobs WHERE queue = 'inbox'")
[ "$queued" = 0 ] || { echo "hostile inbox requests were queued: $queued"; status=1; }
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
