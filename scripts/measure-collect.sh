#!/usr/bin/env bash
# Measures the collector end to end, with release binaries, on this machine:
#   1. alert posted to the real Alertmanager -> visible in `firewatch incidents --json` (collector polling every 1s)
#   2. OTLP/HTTP receiver throughput with the OpenTelemetry Python SDK as client (protobuf + gzip), every record
#      acknowledged only after the collector committed it, then counted back with `firewatch search --count`.
# usage: scripts/measure-collect.sh [LOG_RECORDS]   (default 20000)
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-20000}
cargo build --release --quiet --bin firewatch
FW=target/release/firewatch
eval "$(scripts/live-servers.sh start)"
eval "$(scripts/otel_venvs.sh)"
WORK=$(mktemp -d)
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
cat > "$WORK/fw.toml" <<TOML
[[source]]
kind = "alertmanager"
url = "$FIREWATCH_ALERTMANAGER_URL"
interval = "1s"

[otlp]
listen = "127.0.0.1:$PORT"
TOML
"$FW" --data-dir "$WORK/data" --config "$WORK/fw.toml" collect 2>"$WORK/collect.err" &
PID=$!
trap 'kill $PID 2>/dev/null; wait $PID 2>/dev/null; rm -rf "$WORK"' EXIT
sleep 2
RUN="measure$$"
now_ms() { date +%s%3N; }
T0=$(now_ms)
curl -sf -X POST -H 'content-type: application/json' "$FIREWATCH_ALERTMANAGER_URL/api/v2/alerts" \
  -d "[{\"labels\":{\"alertname\":\"MeasureLatency\",\"service\":\"checkout\",\"run\":\"$RUN\"}}]"
until "$FW" --data-dir "$WORK/data" incidents --json | grep -q "\"$RUN\""; do sleep 0.05; done
echo "alert posted -> in incidents --json: $(( $(now_ms) - T0 )) ms"

T0=$(now_ms)
"$FIREWATCH_OTEL_PYTHON" scripts/otlp_send.py "http://127.0.0.1:$PORT" protobuf gzip "$N" --signals logs --service otlp-measure --quiet >/dev/null
T1=$(now_ms)
STORED=$("$FW" --data-dir "$WORK/data" search --count "service:otlp-measure")
echo "otlp: $N logs from the Python SDK (protobuf, gzip) in $(( T1 - T0 )) ms: $(( N * 1000 / (T1 - T0 + 1) )) records/s; stored: $STORED"
