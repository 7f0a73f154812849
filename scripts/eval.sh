#!/usr/bin/env bash
# Runs every accuracy suite and prints one table: the external incident kit (the seeds given as arguments;
# ../shared/eval/incidents, or $KIT), the firewatch-sim suites (eval and ask-eval, seeds 1-24) and the template
# eval when it is built. Release build. Usage: scripts/eval.sh [KIT_SEED...]   e.g. scripts/eval.sh 1 2 3
set -euo pipefail
cd "$(dirname "$0")/.."
KIT=${KIT:-../shared/eval/incidents}
cargo build --release --quiet --bin firewatch
cargo build --release --quiet --features dev --bin firewatch-sim
BIN=target/release
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
rows=()
row() { rows+=("$(printf '| %-28s | %s |' "$1" "$2")"); }

for seed in "$@"; do
    if [ ! -f "$KIT/gen.py" ]; then
        row "kit seed $seed" "skipped: no kit at $KIT"
        continue
    fi
    mkdir -p "$tmp/kit$seed"
    python3 "$KIT/gen.py" "$tmp/kit$seed" --seed "$seed" >/dev/null
    got=$(python3 "$KIT/score.py" "$tmp/kit$seed"/*/ --bin "$BIN/firewatch" | tail -1)
    ref=$(python3 "$KIT/score.py" "$tmp/kit$seed"/*/ --baseline reference | tail -1)
    row "kit seed $seed firewatch" "$got"
    row "kit seed $seed reference" "$ref"
done

# The simulator's own style, then with --variety: conventions, metric kinds, naming and label styles, missing
# instrumentation and silent roots drawn per scenario. The full reports (by fault kind, calibration) go to $OUT.
OUT=${OUT:-$tmp}
for v in "" --variety; do
    "$BIN/firewatch-sim" eval --scenarios 24 --seed 1 $v >"$OUT/eval$v.txt"
    "$BIN/firewatch-sim" ask-eval --scenarios 24 --seed 1 $v >"$OUT/ask-eval$v.txt"
    row "firewatch-sim eval 1-24 $v" "$(grep '^scenarios' "$OUT/eval$v.txt")"
    row "firewatch-sim ask-eval 1-24 $v" "$(grep '^questions' "$OUT/ask-eval$v.txt")"
    row "  calibration (ask-eval $v)" "$(grep '^confidence:' "$OUT/ask-eval$v.txt" | head -1)"
done

if grep -q 'name = "firewatch-templates-eval"' Cargo.toml 2>/dev/null; then
    cargo build --release --quiet --features dev --bin firewatch-templates-eval
    row "templates (Loghub samples)" "$("$BIN/firewatch-templates-eval" | tail -1)"
fi

printf '| %-28s | %s |\n| %s | %s |\n' suite summary "----------------------------" "---"
printf '%s\n' "${rows[@]}"
