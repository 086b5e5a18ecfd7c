#!/usr/bin/env bash
# A multi-host network on one Linux box: one network namespace per worker, one for the server, all joined by
# veth pairs to a bridge that lives in a namespace of its own. Nothing is added to the host's own network
# namespace and only 10.77.0.0/24 is used, inside the namespaces this script creates. Needs root.
#
#   sudo deploy/netns.sh up [-n WORKERS] [-m MODEL] [--bin BATON] [--port 8080]
#   sudo deploy/netns.sh exec CMD...     # run a command in the server's namespace (e.g. curl the API)
#   sudo deploy/netns.sh status | down
#
# Namespaces are named $BATON_NETNS_PREFIX-{br,srv,w1..wN} (prefix default "baton"); logs and pids go to
# $BATON_RUN_DIR (default .baton-run/netns-PREFIX). Server at 10.77.0.10:PORT, worker k at 10.77.0.(10+k):7101.
# As on real hosts, every link uses CURVE keys (made in $BATON_RUN_DIR/keys) and the API an API key
# ($BATON_RUN_DIR/keys/api-key, which `post` sends).
set -euo pipefail
cd "$(dirname "$0")/.."

PREFIX=${BATON_NETNS_PREFIX:-baton}
RUN_DIR=${BATON_RUN_DIR:-$PWD/.baton-run/netns-$PREFIX}
SUBNET=10.77.0
SERVER_IP=$SUBNET.10
WORKERS=3
MODEL=$PWD/models/SmolLM2-135M-Instruct.Q4_1.gguf
BIN=""
PORT=${BATON_NETNS_PORT:-8080}

. deploy/lib.sh
die() { echo "netns.sh: $*" >&2; exit 1; }
ns() { echo "$PREFIX-$1"; }
in_ns() { local n=$1; shift; ip netns exec "$(ns "$n")" "$@"; }

# GET or POST (with a JSON body) from inside the server namespace, with curl or else python3.
http() {
  local url=$1 body=${2:-} key=""
  [ -f "$RUN_DIR/keys/api-key" ] && key=$(cat "$RUN_DIR/keys/api-key")
  if command -v curl >/dev/null; then
    if [ -n "$body" ]; then in_ns srv curl -sS --max-time 120 -H 'Content-Type: application/json' \
      -H "Authorization: Bearer $key" -d "$body" "$url"
    else in_ns srv curl -sS --max-time 5 -H "Authorization: Bearer $key" "$url"; fi
  else
    in_ns srv python3 -c 'import sys, urllib.request as u
b = sys.argv[2].encode() if len(sys.argv) > 2 and sys.argv[2] else None
r = u.Request(sys.argv[1], data=b, headers={"Content-Type": "application/json", "Authorization": "Bearer " + sys.argv[3]})
print(u.urlopen(r, timeout=120).read().decode())' "$url" "$body" "$key"
  fi
}

# Key pairs for the coordinator and each worker, and an API key, in $RUN_DIR/keys.
make_keys() {
  local keys=$RUN_DIR/keys
  mkdir -p "$keys" && chmod 700 "$keys"
  for name in coordinator $(seq -f 'worker%g' 1 "$WORKERS"); do
    [ -f "$keys/$name.key" ] || "$BIN" keygen "$keys/$name.key" >/dev/null || die "baton keygen failed"
  done
  public_key "$keys/coordinator.key.pub" >"$keys/authorized_keys"
  [ -f "$keys/api-key" ] || (umask 077; od -An -N16 -tx1 /dev/urandom | tr -d ' \n' >"$keys/api-key")
}

# A veth pair from namespace $1 (address $2) to the bridge namespace.
link() {
  local name=$1 address=$2 host="${PREFIX:0:6}$1" peer="${PREFIX:0:6}$1b"
  ip netns add "$(ns "$name")"
  ip link add "$host" type veth peer name "$peer"
  ip link set "$host" netns "$(ns "$name")"
  ip link set "$peer" netns "$(ns br)"
  in_ns "$name" ip link set lo up
  in_ns "$name" ip link set "$host" name eth0
  in_ns "$name" ip addr add "$address/24" dev eth0
  in_ns "$name" ip link set eth0 up
  in_ns br ip link set "$peer" master br0
  in_ns br ip link set "$peer" up
}

up() {
  [ "$(id -u)" = 0 ] || die "needs root (network namespaces)"
  command -v ip >/dev/null || die "needs iproute2's ip"
  [ -f "$MODEL" ] || die "model not found: $MODEL (scripts/fetch-model.sh)"
  [ -n "$BIN" ] || BIN=$(./scripts/build.sh)
  [ -x "$BIN" ] || die "baton binary not found: $BIN"
  ip netns list | grep -q "^$(ns br)\b" && die "namespaces $PREFIX-* exist already: run '$0 down' first"
  mkdir -p "$RUN_DIR"
  make_keys
  local keys=$RUN_DIR/keys pinned=""
  ip netns add "$(ns br)"
  in_ns br ip link set lo up
  in_ns br ip link add br0 type bridge
  in_ns br ip link set br0 up
  link srv "$SERVER_IP"
  local endpoints=""
  for k in $(seq 1 "$WORKERS"); do
    link "w$k" "$SUBNET.$((10 + k))"
    # A plain command in the background (not a function): $! is then the worker itself, and no subshell
    # keeps this script's stdout open after it returns.
    ip netns exec "$(ns "w$k")" "$BIN" worker --listen "tcp://$SUBNET.$((10 + k)):7101" --threads 1 \
      --key "$keys/worker$k.key" --authorized-keys "$keys/authorized_keys" </dev/null >"$RUN_DIR/worker$k.log" 2>&1 &
    echo $! >"$RUN_DIR/worker$k.pid"
    endpoints="$endpoints${endpoints:+,}tcp://$SUBNET.$((10 + k)):7101"
    pinned="$pinned${pinned:+,}tcp://$SUBNET.$((10 + k)):7101#$(public_key "$keys/worker$k.key.pub")"
  done
  BATON_API_KEY=$(cat "$keys/api-key") ip netns exec "$(ns srv)" "$BIN" serve -m "$MODEL" --workers "$pinned" \
    --key "$keys/coordinator.key" --host "$SERVER_IP" --port "$PORT" \
    </dev/null >"$RUN_DIR/server.out" 2>"$RUN_DIR/server.log" &
  echo $! >"$RUN_DIR/server.pid"
  for _ in $(seq 1 600); do
    if http "http://$SERVER_IP:$PORT/health" 2>/dev/null | grep -q '"status":"ok"'; then
      echo "ready: server http://$SERVER_IP:$PORT in namespace $(ns srv); workers $endpoints"
      return 0
    fi
    sleep 0.2
  done
  die "the server did not become healthy; see $RUN_DIR/*.log"
}

down() {
  stop_pidfiles "$RUN_DIR"
  # Deleting a namespace removes its end of every veth pair, and so the pair.
  for name in $(ip netns list | awk '{print $1}' | grep "^$PREFIX-\(br\|srv\|w[0-9]*\)$" || true); do
    ip netns pids "$name" 2>/dev/null | xargs -r kill 2>/dev/null || true
    ip netns del "$name"
  done
}

status() {
  ip netns list | grep "^$PREFIX-" || echo "no $PREFIX-* namespaces"
  http "http://$SERVER_IP:$PORT/health" 2>/dev/null && echo || true
}

command=${1:-}; [ $# -gt 0 ] && shift
case "$command" in
  up)
    while [ $# -gt 0 ]; do
      case "$1" in
        -n) WORKERS=$2; shift 2 ;;
        -m) MODEL=$(realpath "$2"); shift 2 ;;
        --bin) BIN=$2; shift 2 ;;
        --port) PORT=$2; shift 2 ;;
        *) die "unknown option $1" ;;
      esac
    done
    [ "$WORKERS" -ge 3 ] || die "use 3 or more workers (-n)"
    up ;;
  down) down ;;
  status) status ;;
  exec) in_ns srv "$@" ;;
  post) http "http://$SERVER_IP:$PORT$1" "$2" ;;
  *) sed -n '2,13p' "$0"; exit 2 ;;
esac
