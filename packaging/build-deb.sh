#!/bin/sh
# Builds dist/misskey-rs_<version>_amd64.deb from the static musl binary with dpkg-deb alone
# (no extra build tool): the binary, the systemd unit, the example config and the maintainer
# scripts that create the service user.
# Usage: packaging/build-deb.sh [path/to/misskey-rs]
set -eu
cd "$(dirname "$0")/.."
bin=${1:-target/x86_64-unknown-linux-musl/release/misskey-rs}
[ -x "$bin" ] || { echo "no binary at $bin: cargo build --release --target x86_64-unknown-linux-musl" >&2; exit 1; }
version=$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -n 1)
root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
install -D -m 0755 "$bin" "$root/usr/bin/misskey-rs"
install -D -m 0644 systemd/misskey-rs.service "$root/lib/systemd/system/misskey-rs.service"
install -D -m 0644 packaging/config.example.toml "$root/usr/share/doc/misskey-rs/config.example.toml"
install -D -m 0644 README.md "$root/usr/share/doc/misskey-rs/README.md"
install -d "$root/DEBIAN"
install -m 0755 packaging/debian/postinst packaging/debian/prerm "$root/DEBIAN/"
size=$(du -sk "$root/usr" "$root/lib" | awk '{s+=$1} END {print s}')
cat > "$root/DEBIAN/control" <<CONTROL
Package: misskey-rs
Version: $version
Architecture: amd64
Maintainer: misskey-rs developers <misskey-rs@localhost>
Installed-Size: $size
Depends: adduser
Recommends: postgresql, redis-server
Section: net
Priority: optional
Description: Misskey-compatible fediverse server in one static binary
 Serves the Misskey client API, streaming and ActivityPub federation, with
 built-in TLS (ACME), migrations and supervision of PostgreSQL and Redis.
CONTROL
mkdir -p dist
out="dist/misskey-rs_${version}_amd64.deb"
dpkg-deb --root-owner-group --build "$root" "$out" >/dev/null
echo "$out"
