#!/usr/bin/env bash
# Makes the requantized test models QuantizedReferenceTests (LlamaTests) compares with llama.cpp's greedy runs:
# `baton quantize` of the test model to every type that has a Tests/Fixtures/quantized/greedy-TYPE.json, into
# $BATON_QUANTIZED_DIR (default models/quantized, git-ignored) as smollm2-TYPE.gguf. baton quantize writes
# llama-quantize's exact bytes, so each file is checked against Tests/Fixtures/quantized/outputs.txt; a file
# already there with the right size and sha256 is kept (about 1.3 GB in all, ~40 s at 2 threads).
#   scripts/quantize-test-models.sh [BATON_BINARY]     (default .build-test/release/baton, what test.sh builds)
set -euo pipefail
cd "$(dirname "$0")/.."
BATON=${1:-.build-test/release/baton}
MODEL=models/SmolLM2-135M-Instruct.Q4_1.gguf
DIR=${BATON_QUANTIZED_DIR:-models/quantized}
REFS=Tests/Fixtures/quantized
[ -f "$MODEL" ] || { echo "quantize-test-models: no $MODEL (scripts/fetch-model.sh); QuantizedReferenceTests will skip" >&2; exit 0; }
mkdir -p "$DIR"
grep -v '^#' "$REFS/outputs.txt" | while read -r type bytes sum; do
  [ -f "$REFS/greedy-$type.json" ] || continue
  out="$DIR/smollm2-$type.gguf"
  if [ -f "$out" ] && [ "$(stat -L -c %s "$out")" = "$bytes" ] && [ "$(sha256sum < "$out" | cut -d' ' -f1)" = "$sum" ]; then
    continue
  fi
  "$BATON" quantize "$MODEL" "$out" "$type"
  got=$(sha256sum < "$out" | cut -d' ' -f1)
  [ "$got" = "$sum" ] || { echo "error: $out has sha256 $got, llama-quantize's is $sum" >&2; exit 1; }
done
