#!/usr/bin/env bash
# Checks that the module graph in Package.swift's header is the real one: for every module under Sources/, the
# set of modules its files import (besides the platform's) equals the header's line for it. Run by test.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
platform='^(Glibc|Darwin|Musl|Foundation|Dispatch|Synchronization)$'
# "//   Name ← A, B," lines, with "//   (spaces) C, D" continuation lines, up to `import PackageDescription`.
declared=$(awk '/^import PackageDescription/ { exit }
  /^\/\/   [A-Za-z]+ +←/ { sub(/^\/\/ +/, ""); name = $1; sub(/^[A-Za-z]+ +← */, ""); deps[name] = $0; order[++n] = name; next }
  /^\/\/      +[A-Za-z]/ && name != "" { sub(/^\/\/ +/, ""); deps[name] = deps[name] " " $0; next }
  { name = "" }
  END { for (i = 1; i <= n; i++) print order[i] ":" deps[order[i]] }' Package.swift)
status=0
for dir in Sources/*/; do
  module=$(basename "$dir")
  ls "$dir"*.swift >/dev/null 2>&1 || ls "$dir"**/*.swift >/dev/null 2>&1 || continue   # C targets
  actual=$(grep -rhoE '^(@_exported )?import [A-Za-z_]+' "$dir" --include='*.swift' | awk '{ print $NF }' \
    | grep -vE "$platform" | sort -u | paste -sd, - || true)
  line=$(printf '%s\n' "$declared" | awk -F: -v m="$module" '$1 == m { print $2 }')
  if ! printf '%s\n' "$declared" | grep -q "^$module:"; then
    echo "error: Package.swift's header has no line for $module (it imports: ${actual:-nothing})" >&2; status=1; continue
  fi
  wanted=$(printf '%s' "$line" | sed 's/([^)]*)//g' | tr ', ' '\n\n' | grep -v '^$' | sort -u | paste -sd, - || true)
  if [ "$actual" != "$wanted" ]; then
    echo "error: $module imports {$actual} but Package.swift's header says {$wanted}: fix one of them" >&2; status=1
  fi
done
exit $status
