#!/usr/bin/env bash
# Checks the service units in deploy/systemd: `systemd-analyze verify` passes and `systemd-analyze security
# --offline=yes` rates each at most 3.0 (its --threshold is in tenths). verify needs ExecStart's binary to exist,
# so it checks copies whose /usr/local/bin/baton is BIN (default /bin/true); the rating reads the files as they
# are. Skipped, saying so, where systemd-analyze is missing.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v systemd-analyze >/dev/null; then
  echo "check-units: systemd-analyze not found: skipped"
  exit 0
fi
bin=${1:-/bin/true}
units=(baton-coordinator.service baton-worker@.service)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for unit in "${units[@]}"; do sed "s#/usr/local/bin/baton#$bin#g" "deploy/systemd/$unit" > "$tmp/$unit"; done
cp "$tmp/baton-worker@.service" "$tmp/baton-worker@7101.service"   # a template is verified as an instance
systemd-analyze verify "$tmp/baton-coordinator.service" "$tmp/baton-worker@7101.service"
for unit in "${units[@]}"; do
  systemd-analyze security --offline=yes --threshold=30 "deploy/systemd/$unit" | tail -1
done
echo "check-units: both units verify and rate at most 3.0"
