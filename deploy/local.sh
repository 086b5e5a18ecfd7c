#!/usr/bin/env bash
# A whole cluster on this machine: N `baton worker` processes and `baton serve` over them, on 127.0.0.1.
#
#   deploy/local.sh [start] [-n WORKERS] [-m MODEL] [-p PORT] [--threads T] [--bin BATON] [-- SERVE ARGS...]
#       builds baton if no --bin is given, starts everything in the background, returns once /health is 200
#   deploy/local.sh stop       # stops what start started (pid files in $BATON_RUN_DIR)
#   deploy/local.sh status
#
# Workers listen on 127.0.0.1:7101, 7102, …; the API on http://127.0.0.1:PORT (default 8080). Logs and pid
# files go to $BATON_RUN_DIR (default .baton-run/local). Every link is CURVE-encrypted with keys made on the first
# start in $BATON_RUN_DIR/keys (`baton keygen`; secret keys 0600): the coordinator's public key is each worker's
# authorized key, and each worker's public key is pinned in --workers tcp://127.0.0.1:PORT#KEY.
set -euo pipefail
cd "$(dirname "$0")/.."

RUN_DIR=${BATON_RUN_DIR:-$PWD/.baton-run/local}
WORKERS=2
MODEL=$PWD/models/SmolLM2-135M-Instruct.Q4_1.gguf
PORT=8080
THREADS=1
BIN=""
FIRST_WORKER_PORT=${BATON_WORKER_PORT:-7101}
SERVE_ARGS=()

. deploy/lib.sh
die() { echo "local.sh: $*" >&2; exit 1; }

healthy() {
  if command -v curl >/dev/null; then
    curl -s --max-time 2 "http://127.0.0.1:$PORT/health" 2>/dev/null | grep -q '"status":"ok"'
  else
    python3 -c 'import sys, urllib.request as u; sys.exit(0 if b"\"status\":\"ok\"" in u.urlopen(sys.argv[1], timeout=2).read() else 1)' \
      "http://127.0.0.1:$PORT/health" 2>/dev/null
  fi
}

start() {
  [ -f "$MODEL" ] || die "model not found: $MODEL (run scripts/setup.sh or scripts/fetch-model.sh)"
  [ -n "$BIN" ] || BIN=$(./scripts/build.sh --native | tail -n 1)
  [ -x "$BIN" ] || die "baton binary not found: $BIN"
  if ls "$RUN_DIR"/*.pid >/dev/null 2>&1; then die "a cluster is already running from $RUN_DIR: run '$0 stop' first"; fi
  mkdir -p "$RUN_DIR"
  local keys=$RUN_DIR/keys endpoints="" pinned=""
  make_key "$keys/coordinator.key"
  public_key "$keys/coordinator.key.pub" >"$keys/authorized_keys"
  for k in $(seq 1 "$WORKERS"); do
    local port=$((FIRST_WORKER_PORT + k - 1))
    make_key "$keys/worker$k.key"
    "$BIN" worker --listen "tcp://127.0.0.1:$port" --threads "$THREADS" \
      --key "$keys/worker$k.key" --authorized-keys "$keys/authorized_keys" </dev/null >"$RUN_DIR/worker$k.log" 2>&1 &
    echo $! >"$RUN_DIR/worker$k.pid"
    endpoints="$endpoints${endpoints:+,}tcp://127.0.0.1:$port"
    pinned="$pinned${pinned:+,}tcp://127.0.0.1:$port#$(public_key "$keys/worker$k.key.pub")"
  done
  "$BIN" serve -m "$MODEL" --workers "$pinned" --key "$keys/coordinator.key" --port "$PORT" ${SERVE_ARGS[@]+"${SERVE_ARGS[@]}"} \
    </dev/null >"$RUN_DIR/server.out" 2>"$RUN_DIR/server.log" &
  echo $! >"$RUN_DIR/server.pid"
  for _ in $(seq 1 600); do
    if healthy; then
      echo "ready: http://127.0.0.1:$PORT (workers $endpoints; logs in $RUN_DIR; stop with $0 stop)" >&2
      return 0
    fi
    for pidfile in "$RUN_DIR"/*.pid; do
      kill -0 "$(cat "$pidfile")" 2>/dev/null || { stop; die "$(basename "$pidfile" .pid) exited; see $RUN_DIR/*.log"; }
    done
    sleep 0.2
  done
  stop
  die "the server did not become healthy in 120 s; see $RUN_DIR/*.log"
}

stop() {
  stop_pidfiles "$RUN_DIR"
}

# A CURVE key pair at $1 (and $1.pub), made once and kept, so restarts keep the same identities.
make_key() {
  [ -f "$1" ] && return 0
  mkdir -p "$(dirname "$1")" && chmod 700 "$(dirname "$1")"
  "$BIN" keygen "$1" >/dev/null || die "baton keygen $1 failed"
}

command=start
case "${1:-}" in start|stop|status) command=$1; shift ;; esac
while [ $# -gt 0 ]; do
  case "$1" in
    -n) WORKERS=$2; shift 2 ;;
    -m) MODEL=$(realpath "$2"); shift 2 ;;
    -p) PORT=$2; shift 2 ;;
    --threads) THREADS=$2; shift 2 ;;
    --bin) BIN=$2; shift 2 ;;
    --) shift; SERVE_ARGS=("$@"); break ;;
    *) die "unknown option $1 (see the top of $0)" ;;
  esac
done
case "$command" in
  start) start ;;
  stop) stop ;;
  status) healthy && echo "healthy: http://127.0.0.1:$PORT" || echo "not running (or not healthy) on port $PORT" ;;
esac
