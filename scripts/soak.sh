#!/usr/bin/env bash
# Soak test (not in CI): `firewatch collect` with the OTLP/HTTP receiver and an Alertmanager
# source under steady load, while Alertmanager is killed and restarted and the collector is
# SIGKILLed once and restarted. At the end every acknowledged (200) OTLP record must be stored
# exactly once, and the collector's resident memory must have stayed bounded.
#
#   scripts/soak.sh                        # 30 minutes, the debug binary (cargo build first)
#   SOAK_SECONDS=300 scripts/soak.sh       # 5 minutes
#
# Settings (environment):
#   SOAK_SECONDS       how long the load runs (1800)
#   SOAK_RATE          OTLP log records a second (200), sent as JSON requests of SOAK_BATCH (50)
#   SOAK_WORKERS       concurrent senders (4); a refused or failed request is retried with the
#                      same bytes, as exporters do, so the same record ids
#   SOAK_SLOW_CLIENTS  hostile connections kept open throughout: half trickle a body, half a
#                      request head (40)
#   SOAK_AM_EVERY      seconds between Alertmanager kills (SOAK_SECONDS/6, at least 30); it stays
#                      down SOAK_AM_DOWN seconds (10); kills alternate SIGTERM and SIGKILL
#   SOAK_MAX_RSS_MB    the collector's peak RSS above this fails the run (1024)
#   FIREWATCH          the binary (target/debug/firewatch)
#   SOAK_KEEP=1        keep the work dir (it is kept anyway when the run fails)
#
# Everything is written under a mktemp dir; the servers listen on 127.0.0.1 only, on free
# ports; everything started here is stopped on exit. Prometheus and Alertmanager come from
# scripts/live-servers.sh (Debian packages, installed with apt if missing).
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
FW="${FIREWATCH:-$ROOT/target/debug/firewatch}"
SECONDS_TOTAL="${SOAK_SECONDS:-1800}"
RATE="${SOAK_RATE:-200}"
BATCH="${SOAK_BATCH:-50}"
WORKERS="${SOAK_WORKERS:-4}"
SLOW="${SOAK_SLOW_CLIENTS:-40}"
AM_EVERY="${SOAK_AM_EVERY:-$(( SECONDS_TOTAL / 6 > 30 ? SECONDS_TOTAL / 6 : 30 ))}"
AM_DOWN="${SOAK_AM_DOWN:-10}"
MAX_RSS_MB="${SOAK_MAX_RSS_MB:-1024}"
[ -x "$FW" ] || { echo "soak: $FW not found: run cargo build first (or set FIREWATCH)" >&2; exit 2; }

WORK="$(mktemp -d "${TMPDIR:-/tmp}/firewatch-soak.XXXXXX")"
RUN="soakrun$(date +%s)$$"
log() { echo "soak $(date -u +%H:%M:%S): $*" >&2; }

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
export FW_LIVE_DIR="$WORK/live" FW_PROM_PORT="$(free_port)" FW_AM_PORT="$(free_port)" FW_AM_TLS_PORT="$(free_port)"
OTLP_PORT="$(free_port)"
LIVE="$ROOT/scripts/live-servers.sh"

COLLECT_PID="" LOAD_PID="" RSS_PID="" OK=0
cleanup() {
    set +e
    [ -n "$LOAD_PID" ] && kill "$LOAD_PID" 2>/dev/null && wait "$LOAD_PID" 2>/dev/null
    [ -n "$RSS_PID" ] && kill "$RSS_PID" 2>/dev/null && wait "$RSS_PID" 2>/dev/null
    [ -n "$COLLECT_PID" ] && kill "$COLLECT_PID" 2>/dev/null && wait "$COLLECT_PID" 2>/dev/null
    "$LIVE" stop 2>/dev/null
    if [ "$OK" = 1 ] && [ "${SOAK_KEEP:-0}" != 1 ]; then
        rm -rf "$WORK"
    else
        echo "soak: work dir kept: $WORK" >&2
    fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# A copy, so that a rebuild during the run does not change the binary the restart runs.
cp "$FW" "$WORK/firewatch"
FW="$WORK/firewatch"
log "work dir $WORK; run id $RUN; ${SECONDS_TOTAL}s at ${RATE} records/s; Alertmanager killed every ${AM_EVERY}s"
eval "$("$LIVE" start)"

cat >"$WORK/fw.toml" <<TOML
[[source]]
kind = "alertmanager"
url = "$FIREWATCH_ALERTMANAGER_URL"
interval = "2s"

[otlp]
listen = "127.0.0.1:$OTLP_PORT"
header_timeout = "10s"
body_timeout = "30s"
max_connections = 512
TOML

start_collector() {
    "$FW" --data-dir "$WORK/data" --config "$WORK/fw.toml" collect >>"$WORK/collect.out" 2>>"$WORK/collect.err" &
    COLLECT_PID=$!
    echo "$COLLECT_PID" >"$WORK/collect.pid"
    local i
    for i in $(seq 1 100); do
        # Any HTTP answer means the receiver is up; GET on /v1/logs is a 405.
        if curl -s -o /dev/null "http://127.0.0.1:$OTLP_PORT/v1/logs"; then return 0; fi
        kill -0 "$COLLECT_PID" 2>/dev/null || { tail -20 "$WORK/collect.err" >&2; return 1; }
        sleep 0.1
    done
    log "the collector's OTLP receiver did not come up"
    return 1
}

# RSS of whichever collector process is current, every second: "epoch_s rss_kb".
sample_rss() {
    while :; do
        local pid rss
        pid="$(cat "$WORK/collect.pid" 2>/dev/null || true)"
        rss="$(awk '/^VmRSS:/ {print $2}' "/proc/$pid/status" 2>/dev/null || true)"
        [ -n "$rss" ] && echo "$(date +%s) $rss" >>"$WORK/rss.txt"
        sleep 1
    done
}

cat >"$WORK/load.py" <<'PY'
"""Steady OTLP/HTTP JSON log load with unique record bodies, plus hostile slow clients.

Writes acked.txt (one record seq per line, for each 200) and, at the end, load.json."""
import json, os, socket, sys, threading, time, urllib.error, urllib.request

url, out, run = sys.argv[1], sys.argv[2], sys.argv[3]
rate, batch, workers, seconds, slow = (float(sys.argv[4]), int(sys.argv[5]), int(sys.argv[6]),
                                       float(sys.argv[7]), int(sys.argv[8]))
host, port = url.split("//")[1].split(":")
port = int(port)
interval = batch / rate
t0 = time.time()
lock = threading.Lock()
state = {"next": 0, "requests": 0, "attempts": 0, "acked_requests": 0, "acked_records": 0, "given_up": 0,
         "statuses": {}, "latencies": [], "slow_opened": 0, "slow_closed": 0, "slow_408": 0}
acked = open(os.path.join(out, "acked.txt"), "a", buffering=1)
stop = threading.Event()


def body(k):
    now = time.time_ns()
    recs = [{"timeUnixNano": str(now + i), "severityNumber": 17, "severityText": "ERROR",
             "body": {"stringValue": f"{run} rec {k * batch + i} payment declined"},
             "attributes": [{"key": "soak.seq", "value": {"intValue": str(k * batch + i)}}]}
            for i in range(batch)]
    req = {"resourceLogs": [{"resource": {"attributes": [
        {"key": "service.name", "value": {"stringValue": "soak-checkout"}}]},
        "scopeLogs": [{"scope": {"name": "soak"}, "logRecords": recs}]}]}
    return json.dumps(req).encode()


def count(key, n=1):
    with lock:
        state[key] += n


def worker():
    while not stop.is_set():
        with lock:
            k = state["next"]
            state["next"] += 1
        due = t0 + k * interval
        if due >= t0 + seconds:
            return
        time.sleep(max(0.0, due - time.time()))
        data = body(k)
        count("requests")
        first = time.time()
        # Retried with the same bytes, as an exporter does, for up to 120 s.
        while time.time() - first < 120:
            count("attempts")
            t = time.time()
            status = "error"
            try:
                req = urllib.request.Request(url + "/v1/logs", data=data,
                                             headers={"content-type": "application/json"})
                with urllib.request.urlopen(req, timeout=20) as r:
                    r.read()
                    status = r.status
            except urllib.error.HTTPError as e:
                status = e.code
            except Exception:
                pass
            with lock:
                state["statuses"][str(status)] = state["statuses"].get(str(status), 0) + 1
            if status == 200:
                with lock:
                    state["latencies"].append(time.time() - t)
                    state["acked_requests"] += 1
                    state["acked_records"] += batch
                    acked.write("".join(f"{k * batch + i}\n" for i in range(batch)))
                break
            time.sleep(1.0 if status in (429, 503) else 0.5)
        else:
            count("given_up")


def slow_client(i):
    """Keeps one hostile connection open: a trickled body (even i) or a trickled head (odd i)."""
    while not stop.is_set():
        try:
            s = socket.create_connection((host, port), timeout=5)
        except OSError:
            time.sleep(1)
            continue
        count("slow_opened")
        try:
            if i % 2 == 0:
                s.sendall(b"POST /v1/logs HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\n"
                          b"content-length: 100000\r\n\r\n{")
            else:
                s.sendall(b"POST /v1/logs HTTP/1.1\r\nhost: x\r\n")
            s.settimeout(1)
            got = b""
            while not stop.is_set():
                try:
                    chunk = s.recv(4096)
                except socket.timeout:
                    continue
                if not chunk:
                    break
                got += chunk
            if got.startswith(b"HTTP/1.1 408"):
                count("slow_408")
            count("slow_closed")
        except OSError:
            count("slow_closed")
        finally:
            s.close()


threads = [threading.Thread(target=worker) for _ in range(workers)]
slows = [threading.Thread(target=slow_client, args=(i,), daemon=True) for i in range(slow)]
for t in threads + slows:
    t.start()
for t in threads:
    t.join()
stop.set()
lat = sorted(state.pop("latencies"))
pick = lambda q: round(lat[min(len(lat) - 1, int(q * len(lat)))], 3) if lat else None
state.update({"latency_p50_s": pick(0.5), "latency_p99_s": pick(0.99), "latency_max_s": pick(1.0),
              "seconds": round(time.time() - t0, 1)})
with open(os.path.join(out, "load.json"), "w") as f:
    json.dump(state, f)
PY

start_collector
log "collector pid $COLLECT_PID, OTLP on 127.0.0.1:$OTLP_PORT, Alertmanager on $FIREWATCH_ALERTMANAGER_URL"
sample_rss &
RSS_PID=$!
python3 "$WORK/load.py" "http://127.0.0.1:$OTLP_PORT" "$WORK" "$RUN" "$RATE" "$BATCH" "$WORKERS" \
    "$SECONDS_TOTAL" "$SLOW" 2>"$WORK/load.err" &
LOAD_PID=$!

acked_now() { wc -l <"$WORK/acked.txt" 2>/dev/null || echo 0; }
START=$(date +%s)
KILL_AT=$(( START + SECONDS_TOTAL / 2 ))
NEXT_AM=$(( START + AM_EVERY ))
AM_KILLS=0 AM_RESTARTS=0 COLLECTOR_RESTARTS=0 KILLED_COLLECTOR=0
while kill -0 "$LOAD_PID" 2>/dev/null; do
    now=$(date +%s)
    if [ "$KILLED_COLLECTOR" = 0 ] && [ "$now" -ge "$KILL_AT" ]; then
        before=$(acked_now)
        log "SIGKILL collector $COLLECT_PID ($before records acknowledged so far)"
        kill -9 "$COLLECT_PID"
        wait "$COLLECT_PID" 2>/dev/null || true
        KILLED_COLLECTOR=1
        sleep 3
        start_collector
        log "collector restarted: pid $COLLECT_PID"
        # Survived once acknowledgements resume.
        for _ in $(seq 1 300); do [ "$(acked_now)" -gt "$before" ] && break; sleep 0.2; done
        if [ "$(acked_now)" -gt "$before" ]; then COLLECTOR_RESTARTS=$((COLLECTOR_RESTARTS + 1)); fi
    fi
    if [ "$now" -ge "$NEXT_AM" ] && [ "$now" -lt $(( START + SECONDS_TOTAL - AM_DOWN - 5 )) ]; then
        AM_KILLS=$((AM_KILLS + 1))
        if [ $((AM_KILLS % 2)) = 0 ]; then
            log "SIGKILL Alertmanager"
            kill -9 "$(cat "$FW_LIVE_DIR/alertmanager.pid")" 2>/dev/null || true
        else
            log "SIGTERM Alertmanager"
            "$LIVE" stop-alertmanager
        fi
        sleep "$AM_DOWN"
        "$LIVE" start-alertmanager
        if kill -0 "$COLLECT_PID" 2>/dev/null; then AM_RESTARTS=$((AM_RESTARTS + 1)); fi
        log "Alertmanager back; collector alive"
        NEXT_AM=$(( $(date +%s) + AM_EVERY ))
    fi
    sleep 1
done
wait "$LOAD_PID" || { log "the load generator failed:"; tail -20 "$WORK/load.err" >&2; exit 1; }
LOAD_PID=""
kill -0 "$COLLECT_PID" 2>/dev/null || { log "the collector died:"; tail -20 "$WORK/collect.err" >&2; exit 1; }
# Did the Alertmanager source keep working? Alerts fired by the live Prometheus rules.
ALERTS=$("$FW" --data-dir "$WORK/data" incidents --json 2>/dev/null | grep -c FirewatchLive || true)
log "load done; stopping the collector"
kill "$COLLECT_PID"
wait "$COLLECT_PID" 2>/dev/null || true
COLLECT_PID=""
kill "$RSS_PID" 2>/dev/null; wait "$RSS_PID" 2>/dev/null || true
RSS_PID=""

"$FW" --data-dir "$WORK/data" search --json --limit "$(( SECONDS_TOTAL * RATE * 2 + 10000 ))" "$RUN" >"$WORK/stored.jsonl"
python3 - "$WORK" "$RUN" "$MAX_RSS_MB" "$AM_RESTARTS" "$COLLECTOR_RESTARTS" "$ALERTS" "$SECONDS_TOTAL" <<'PY'
import collections, json, os, sys
work, run, max_rss_mb, am_restarts, coll_restarts, alerts, seconds = sys.argv[1:8]
load = json.load(open(os.path.join(work, "load.json")))
acked = set()
with open(os.path.join(work, "acked.txt")) as f:
    acked = {int(l) for l in f if l.strip()}
stored = collections.Counter()
with open(os.path.join(work, "stored.jsonl")) as f:
    for line in f:
        rec = json.loads(line)
        words = rec.get("body", "").split()
        if len(words) >= 3 and words[0] == run and words[1] == "rec":
            stored[int(words[2])] += 1
dups = sum(n - 1 for n in stored.values() if n > 1)
missing = len(acked - set(stored))
unacked_stored = len(set(stored) - acked)
rss = [tuple(map(int, l.split())) for l in open(os.path.join(work, "rss.txt")) if l.strip()]
peak = max(r for _, r in rss) / 1024 if rss else 0
# Growth: the peak of the last fifth against the peak of the second fifth (after warm-up).
n = len(rss)
mid = max((r for _, r in rss[n // 5: 2 * n // 5]), default=0) / 1024
last = max((r for _, r in rss[4 * n // 5:]), default=0) / 1024
print(f"duration:                 {load['seconds']} s of load (SOAK_SECONDS={seconds})")
print(f"requests sent:            {load['requests']} ({load['attempts']} attempts; answers {load['statuses']})")
print(f"records acknowledged:     {len(acked)}")
print(f"records stored:           {sum(stored.values())} ({len(stored)} distinct)")
print(f"acknowledged but missing: {missing}")
print(f"duplicates:               {dups}")
print(f"stored, never acked:      {unacked_stored} (sent, answer lost to the SIGKILL, retry given up or not)")
print(f"requests given up:        {load['given_up']}")
print(f"ack latency:              p50 {load['latency_p50_s']} s, p99 {load['latency_p99_s']} s, max {load['latency_max_s']} s")
print(f"slow clients:             {load['slow_opened']} opened, {load['slow_closed']} closed by the receiver "
      f"({load['slow_408']} with 408)")
print(f"restarts survived:        Alertmanager {am_restarts}, collector SIGKILL {coll_restarts}")
print(f"live alerts in incidents: {alerts} (lines of incidents --json naming FirewatchLive*)")
print(f"peak RSS:                 {peak:.1f} MiB (second fifth {mid:.1f} MiB, last fifth {last:.1f} MiB; "
      f"{n} samples)")
ok = missing == 0 and dups == 0 and len(acked) > 0 and peak <= float(max_rss_mb)
print("result:                   " + ("PASS" if ok else "FAIL"))
sys.exit(0 if ok else 1)
PY
OK=1
