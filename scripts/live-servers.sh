#!/usr/bin/env bash
# Starts a real Prometheus and Alertmanager on loopback for the live tests (tests/live/).
#
#   eval "$(scripts/live-servers.sh start)"    # install if missing, start, print `export` lines
#   scripts/live-servers.sh run -- CMD ARGS     # start, run CMD with the exports, stop
#   scripts/live-servers.sh stop
#   scripts/live-servers.sh stop-alertmanager | start-alertmanager | restart-alertmanager
#
# Idempotent: `start` reuses servers that are already up. Ports and the state dir can be
# overridden with FW_PROM_PORT, FW_AM_PORT, FW_AM_TLS_PORT and FW_LIVE_DIR. Logs go to $FW_LIVE_DIR/*.log.
set -euo pipefail

PROM_PORT="${FW_PROM_PORT:-19090}"
AM_PORT="${FW_AM_PORT:-19093}"
LIVE_DIR="${FW_LIVE_DIR:-${TMPDIR:-/tmp}/firewatch-live}"
SELF="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/$(basename "${BASH_SOURCE[0]}")"
PROM_URL="http://127.0.0.1:${PROM_PORT}"
AM_URL="http://127.0.0.1:${AM_PORT}"
# A second Alertmanager behind TLS (own CA) and basic auth, for the HTTP client's auth/TLS paths.
AM_TLS_PORT="${FW_AM_TLS_PORT:-19094}"
AM_TLS_URL="https://127.0.0.1:${AM_TLS_PORT}"
# Test-only credentials; the hash is bcrypt (cost 4) of the password.
BASIC_USER="firewatch"
BASIC_PASSWORD="firewatch-live"
BASIC_HASH='$2b$04$LbZ5nvVoWA0Hftih8S06zOVxAE8imyAJUHrQeccwwfIRnl4G41Pvy'

log() { echo "live-servers: $*" >&2; }

install_if_missing() {
    local want=()
    command -v prometheus >/dev/null || want+=(prometheus)
    command -v prometheus-alertmanager >/dev/null && command -v amtool >/dev/null || want+=(prometheus-alertmanager)
    command -v curl >/dev/null || want+=(curl)
    command -v openssl >/dev/null || want+=(openssl)
    [ "${#want[@]}" -eq 0 ] && return
    log "installing ${want[*]} with apt"
    local sudo=""
    if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
    # The packages' postinst scripts may start system services on 9090/9093; ours use other ports.
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${want[@]}" >&2
}

stop_all() {
    stop_one prometheus
    stop_one alertmanager
    stop_one alertmanager-tls
}

write_configs() {
    mkdir -p "$LIVE_DIR/prometheus-data" "$LIVE_DIR/alertmanager-data"
    cat >"$LIVE_DIR/alertmanager.yml" <<EOF
route:
  receiver: blackhole
  group_wait: 1s
  group_interval: 2s
  repeat_interval: 1h
receivers:
  - name: blackhole
EOF
    cat >"$LIVE_DIR/rules.yml" <<EOF
groups:
  - name: firewatch-live
    interval: 2s
    rules:
      # Fires on the first evaluation: proves the path Prometheus -> Alertmanager -> firewatch.
      - alert: FirewatchLiveAlways
        expr: vector(1)
        for: 0s
        labels:
          service: checkout
          region: us-east-1
          severity: critical
        annotations:
          summary: always firing, for the live tests
      # Fires after 6s: Alertmanager's startsAt is when it fired, not when it became pending.
      - alert: FirewatchLiveFor
        expr: vector(2)
        for: 6s
        labels:
          service: search
          region: us-east-1
          severity: warning
      # Stays pending for an hour: the client API exposes it, the signal stream does not.
      - alert: FirewatchLivePending
        expr: vector(1)
        for: 1h
        labels:
          service: payments
          region: eu-west-1
          severity: warning
EOF
    cat >"$LIVE_DIR/prometheus.yml" <<EOF
global:
  scrape_interval: 2s
  evaluation_interval: 2s
rule_files:
  - $LIVE_DIR/rules.yml
alerting:
  alertmanagers:
    - static_configs:
        - targets: ["127.0.0.1:${AM_PORT}"]
scrape_configs:
  - job_name: prometheus
    static_configs:
      - targets: ["127.0.0.1:${PROM_PORT}"]
        labels:
          region: local-1
EOF
}

write_tls() {
    local d="$LIVE_DIR/tls"
    mkdir -p "$d"
    if [ ! -s "$d/server.pem" ]; then
        # A CA and a leaf signed by it: rustls rejects a self-signed CA used as a server certificate.
        openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 30 \
            -subj /CN=firewatch-live-ca -keyout "$d/ca.key" -out "$d/ca.pem" 2>/dev/null
        openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
            -subj /CN=127.0.0.1 -keyout "$d/server.key" -out "$d/server.csr" 2>/dev/null
        printf 'subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n' >"$d/ext.cnf"
        openssl x509 -req -in "$d/server.csr" -CA "$d/ca.pem" -CAkey "$d/ca.key" -CAcreateserial -days 30 \
            -extfile "$d/ext.cnf" -out "$d/server.pem" 2>/dev/null
    fi
    cat >"$LIVE_DIR/web-tls.yml" <<EOF
tls_server_config:
  cert_file: $d/server.pem
  key_file: $d/server.key
basic_auth_users:
  $BASIC_USER: '$BASIC_HASH'
EOF
    printf '%s\n' "$BASIC_PASSWORD" >"$LIVE_DIR/basic-password"
    chmod 600 "$LIVE_DIR/basic-password"
}

# shellcheck source=scripts/pidfile.sh
. "$(dirname "$0")/pidfile.sh"

wait_ready() { # NAME URL PIDFILE [CURL ARGS...]
    local i name="$1" url="$2" pidfile="$3"
    shift 3
    for i in $(seq 1 150); do
        if curl -fsS -o /dev/null "$@" "$url/-/ready" 2>/dev/null; then return 0; fi
        if ! alive "$pidfile"; then
            log "$name exited; its log:"
            tail -20 "$LIVE_DIR/$name.log" >&2 || true
            return 1
        fi
        sleep 0.2
    done
    log "$name not ready at $url after 30s"
    return 1
}

start_alertmanager() {
    if alive "$LIVE_DIR/alertmanager.pid"; then
        wait_ready alertmanager "$AM_URL" "$LIVE_DIR/alertmanager.pid"
        return
    fi
    # --storage.path keeps silences across a restart; an empty --cluster.listen-address turns off gossip.
    setsid prometheus-alertmanager \
        --config.file="$LIVE_DIR/alertmanager.yml" \
        --storage.path="$LIVE_DIR/alertmanager-data" \
        --web.listen-address="127.0.0.1:${AM_PORT}" \
        --web.external-url="$AM_URL/" \
        --cluster.listen-address= \
        >>"$LIVE_DIR/alertmanager.log" 2>&1 </dev/null &
    echo $! >"$LIVE_DIR/alertmanager.pid"
    wait_ready alertmanager "$AM_URL" "$LIVE_DIR/alertmanager.pid"
}

start_alertmanager_tls() {
    local pidfile="$LIVE_DIR/alertmanager-tls.pid"
    local auth=(--cacert "$LIVE_DIR/tls/ca.pem" -u "$BASIC_USER:$BASIC_PASSWORD")
    if ! alive "$pidfile"; then
        mkdir -p "$LIVE_DIR/alertmanager-tls-data"
        setsid prometheus-alertmanager \
            --config.file="$LIVE_DIR/alertmanager.yml" \
            --storage.path="$LIVE_DIR/alertmanager-tls-data" \
            --web.listen-address="127.0.0.1:${AM_TLS_PORT}" \
            --web.config.file="$LIVE_DIR/web-tls.yml" \
            --web.external-url="$AM_TLS_URL/" \
            --cluster.listen-address= \
            >>"$LIVE_DIR/alertmanager-tls.log" 2>&1 </dev/null &
        echo $! >"$pidfile"
    fi
    wait_ready alertmanager-tls "$AM_TLS_URL" "$pidfile" "${auth[@]}"
}

start_prometheus() {
    if alive "$LIVE_DIR/prometheus.pid"; then
        wait_ready prometheus "$PROM_URL" "$LIVE_DIR/prometheus.pid"
        return
    fi
    # A 2s resend delay lets the rule's alert reach a restarted Alertmanager within seconds.
    setsid prometheus \
        --config.file="$LIVE_DIR/prometheus.yml" \
        --storage.tsdb.path="$LIVE_DIR/prometheus-data" \
        --web.listen-address="127.0.0.1:${PROM_PORT}" \
        --web.external-url="$PROM_URL/" \
        --rules.alert.resend-delay=2s \
        >>"$LIVE_DIR/prometheus.log" 2>&1 </dev/null &
    echo $! >"$LIVE_DIR/prometheus.pid"
    wait_ready prometheus "$PROM_URL" "$LIVE_DIR/prometheus.pid"
}

stop_one() { # NAME
    stop_pidfile "$LIVE_DIR/$1.pid"
}

print_exports() {
    cat <<EOF
export FIREWATCH_ALERTMANAGER_URL=$AM_URL
export FIREWATCH_PROMETHEUS_URL=$PROM_URL
export FIREWATCH_LIVE_DIR=$LIVE_DIR
export FIREWATCH_LIVE_SCRIPT=$SELF
export FIREWATCH_ALERTMANAGER_PIDFILE=$LIVE_DIR/alertmanager.pid
export FIREWATCH_PROMETHEUS_PIDFILE=$LIVE_DIR/prometheus.pid
export FIREWATCH_ALERTMANAGER_TLS_URL=$AM_TLS_URL
export FIREWATCH_LIVE_CA=$LIVE_DIR/tls/ca.pem
export FIREWATCH_LIVE_BASIC_USER=$BASIC_USER
export FIREWATCH_LIVE_BASIC_PASSWORD_FILE=$LIVE_DIR/basic-password
EOF
}

start_all() {
    install_if_missing
    mkdir -p "$LIVE_DIR"
    write_configs
    write_tls
    # A fresh start gets fresh storage: a TSDB left by an earlier run restores its
    # alerts' `for` state, and an old silence would mute this run's alerts.
    alive "$LIVE_DIR/alertmanager.pid" || rm -rf "$LIVE_DIR/alertmanager-data"
    alive "$LIVE_DIR/alertmanager-tls.pid" || rm -rf "$LIVE_DIR/alertmanager-tls-data"
    alive "$LIVE_DIR/prometheus.pid" || rm -rf "$LIVE_DIR/prometheus-data"
    start_alertmanager
    start_alertmanager_tls
    start_prometheus
}

case "${1:-}" in
    start)
        start_all
        print_exports
        ;;
    run)
        shift
        [ "${1:-}" = "--" ] && shift
        trap stop_all EXIT
        start_all
        eval "$(print_exports)"
        rc=0
        "$@" || rc=$?
        exit "$rc"
        ;;
    stop) stop_all ;;
    stop-alertmanager) stop_one alertmanager ;;
    start-alertmanager) start_alertmanager ;;
    restart-alertmanager)
        stop_one alertmanager
        start_alertmanager
        ;;
    env) print_exports ;;
    *)
        echo "usage: $0 start|run -- CMD...|stop|stop-alertmanager|start-alertmanager|restart-alertmanager|env" >&2
        exit 2
        ;;
esac
