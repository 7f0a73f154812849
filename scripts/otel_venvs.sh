#!/usr/bin/env bash
# Creates (idempotently) the Python virtual environments the OTLP receiver tests drive:
#   protobuf: opentelemetry-sdk + opentelemetry-exporter-otlp-proto-http
#   json:     opentelemetry-sdk + opentelemetry-exporter-otlp-json-http (pre-release only, with its own pins)
# under ${FIREWATCH_CACHE:-~/.cache/firewatch}, then prints the export lines for the tests:
#   eval "$(scripts/otel_venvs.sh)"
set -euo pipefail

cache="${FIREWATCH_CACHE:-$HOME/.cache/firewatch}"
python="${PYTHON:-python3}"
# Pinned so CI and a laptop run the same client; bump together.
sdk_version="1.45.2"
json_exporter_version="0.66b1"

make_venv() {
    local dir="$1"; shift
    local stamp="$dir/.firewatch-installed"
    local want="$*"
    if [[ -x "$dir/bin/python" && -f "$stamp" && "$(cat "$stamp")" == "$want" ]]; then
        return 0
    fi
    rm -rf "$dir"
    "$python" -m venv "$dir" >&2
    "$dir/bin/python" -m pip install --quiet --disable-pip-version-check "$@" >&2
    printf '%s' "$want" > "$stamp"
}

make_venv "$cache/otel-proto" "opentelemetry-sdk==$sdk_version" "opentelemetry-exporter-otlp-proto-http==$sdk_version"
make_venv "$cache/otel-json" "opentelemetry-exporter-otlp-json-http==$json_exporter_version"

echo "export FIREWATCH_OTEL_PYTHON=$cache/otel-proto/bin/python"
echo "export FIREWATCH_OTEL_JSON_PYTHON=$cache/otel-json/bin/python"
