#!/usr/bin/env bash
# Runs every test, optimized (numeric code in a debug build is 10-100x slower; @testable needs -enable-testing).
# Multi-process tests start real `baton` workers from this same build, whose `baton quantize` first makes the
# requantized test models (scripts/quantize-test-models.sh, into $BATON_QUANTIZED_DIR or models/quantized).
# Then the service units' checks (scripts/check-units.sh) and every fuzzer for BATON_FUZZ_SECONDS (default 60; 0
# skips them) from the committed corpus (scripts/fuzz.sh). Extra arguments go to `swift test` (e.g. --filter
# GGUFTests); with them, the unit checks and fuzzers are skipped.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -x scripts/gen-proto.sh ]; then
  ./scripts/gen-proto.sh
  git diff --exit-code --stat -- Sources/CBatonProto || { echo "error: generated protobuf-c code is stale: run scripts/gen-proto.sh and commit" >&2; exit 1; }
fi
./scripts/check-imports.sh
FLAGS=(-c release -Xswiftc -enable-testing --build-path .build-test)
swift build "${FLAGS[@]}" --build-tests
# The requantized test models QuantizedReferenceTests needs, made by this build's `baton quantize`.
./scripts/quantize-test-models.sh .build-test/release/baton
# A deadline on the whole run (BATON_TEST_TIMEOUT seconds, default 40 min; a clean run takes ~5 on 2 cores), so a
# hung test fails naming itself instead of stalling CI; every line also goes to .build-test/test-output.log.
log=.build-test/test-output.log
set +e
BATON_BIN="$PWD/.build-test/release/baton" timeout -k 30 "${BATON_TEST_TIMEOUT:-2400}" \
  swift test "${FLAGS[@]}" --skip-build "$@" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
set -e
if [ "$status" = 124 ] || [ "$status" = 137 ]; then
  echo "error: the tests did not finish within ${BATON_TEST_TIMEOUT:-2400} s; the last ones started:" >&2
  grep -E "^(Test Case '.*' started|◇ Test .* started)" "$log" | tail -n 3 >&2
fi
[ "$status" = 0 ] || exit "$status"
if [ "$#" -eq 0 ]; then
  ./scripts/check-units.sh
  fuzz_seconds=${BATON_FUZZ_SECONDS:-60}
  if [ "$fuzz_seconds" != 0 ]; then ./scripts/fuzz.sh "$fuzz_seconds"; fi
fi
