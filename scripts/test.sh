#!/usr/bin/env bash
# The whole test suite, on a fresh machine: installs what the tests need (cached in
# ~/.cache/firewatch, outside the repo), then runs formatting, lints and every test.
set -euo pipefail
cd "$(dirname "$0")/.."
CACHE=${FIREWATCH_CACHE:-$HOME/.cache/firewatch}
mkdir -p "$CACHE"

step() { printf '\n== %s\n' "$*"; }

# The OpenTelemetry Python SDK and its JSON file exporter write the OTLP/JSON the
# ingest tests read, so the tests check what the current SDK really produces.
step "python venv with the OpenTelemetry SDK ($CACHE/venv-otel-json)"
VENV="$CACHE/venv-otel-json"
if [ ! -x "$VENV/bin/python" ]; then
  python3 -m venv "$VENV"
fi
"$VENV/bin/pip" install --quiet --disable-pip-version-check \
  "opentelemetry-sdk==1.45.2" "opentelemetry-exporter-otlp-json-file==0.66b1"
OTEL_OUT=$(mktemp -d)
LOG=$(mktemp)
cleanup() {
  scripts/live-servers.sh stop >/dev/null 2>&1 || true
  scripts/llm-server.sh stop >/dev/null 2>&1 || true
  rm -rf "$OTEL_OUT" "$LOG"
}
trap cleanup EXIT
"$VENV/bin/python" scripts/otel_fixtures.py "$OTEL_OUT"
export FIREWATCH_OTEL_FIXTURES="$OTEL_OUT"

# The OTLP receiver tests export with the real SDK: protobuf over HTTP, and JSON over HTTP.
step "python venvs with the OTLP/HTTP exporters ($CACHE/otel-proto, $CACHE/otel-json)"
eval "$(scripts/otel_venvs.sh)"

# tmux drives the real binary in a terminal for the TUI's end-to-end tests.
step "tmux for the TUI tests"
if ! command -v tmux >/dev/null; then
  sudo=""; [ "$(id -u)" -ne 0 ] && sudo="sudo"
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq tmux
fi
tmux -V

# Real Prometheus and Alertmanager (Debian packages) on loopback for the source and collector tests.
step "Prometheus and Alertmanager on 127.0.0.1 (scripts/live-servers.sh)"
eval "$(scripts/live-servers.sh start)"

# A real LLM on loopback for the copilot tests: llama-cpp-python serving SmolLM2-135M.
# The first run compiles llama.cpp (several minutes on 2 cores); later runs reuse the venv.
step "LLM server on 127.0.0.1 (scripts/llm-server.sh, venv in $CACHE/venv-llm)"
eval "$(scripts/llm-server.sh start)"

step "rust-version against this toolchain and the locked dependencies (scripts/check-msrv.sh)"
scripts/check-msrv.sh

step "module graph: no cycle, ui never uses cmd (scripts/modgraph.py)"
python3 scripts/modgraph.py

step "function lengths: none over 100 lines outside tests and data tables (scripts/fn_lengths.py)"
python3 scripts/fn_lengths.py --max 100

step "cargo fmt --check"
cargo fmt --check

# `dev` builds the development tools (firewatch-sim, the evals, genlogs, querybench) that some tests drive.
# Every cargo call here names it, so the library is built once.
step "cargo clippy --all-targets --features dev -- -D warnings"
cargo clippy --all-targets --features dev -- -D warnings

step "cargo test (the fuzz targets run a small slice: FUZZ_CASES, scripts/fuzz.sh runs a million each)"
cargo test --features dev --lib --bins --tests 2>&1 | tee "$LOG"
# One closing line for the whole suite (cargo prints one per test binary).
awk '/^test result:/ { for (i = 1; i <= NF; i++) { if ($(i+1) ~ /^passed/) p += $i; if ($(i+1) ~ /^failed/) f += $i } }
     END { printf "\ntests: %d passed, %d failed\n", p, f }' "$LOG"
