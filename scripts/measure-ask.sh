#!/usr/bin/env bash
# Times `firewatch ask --offline` as a whole command (store reads included) on a simulated
# 2-hour, 10-service incident, with release binaries: each question's wall time and peak RSS,
# then the median.
# usage: scripts/measure-ask.sh [SEED] [FAULT]   (default 12 cache-outage)
set -euo pipefail
cd "$(dirname "$0")/.."
SEED=${1:-12}
FAULT=${2:-cache-outage}
cargo build --release --quiet --features dev --bin firewatch --bin firewatch-sim
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
target/release/firewatch-sim "$WORK/in" --seed "$SEED" --fault "$FAULT" --services 10 --minutes 120 >"$WORK/truth.txt"
target/release/firewatch --data-dir "$WORK/data" ingest "$WORK/in/telemetry" >/dev/null
root=$(awk '/^root:/ {print $2}' "$WORK/truth.txt")
onset=$(awk '/^onset:/ {print $2}' "$WORK/truth.txt")
at=$(date -u -d "$onset + 6 minutes" +%H:%M)
quiet=$(date -u -d "$onset - 50 minutes" +%H:%M)
now=$(date -u -d "$onset + 60 minutes" +%Y-%m-%dT%H:%M:%SZ)
echo "scenario: seed $SEED, $FAULT, root $root, onset $onset"
times=()
for q in "why did $root have errors at $at" "what broke at $at" "why is checkout slow around $at" \
    "why was $root slow at $quiet" "errors in the last hour"; do
    /usr/bin/time -f "%e %M" -o "$WORK/t" target/release/firewatch --data-dir "$WORK/data" \
        ask --offline --json --now "$now" "$q" >"$WORK/a.json"
    read -r secs kb <"$WORK/t"
    named=$(python3 -c 'import json,sys; v=json.load(open(sys.argv[1])); print((v["root_cause"] or {}).get("service","(no cause)"))' "$WORK/a.json")
    printf '%6.2f s %5d MB  %-16s %s\n' "$secs" "$((kb / 1024))" "$named" "$q"
    times+=("$secs")
done
printf '%s\n' "${times[@]}" | sort -n | awk '{a[NR]=$1} END {printf "median %.2f s over %d questions\n", a[int((NR+1)/2)], NR}'
