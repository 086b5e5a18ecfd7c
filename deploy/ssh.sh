#!/usr/bin/env bash
# Starts one `baton worker` on each host over ssh and prints the --workers argument for the coordinator.
#
#   deploy/ssh.sh [start] [--bin REMOTE_BATON] [--copy LOCAL_BATON] [--port 7101] [--threads N]
#                 [--max-memory SIZE] [--cache-dir DIR] [--poll MS] [--key COORDINATOR_KEY] [--insecure] HOST...
#   deploy/ssh.sh stop [--port 7101] HOST...
#
# HOST is anything ssh accepts (user@host, an ~/.ssh/config alias). Each worker binds tcp://0.0.0.0:PORT and
# is reached at tcp://HOST's address:PORT. A host with the model at the coordinator's -m path opens it; a host
# without it gets its stage's weights streamed by the coordinator into --cache-dir (default ~/.cache/baton/weights).
# --max-memory caps what each worker offers (for --split auto). --poll MS: how long a worker spins for the next
# hidden states before sleeping (default 50; 0 on hosts shared with other busy work). --copy scp's a local binary
# to REMOTE_BATON first.
# Logs: /tmp/baton-worker-PORT.log on each host; pid: /tmp/baton-worker-PORT.pid.
#
# Keys (CURVE, see "Security" in the README): the coordinator's key pair is --key (default
# ~/.config/baton/keys/coordinator.key, made with the local `baton keygen` if missing). Each host gets a worker key
# pair of its own in ~/.config/baton/ (made there once, the secret never leaves the host) and the coordinator's
# public key in ~/.config/baton/authorized_keys; the printed endpoints pin each worker's public key
# (tcp://ADDRESS:PORT#KEY). Only public keys cross the network. --insecure starts workers without keys instead.
#
# Then, on the coordinator machine:
#   baton serve -m /models/m.gguf --key ~/.config/baton/keys/coordinator.key \
#     --workers "$(deploy/ssh.sh host1 host2)" --host 0.0.0.0   # with $BATON_API_KEY set
set -euo pipefail

BIN=baton
COPY=""
PORT=7101
THREADS=""
EXTRA=""
SSH=${SSH:-ssh}
SCP=${SCP:-scp}
LOCAL_BIN=${BATON_LOCAL_BIN:-baton}
KEY=$HOME/.config/baton/keys/coordinator.key
INSECURE=""
REMOTE_KEYS='$HOME/.config/baton'

die() { echo "ssh.sh: $*" >&2; exit 1; }

# The address part of an ssh destination: user@host → host (ssh config aliases resolve on the remote side
# of the coordinator too only if they are real names: pass addresses when in doubt).
address() { local h=${1#*@}; echo "${h%%:*}"; }

. "$(dirname "$0")/lib.sh"

# The coordinator's key pair, made once with the local baton.
coordinator_key() {
  [ -f "$KEY" ] && return 0
  mkdir -p "$(dirname "$KEY")" && chmod 700 "$(dirname "$KEY")"
  "$LOCAL_BIN" keygen "$KEY" >/dev/null || die "cannot make $KEY with $LOCAL_BIN keygen (set BATON_LOCAL_BIN)"
  echo "ssh.sh: made the coordinator key $KEY (give it to baton serve --key)" >&2
}

# On $1: a worker key pair (made there once) and the coordinator's public key $2 in its authorized_keys; prints the
# worker's public key. Z85 has no single quote, so the key is safe inside one.
remote_keys() {
  "$SSH" "$1" "set -e; mkdir -p $REMOTE_KEYS; chmod 700 $REMOTE_KEYS
    [ -f $REMOTE_KEYS/worker.key ] || $BIN keygen $REMOTE_KEYS/worker.key >/dev/null
    touch $REMOTE_KEYS/authorized_keys; grep -qxF '$2' $REMOTE_KEYS/authorized_keys || echo '$2' >>$REMOTE_KEYS/authorized_keys
    cat $REMOTE_KEYS/worker.key.pub" | awk '!/^#([[:space:]]|$)/ && NF { print $1; exit }'
}

start_one() {
  local host=$1 log=/tmp/baton-worker-$PORT.log pid=/tmp/baton-worker-$PORT.pid
  if [ -n "$COPY" ] && [ -z "${COPY_DONE:-}" ]; then "$SCP" -q "$COPY" "$host:$BIN" || die "cannot copy $COPY to $host:$BIN"; fi
  local threads=""; [ -n "$THREADS" ] && threads="--threads $THREADS"
  threads="$threads $EXTRA"
  if [ -n "$INSECURE" ]; then
    threads="$threads --insecure"
  else
    threads="$threads --key $REMOTE_KEYS/worker.key --authorized-keys $REMOTE_KEYS/authorized_keys"
  fi
  # nohup + setsid: the worker outlives the ssh session; the ready line shows it bound its ports.
  "$SSH" "$host" "if [ -f $pid ] && kill -0 \$(cat $pid) 2>/dev/null; then echo 'already running'; exit 0; fi
    rm -f $log; setsid nohup $BIN worker --listen tcp://0.0.0.0:$PORT $threads >$log 2>&1 < /dev/null & echo \$! > $pid
    for i in \$(seq 1 100); do grep -q '^ready ' $log 2>/dev/null && exit 0; sleep 0.1; done
    echo 'worker did not start:' >&2; cat $log >&2; exit 1" >&2 || die "worker on $host failed to start"
}

stop_one() {
  local host=$1 pid=/tmp/baton-worker-$PORT.pid
  "$SSH" "$host" "[ -f $pid ] && kill \$(cat $pid) 2>/dev/null; rm -f $pid" || true
}

command=start
case "${1:-}" in start|stop) command=$1; shift ;; esac
HOSTS=()
while [ $# -gt 0 ]; do
  case "$1" in
    --bin) BIN=$2; shift 2 ;;
    --copy) COPY=$2; shift 2 ;;
    --port) PORT=$2; shift 2 ;;
    --threads) THREADS=$2; shift 2 ;;
    --max-memory) EXTRA="$EXTRA --max-memory $2"; shift 2 ;;
    --cache-dir) EXTRA="$EXTRA --cache-dir $2"; shift 2 ;;
    --poll) EXTRA="$EXTRA --poll $2"; shift 2 ;;
    --key) KEY=$2; shift 2 ;;
    --insecure) INSECURE=1; shift ;;
    -*) die "unknown option $1" ;;
    *) HOSTS+=("$1"); shift ;;
  esac
done
[ ${#HOSTS[@]} -gt 0 ] || die "give one or more hosts (see the top of $0)"

endpoints=""
[ "$command" = start ] && [ -z "$INSECURE" ] && coordinator_key
for host in "${HOSTS[@]}"; do
  if [ "$command" = stop ]; then stop_one "$host"; continue; fi
  pin=""; COPY_DONE=""
  if [ -z "$INSECURE" ]; then
    if [ -n "$COPY" ]; then "$SCP" -q "$COPY" "$host:$BIN" || die "cannot copy $COPY to $host:$BIN"; COPY_DONE=1; fi
    pub=$(remote_keys "$host" "$(public_key "$KEY.pub")") || die "cannot set up keys on $host"
    [ -n "$pub" ] || die "no worker public key from $host"
    pin="#$pub"
  fi
  start_one "$host"
  endpoints="$endpoints${endpoints:+,}tcp://$(address "$host"):$PORT$pin"
done
[ "$command" = start ] && echo "$endpoints"
