#!/usr/bin/env bash
# Starts one `baton worker` on each host over ssh and prints the --workers argument for the coordinator.
#
#   deploy/ssh.sh [start] [--bin REMOTE_BATON] [--copy LOCAL_BATON] [--port 7101] [--threads N]
#                 [--max-memory SIZE] [--cache-dir DIR] [--poll MS] HOST...
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
# Then, on the coordinator machine:
#   baton serve -m /models/m.gguf --workers "$(deploy/ssh.sh host1 host2)" --host 0.0.0.0
set -euo pipefail

BIN=baton
COPY=""
PORT=7101
THREADS=""
EXTRA=""
SSH=${SSH:-ssh}
SCP=${SCP:-scp}

die() { echo "ssh.sh: $*" >&2; exit 1; }

# The address part of an ssh destination: user@host → host (ssh config aliases resolve on the remote side
# of the coordinator too only if they are real names: pass addresses when in doubt).
address() { local h=${1#*@}; echo "${h%%:*}"; }

start_one() {
  local host=$1 log=/tmp/baton-worker-$PORT.log pid=/tmp/baton-worker-$PORT.pid
  if [ -n "$COPY" ]; then "$SCP" -q "$COPY" "$host:$BIN" || die "cannot copy $COPY to $host:$BIN"; fi
  local threads=""; [ -n "$THREADS" ] && threads="--threads $THREADS"
  threads="$threads $EXTRA"
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
    -*) die "unknown option $1" ;;
    *) HOSTS+=("$1"); shift ;;
  esac
done
[ ${#HOSTS[@]} -gt 0 ] || die "give one or more hosts (see the top of $0)"

endpoints=""
for host in "${HOSTS[@]}"; do
  if [ "$command" = stop ]; then stop_one "$host"; continue; fi
  start_one "$host"
  endpoints="$endpoints${endpoints:+,}tcp://$(address "$host"):$PORT"
done
[ "$command" = start ] && echo "$endpoints"
