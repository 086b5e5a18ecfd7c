# Shared by the deploy scripts (sourced, not run).

# Stops every process whose pid is in DIR/*.pid (removing the files) and waits up to 5 s for them to exit.
stop_pidfiles() {
  local pids="" pidfile pid alive
  for pidfile in "$1"/*.pid; do
    [ -f "$pidfile" ] || continue
    pids="$pids $(cat "$pidfile")"
    rm -f "$pidfile"
  done
  for pid in $pids; do kill "$pid" 2>/dev/null || true; done
  for _ in $(seq 1 50); do
    alive=""; for pid in $pids; do kill -0 "$pid" 2>/dev/null && alive=1; done
    [ -z "$alive" ] && return 0
    sleep 0.1
  done
}

# The public key in a `baton keygen` .pub file (its first line that is not a "# " comment).
public_key() {
  awk '!/^#([[:space:]]|$)/ && NF { print $1; exit }' "$1"
}
