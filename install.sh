#!/bin/sh
# misskey-rs installer for Debian and Ubuntu.
#
#   ./install.sh [options] [-- init options]   install as a system service (as root)
#   ./install.sh --local [--port N]            build and run a local test server in the foreground
#
# Every step checks first and only acts when something is missing or different, so a second
# run changes nothing. --dry-run prints what would be done and changes nothing.
set -eu

usage() {
    cat <<'USAGE'
Usage: install.sh [--dry-run] [--binary FILE] [--no-apt] [-- INIT-OPTIONS…]
       install.sh --local [--port N] [--dry-run]

System install (run as root on Debian/Ubuntu):
  installs PostgreSQL and Redis from the distribution, creates the system user misskey-rs and
  its directories, installs the binary (FILE, or built from this checkout), runs
  `misskey-rs init` (interactive unless INIT-OPTIONS are given, e.g. -- --yes --domain
  example.social --acme-email me@example.social --db-superuser-url postgres:///postgres
  --admin-username admin), installs the systemd unit and enables it.

Local server (--local): builds from this checkout and runs `serve` in the foreground at
http://localhost:3000 with its own PostgreSQL and Redis (managed mode); prints the admin
password on first start.

Options:
  --dry-run      print the plan, change nothing
  --binary FILE  install this binary instead of building one
  --no-apt       do not install Debian packages
  --local        local test server instead of a system install
  --port N       port of the local server (default 3000)
  -h, --help     this text
Directories can be moved for testing with INSTALL_BIN_DIR, INSTALL_CONF_DIR,
INSTALL_DATA_DIR and INSTALL_UNIT_DIR.
USAGE
}

DRY=0 LOCAL=0 BINARY="" APT=1 PORT=3000
while [ $# -gt 0 ]; do
    case "$1" in
        --dry-run) DRY=1 ;;
        --local) LOCAL=1 ;;
        --binary) BINARY=${2:?--binary needs a file}; shift ;;
        --no-apt) APT=0 ;;
        --port) PORT=${2:?--port needs a number}; shift ;;
        -h|--help) usage; exit 0 ;;
        --) shift; break ;;
        *) echo "install.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
    esac
    shift
done

HERE=$(cd "$(dirname "$0")" && pwd)
BIN_DIR=${INSTALL_BIN_DIR:-/usr/bin}
CONF_DIR=${INSTALL_CONF_DIR:-/etc/misskey-rs}
DATA_DIR=${INSTALL_DATA_DIR:-/var/lib/misskey-rs}
UNIT_DIR=${INSTALL_UNIT_DIR:-/etc/systemd/system}
USER_NAME=misskey-rs
CHANGED=0

say() { echo "==> $*"; }
ok() { echo "    ok: $*"; }
act() {
    CHANGED=1
    if [ "$DRY" = 1 ]; then echo "    would run: $*"; else echo "    + $*"; "$@"; fi
}
is_root() { [ "$(id -u)" = 0 ]; }

apt_updated=0
need_packages() {
    for pkg in "$@"; do
        if dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
            ok "package $pkg installed"
        elif [ "$APT" = 0 ]; then
            echo "install.sh: package $pkg is missing (and --no-apt was given)" >&2; exit 1
        else
            if [ "$apt_updated" = 0 ]; then act apt-get update -qq; apt_updated=1; fi
            act env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$pkg"
        fi
    done
}

need_user() {
    if getent passwd "$USER_NAME" >/dev/null; then
        ok "user $USER_NAME exists"
    else
        act useradd --system --user-group --home-dir "$DATA_DIR" --no-create-home --shell /usr/sbin/nologin "$USER_NAME"
    fi
}

# need_dir DIR OWNER:GROUP MODE
need_dir() {
    if [ -d "$1" ] && [ "$(stat -c '%U:%G %a' "$1")" = "$2 $3" ]; then
        ok "directory $1"
    else
        act install -d -o "${2%%:*}" -g "${2##*:}" -m "$3" "$1"
    fi
}

build_binary() {
    # The product is the static musl binary; the host target serves when musl is unavailable.
    if ! command -v cargo >/dev/null; then
        echo "install.sh: no binary given and no cargo to build one (use --binary FILE)" >&2; exit 1
    fi
    if [ "$DRY" = 1 ]; then
        echo "    would run: cargo build --release --target x86_64-unknown-linux-musl"
        BINARY=$HERE/target/x86_64-unknown-linux-musl/release/misskey-rs
        return
    fi
    # The build embeds the web UI, which Node.js and npm build (assets/).
    if ! command -v npm >/dev/null; then
        if is_root && [ "$APT" = 1 ]; then
            need_packages nodejs npm
        else
            echo "install.sh: building needs Node.js and npm for the web UI: sudo apt-get install nodejs npm" >&2; exit 1
        fi
    fi
    if command -v musl-gcc >/dev/null && rustup target list --installed 2>/dev/null | grep -q musl; then
        (cd "$HERE" && cargo build --release --target x86_64-unknown-linux-musl)
        BINARY=$HERE/target/x86_64-unknown-linux-musl/release/misskey-rs
    else
        (cd "$HERE" && cargo build --release)
        BINARY=$HERE/target/release/misskey-rs
    fi
}

local_server() {
    if is_root; then
        need_packages postgresql redis-server
        need_user
        data=${INSTALL_DATA_DIR:-/var/lib/misskey-rs-local}
    else
        for b in redis-server; do command -v $b >/dev/null || { echo "install.sh: $b missing: sudo apt-get install postgresql redis-server" >&2; exit 1; }; done
        data=${INSTALL_DATA_DIR:-$HERE/data}
    fi
    conf=$data/config.toml
    say "building"
    [ -n "$BINARY" ] || build_binary
    if [ -f "$conf" ]; then
        ok "instance already initialized in $data"
    else
        pw=$(head -c 12 /dev/urandom | base64 | tr -d '/+=')
        say "initializing a local instance in $data"
        act mkdir -p "$data"
        if is_root; then act chown "$USER_NAME:$USER_NAME" "$data"; fi
        act "$BINARY" --config "$conf" init --yes --managed --domain localhost --tls off \
            --listen "127.0.0.1:$PORT" --data-dir "$data" --admin-username admin --admin-password "$pw"
        echo "    admin login: admin / $pw"
    fi
    say "serving http://localhost:$PORT (Ctrl-C stops)"
    if [ "$DRY" = 1 ]; then echo "    would run: $BINARY --config $conf serve"; exit 0; fi
    exec "$BINARY" --config "$conf" serve
}

if [ "$LOCAL" = 1 ]; then
    local_server
fi

if ! is_root && [ "$DRY" = 0 ]; then
    echo "install.sh: the system install needs root (try sudo, or --local for a test server)" >&2
    exit 1
fi

say "packages"
need_packages postgresql redis-server
say "user and directories"
need_user
need_dir "$CONF_DIR" "root:$USER_NAME" 750
need_dir "$DATA_DIR" "$USER_NAME:$USER_NAME" 700

say "binary"
[ -n "$BINARY" ] || build_binary
if [ -f "$BIN_DIR/misskey-rs" ] && cmp -s "$BINARY" "$BIN_DIR/misskey-rs"; then
    ok "$BIN_DIR/misskey-rs is up to date"
else
    act install -D -m 0755 "$BINARY" "$BIN_DIR/misskey-rs"
fi

say "configuration"
conf=$CONF_DIR/config.toml
if [ -f "$conf" ]; then
    ok "$conf exists (left as it is; \`misskey-rs init --force\` starts over)"
else
    has_data_dir=0
    for a in "$@"; do [ "$a" = "--data-dir" ] && has_data_dir=1; done
    if [ "$has_data_dir" = 1 ]; then
        act "$BIN_DIR/misskey-rs" --config "$conf" init "$@"
    else
        act "$BIN_DIR/misskey-rs" --config "$conf" init --data-dir "$DATA_DIR" "$@"
    fi
    act chown "$USER_NAME:$USER_NAME" "$conf"
    act chown -R "$USER_NAME:$USER_NAME" "$DATA_DIR"
fi

say "systemd unit"
unit=$UNIT_DIR/misskey-rs.service
if [ -f "$unit" ] && cmp -s "$HERE/systemd/misskey-rs.service" "$unit"; then
    ok "$unit is up to date"
else
    act install -D -m 0644 "$HERE/systemd/misskey-rs.service" "$unit"
fi
if [ -d /run/systemd/system ] && [ "$UNIT_DIR" = /etc/systemd/system ]; then
    [ "$CHANGED" = 0 ] || act systemctl daemon-reload
    if systemctl is-enabled --quiet misskey-rs 2>/dev/null && systemctl is-active --quiet misskey-rs; then
        ok "misskey-rs.service enabled and running"
    else
        act systemctl enable --now misskey-rs
    fi
else
    echo "    systemd is not managing this system (or the unit dir was moved): start the server with"
    echo "    setpriv --reuid $USER_NAME --regid $USER_NAME --init-groups -- $BIN_DIR/misskey-rs --config $conf serve"
fi

if [ "$CHANGED" = 0 ]; then say "nothing to do: already installed"; else say "done"; fi
