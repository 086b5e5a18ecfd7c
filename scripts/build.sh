#!/usr/bin/env bash
# Builds the release `baton` binary. Portable by default (baseline x86-64 / arm64); `--native` tunes the math
# for this machine's CPU (AVX2/AVX-512 where present) and is what benchmarks should use.
# Prints the path of the binary on its last line.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "${1:-}" = "--native" ]; then
  swift build -c release --build-path .build-native -Xswiftc -target-cpu -Xswiftc native >&2
  echo "$PWD/.build-native/release/baton"
else
  swift build -c release --build-path .build-release >&2
  echo "$PWD/.build-release/release/baton"
fi
