#!/usr/bin/env bash
# MFM bench: builds the Rust bench (release) and runs it and the mfm-js bench
# over the same generated corpus. Run from the repository root.
# Needs node + npm; installs mfm-js into tests/mfm if missing.
set -euo pipefail
cd "$(dirname "$0")/../.."
[ -d tests/mfm/node_modules/mfm-js ] || (cd tests/mfm && npm ci --no-audit --no-fund)
out="${TMPDIR:-/tmp}/mfm-bench-notes.jsonl"
node bench/mfm/gen_notes.mjs "${NOTES:-20000}" > "$out"
cargo run --release --example mfm_bench -- "$out" "${ROUNDS:-5}"
node bench/mfm/bench.mjs "$out" "${ROUNDS:-5}"
