#!/bin/sh
# Tests install.sh: --help, a dry run that changes nothing, and — as root — a real install into
# moved directories against the local PostgreSQL, started as the service user, then a second
# run that must change nothing. Prints "N passed, N failed".
# Usage: tests/install_test.sh path/to/misskey-rs
set -u
BIN=$(realpath "${1:?binary}")
cd "$(dirname "$0")/.."
pass=0 fail=0
check() { if eval "$2"; then pass=$((pass+1)); echo "ok   $1"; else fail=$((fail+1)); echo "FAIL $1"; fi; }

tmp=$(mktemp -d); chmod 755 "$tmp"
trap 'rm -rf "$tmp"' EXIT
export INSTALL_BIN_DIR=$tmp/bin INSTALL_CONF_DIR=$tmp/etc INSTALL_DATA_DIR=$tmp/data INSTALL_UNIT_DIR=$tmp/units

./install.sh --help >"$tmp/help" 2>&1
check "--help" 'grep -q "Usage: install.sh" "$tmp/help"'

./install.sh --dry-run --no-apt --binary "$BIN" -- --yes --domain example.social >"$tmp/dry" 2>&1
check "dry run plans the binary, init and unit" 'grep -q "would run: install -D -m 0755" "$tmp/dry" && grep -q "would run: .* init --data-dir" "$tmp/dry" && grep -q "would run: install -D -m 0644 .*misskey-rs.service" "$tmp/dry"'
check "dry run changes nothing" '[ ! -e "$tmp/bin" ] && [ ! -e "$tmp/etc" ] && [ ! -e "$tmp/units" ]'

./install.sh --local --dry-run --binary "$BIN" >"$tmp/local" 2>&1
check "--local dry run plans a managed init and serve" 'grep -q "init --yes --managed" "$tmp/local" && grep -q "would run: .* serve" "$tmp/local"'

if [ "$(id -u)" = 0 ] && command -v psql >/dev/null; then
    db=mkrs_install_$$
    port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
    set -- --yes --domain localhost --tls off --listen "127.0.0.1:$port" \
        --db-superuser-url "${MKRS_TEST_PG:-postgres://postgres@127.0.0.1:5432/postgres}" --db-name "$db" --setup-token
    ./install.sh --no-apt --binary "$BIN" -- "$@" >"$tmp/real1" 2>&1
    check "real install succeeds" 'grep -q "==> done" "$tmp/real1"' || cat "$tmp/real1"
    check "config belongs to the service user, mode 600" '[ "$(stat -c "%U %a" "$tmp/etc/config.toml")" = "misskey-rs 600" ]'
    check "unit installed" 'cmp -s systemd/misskey-rs.service "$tmp/units/misskey-rs.service"'
    setpriv --reuid misskey-rs --regid misskey-rs --init-groups -- "$tmp/bin/misskey-rs" --config "$tmp/etc/config.toml" serve >"$tmp/serve.log" 2>&1 &
    spid=$!
    up=1; for _ in $(seq 1 100); do
        if "$tmp/bin/misskey-rs" health-check --url "http://127.0.0.1:$port" >/dev/null 2>&1; then up=0; break; fi
        sleep 0.1
    done
    check "installed server runs as the service user and gets ready" '[ $up = 0 ]' || cat "$tmp/serve.log"
    kill -TERM $spid; wait $spid; rc=$?
    check "it stops cleanly on SIGTERM" '[ $rc = 0 ]'
    ./install.sh --no-apt --binary "$BIN" -- "$@" >"$tmp/real2" 2>&1
    check "second run changes nothing" 'grep -q "nothing to do: already installed" "$tmp/real2" && ! grep -q "^    + " "$tmp/real2"' || cat "$tmp/real2"
    psql "${MKRS_TEST_PG:-postgres://postgres@127.0.0.1:5432/postgres}" -qc "DROP DATABASE IF EXISTS $db WITH (FORCE)" -c "DROP ROLE IF EXISTS $db" >/dev/null 2>&1
else
    echo "skip real install (needs root and psql)"
fi
echo "install: $pass passed, $fail failed"
[ "$fail" = 0 ]
