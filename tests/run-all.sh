#!/bin/sh
# Runs every check of the project on a fresh Debian machine: installs what is missing (Debian
# packages, the musl target), makes sure PostgreSQL and Redis are running, then formatting,
# clippy, all tests (against the real PostgreSQL and Redis), the static musl release build,
# the API fuzzer against it, the installer test and the .deb.
set -eu
cd "$(dirname "$0")/.."
step() { printf '\n=== %s\n' "$*"; }
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

step "packages"
missing=""
for pkg in postgresql redis-server musl-tools pebble file curl python3 python3-venv chromium fonts-noto-color-emoji fonts-noto-cjk; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing="$missing $pkg"
done
if [ -n "$missing" ]; then
    as_root apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing
fi
# Node builds the web UI (build.rs) and runs the mfm-js reference and the browser tests.
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
    as_root apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends nodejs npm
fi
if command -v rustup >/dev/null; then
    rustup target list --installed | grep -q x86_64-unknown-linux-musl || rustup target add x86_64-unknown-linux-musl
    rustup component list --installed | grep -q clippy || rustup component add clippy rustfmt
fi

step "PostgreSQL and Redis"
if ! pg_isready -q -h 127.0.0.1 -p 5432; then
    cluster=$(ls /etc/postgresql | sort -V | tail -n 1)
    as_root pg_ctlcluster --skip-systemctl-redirect "$cluster" main start
    for _ in $(seq 1 50); do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 0.2; done
fi
export MKRS_TEST_PG=${MKRS_TEST_PG:-postgres://postgres@127.0.0.1:5432/postgres}
if ! psql "$MKRS_TEST_PG" -qAtc 'SELECT 1' >/dev/null 2>&1; then
    # A fresh Debian cluster asks for a password over TCP: give the test superuser one.
    as_root su postgres -c "psql -qc \"ALTER USER postgres PASSWORD 'postgres'\""
    export MKRS_TEST_PG=postgres://postgres:postgres@127.0.0.1:5432/postgres
fi
psql "$MKRS_TEST_PG" -qAtc 'SELECT version()'
if ! redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1; then
    redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no
    for _ in $(seq 1 50); do redis-cli -h 127.0.0.1 ping >/dev/null 2>&1 && break; sleep 0.2; done
fi
redis-cli -h 127.0.0.1 -p 6379 ping

step "S3-compatible server for the bucket storage tests (moto, from PyPI)"
tests/venv.sh s3-venv "moto[server]==5.2.5"

step "format and lint"
cargo fmt --check
cargo clippy --all-targets --locked -- -D warnings

step "web UI unit tests (Vitest; the UI itself was built by build.rs)"
(cd assets && npx --no-install vitest run)

step "tests (PostgreSQL and Redis are real; the web UI in Debian's Chromium)"
export MKRS_UI_SCREENSHOTS=${MKRS_UI_SCREENSHOTS:-$PWD/target/ui-screenshots}
cargo test --locked
echo "screenshots of the web UI: $MKRS_UI_SCREENSHOTS"

step "fuzzing the MFM parser (bounded)"
command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --locked --quiet
fuzz_log=$(mktemp)
if ! (cd fuzz && cargo fuzz run mfm -s none -- -max_total_time="${MFM_FUZZ_SECONDS:-60}") >"$fuzz_log" 2>&1; then
    tail -n 40 "$fuzz_log"; echo "the MFM fuzzer found a crash (input under fuzz/artifacts/)"; exit 1
fi
tail -n 1 "$fuzz_log"; rm -f "$fuzz_log"

step "static release binary"
cargo build --release --locked --target x86_64-unknown-linux-musl
bin=target/x86_64-unknown-linux-musl/release/misskey-rs
file "$bin"
file "$bin" | grep -Eq "static(-pie)? linked|statically linked"
ls -l "$bin"
size=$(stat -c %s "$bin")
[ "$size" -le $((40 * 1024 * 1024)) ] || { echo "the release binary ($size bytes) is over 40 MiB"; exit 1; }

step "API fuzzing (schemathesis against the release binary, from /api.json)"
tests/fuzz_api.sh "$bin"

step "installer and systemd unit"
tests/install_test.sh "$bin"
if command -v systemd-analyze >/dev/null; then
    unit_dir=$(mktemp -d)
    sed "s|/usr/bin/misskey-rs|$(realpath "$bin")|" systemd/misskey-rs.service > "$unit_dir/misskey-rs.service"
    systemd-analyze verify "$unit_dir/misskey-rs.service"
    systemd-analyze security --offline=true "$unit_dir/misskey-rs.service" | tail -n 1
    rm -rf "$unit_dir"
fi

step "package"
deb=$(packaging/build-deb.sh "$bin")
contents=$(dpkg-deb -c "$deb")
echo "$contents" | grep -q "./usr/bin/misskey-rs"
echo "$contents" | grep -q "misskey-rs.service"
echo "$deb ok"

printf '\nall checks passed\n'
