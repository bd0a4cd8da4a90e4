#!/bin/sh
# Makes sure target/<name> is a Python venv holding the given PyPI packages (pinned versions),
# made once per checkout; prints its path. Used for the test and bench tools from PyPI.
# Usage: tests/venv.sh name package==version...
set -eu
cd "$(dirname "$0")/.."
venv="target/$1"
shift
stamp="$venv/.installed"
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$*" ]; then
    python3 -m venv "$venv" >&2
    "$venv/bin/pip" install -q --disable-pip-version-check "$@" >&2
    echo "$*" > "$stamp"
fi
echo "$venv"
