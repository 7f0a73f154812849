#!/usr/bin/env bash
# Side-by-side benchmark of firewatch against its peers (lnav for loading, rg for search)
# on the same generated file, in one run. Prints a table and the ratios.
#
# usage: scripts/bench.sh [BYTES]     (default 1 GB; BENCH_DIR=/tmp/firewatch-bench)
# needs: lnav, ripgrep, hyperfine (apt-get install lnav ripgrep hyperfine time)
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
BYTES=${1:-1000000000}
DIR=${BENCH_DIR:-/tmp/firewatch-bench}
REPEATS=${REPEATS:-50}
mkdir -p "$DIR"
for tool in lnav rg hyperfine /usr/bin/time; do
  command -v "$tool" >/dev/null || { echo "bench: $tool is missing (apt-get install lnav ripgrep hyperfine time)"; exit 1; }
done

cargo build --release --quiet --features dev --bin firewatch --bin firewatch-genlogs --bin firewatch-querybench
FW=target/release/firewatch
LOG="$DIR/mixed-$BYTES.log"
if [ ! -s "$LOG" ]; then
  echo "generating $BYTES bytes of logs into $LOG"
  target/release/firewatch-genlogs "$BYTES" 42 >"$LOG" 2>"$LOG.needles"
fi
SIZE=$(stat -c %s "$LOG")
LINES=$(grep -m1 -o 'lines=[0-9]*' "$LOG.needles" | cut -d= -f2)
NEEDLE=$(grep -m1 '^needle=' "$LOG.needles" | cut -d= -f2)
IP=$(sed -n '777777p' "$LOG" | grep -o 'client[_a-z"]*[=:]"*[0-9.]*' | grep -o '[0-9][0-9.]*$' | head -1)
[ -n "$IP" ] || IP=10.1.2.3
echo "file: $LOG ($SIZE bytes, $LINES lines); rare id: $NEEDLE; ip: $IP"

measure() { # label, command... -> "seconds maxrss_kb"
  /usr/bin/time -f "%e %M" -o "$DIR/time.out" "$@" >/dev/null 2>"$DIR/cmd.err" || { cat "$DIR/cmd.err"; exit 1; }
  cat "$DIR/time.out"
}

qb() { target/release/firewatch-querybench "$DIR/data" "$REPEATS" "$@"; }
field() { sed -n "s/.*\"$1\":\([0-9.]*\).*/\1/p"; }
rg_ms() { # median ms of an rg command line over a few runs
  hyperfine --style none --warmup 1 --runs "${RG_RUNS:-5}" --export-json "$DIR/hf.json" "$1" >/dev/null 2>&1
  python3 -c "import json;print(json.load(open('$DIR/hf.json'))['results'][0]['median']*1000)"
}
proc_ms() {
  hyperfine --style none --warmup 1 --runs 10 --export-json "$DIR/hf.json" "$1" >/dev/null 2>&1
  python3 -c "import json;print(json.load(open('$DIR/hf.json'))['results'][0]['median']*1000)"
}

rm -rf "$DIR/data"
sync
read -r FW_S FW_KB < <(measure "$FW" --data-dir "$DIR/data" ingest "$LOG")
# lnav writes its config and a log_metadata.db where it runs: give it a home outside the repository.
mkdir -p "$DIR/lnav-home"
read -r LNAV_S LNAV_KB < <(cd "$DIR" && HOME="$DIR/lnav-home" XDG_CONFIG_HOME="$DIR/lnav-home" measure lnav -n "$LOG")
INDEX_BYTES=$(du -sb "$DIR/data/index" | cut -f1)

printf '\n%-34s %12s %12s %10s\n' "load the file" "firewatch" "lnav" "ratio"
printf '%-34s %12.1f %12.1f %9.2fx\n' "seconds" "$FW_S" "$LNAV_S" "$(echo "$LNAV_S / $FW_S" | bc -l)"
printf '%-34s %12.1f %12.1f\n' "MB/s" "$(echo "$SIZE / 1000000 / $FW_S" | bc -l)" "$(echo "$SIZE / 1000000 / $LNAV_S" | bc -l)"
printf '%-34s %12.0f %12.0f\n' "lines/s" "$(echo "$LINES / $FW_S" | bc -l)" "$(echo "$LINES / $LNAV_S" | bc -l)"
printf '%-34s %12d %12d %9.2fx\n' "peak RSS (MB)" "$((FW_KB / 1024))" "$((LNAV_KB / 1024))" "$(echo "$LNAV_KB / $FW_KB" | bc -l)"
printf '%-34s %12d\n' "index size (MB)" "$((INDEX_BYTES / 1000000))"

# Compaction, on its own: ingesting the same file again reads nothing new and merges the segments.
segments() { find "$DIR/data/index" -name '*.idx' | wc -l; }
SEG_BEFORE=$(segments)
PROC_BEFORE=$(proc_ms "$FW --data-dir $DIR/data search -n 100 $NEEDLE")
read -r CMP_S CMP_KB < <(measure "$FW" --data-dir "$DIR/data" ingest --compact "$LOG")
printf '%-34s %12s\n' "compaction (ingest --compact)" "$(printf '%.1f s, %d MB RSS' "$CMP_S" "$((CMP_KB / 1024))")"
printf '%-34s %12s\n' "segments" "$SEG_BEFORE -> $(segments)"
printf '%-34s %12.1f\n' "rare id, whole process, before (ms)" "$PROC_BEFORE"

# What a person sees after typing the file name, watched in a real terminal (scripts/bench_tui.py, tmux):
# firewatch opens the file in a fresh data dir (cold) and again (warm: the cache keyed by the file's identity).
tui() { python3 "$ROOT/scripts/bench_tui.py" "$@"; }
LNAV_ENV="env HOME=$DIR/lnav-home XDG_CONFIG_HOME=$DIR/lnav-home"
rm -rf "$DIR/open-data"
FW_SCREEN=$(tui first-screen "$FW" --data-dir "$DIR/open-data" "$LOG")
rm -rf "$DIR/open-data"
FW_HIT=$(tui first-hit "$NEEDLE" "$FW" --data-dir "$DIR/open-data" "$LOG")
# A request id from line 1000: inside the first commit, so its time is bounded by that commit, not by the file.
EARLY=$(sed -n '1000p' "$LOG" | grep -o 'req-[0-9a-f]*' | head -1)
rm -rf "$DIR/open-data"
FW_EARLY=$(tui first-hit "$EARLY" "$FW" --data-dir "$DIR/open-data" "$LOG")
LNAV_SCREEN=$(cd "$DIR" && tui first-screen $LNAV_ENV lnav "$LOG")
printf '\n%-34s %12s %12s %10s\n' "open the file (seconds)" "firewatch" "lnav" "ratio"
printf '%-34s %12.2f %12.2f %9.2fx\n' "first screen" "$FW_SCREEN" "$LNAV_SCREEN" "$(echo "$LNAV_SCREEN / $FW_SCREEN" | bc -l)"
printf '%-34s %12.2f %12.2f %9.2fx\n' "first hit, id on line 1000" "$FW_EARLY" "$LNAV_SCREEN" "$(echo "$LNAV_SCREEN / $FW_EARLY" | bc -l)"
printf '%-34s %12.2f %12.2f %9.2fx\n' "first hit, rare id 20% into file" "$FW_HIT" "$LNAV_SCREEN" "$(echo "$LNAV_SCREEN / $FW_HIT" | bc -l)"
rm -rf "$DIR/open-data"

printf '\n%-34s %10s %10s %12s %10s %10s %12s\n' "search" "fw p50 ms" "fw p99 ms" "fw process" "rg ms" "rg/fw" "rg/process"
row() { # label, mode, query, rg command, process command
  local out p50 p99 rgm procm
  out=$(qb "$2" "$3")
  p50=$(echo "$out" | field median_ms); p99=$(echo "$out" | field p99_ms)
  procm=$(proc_ms "$5"); rgm=$(rg_ms "$4")
  printf '%-34s %10.2f %10.2f %12.1f %10.1f %9.0fx %11.1fx\n' "$1" "$p50" "$p99" "$procm" "$rgm" \
    "$(echo "$rgm / $p50" | bc -l)" "$(echo "$rgm / $procm" | bc -l)"
}
row "rare id (newest 100)" "newest:100" "$NEEDLE" "rg -F $NEEDLE $LOG" "$FW --data-dir $DIR/data search -n 100 $NEEDLE"
row "ip address (newest 100)" "newest:100" "$IP" "rg -Fw $IP $LOG" "$FW --data-dir $DIR/data search -n 100 $IP"
row "broad term, newest 100" "newest:100" "slow" "rg -Fw slow $LOG | tail -n 100" "$FW --data-dir $DIR/data search -n 100 slow"
row "exact count, broad term" "count" "slow" "rg -Fwc slow $LOG" "$FW --data-dir $DIR/data search --count slow"
row "exact count, level:error" "count" "level:error" "rg -c -e ' ERROR ' -e '\"level\":\"error\"' $LOG" "$FW --data-dir $DIR/data search --count level:error"
