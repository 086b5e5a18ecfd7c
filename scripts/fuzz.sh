#!/usr/bin/env bash
# Builds the libFuzzer harnesses (Fuzz/: Envelope decoding and a worker's dispatch, the GGUF parser and loaders,
# the HTTP request decoders) with -sanitize=fuzzer in a build path of their own (.build-fuzz) and runs each for
# SECONDS (default 60; Envelope until 1.2 M inputs, at most 5 × SECONDS) from the committed corpus
# Fuzz/Corpus/NAME, printing the inputs each executed. Inputs
# libFuzzer finds interesting go to .build-fuzz/corpus/NAME, never into the repository. A crash, a trap or an input
# slower than 10 s fails the script and leaves the input in .build-fuzz/findings/NAME/: commit it to
# Fuzz/Corpus/NAME as crash-<what> with the fix and a regression test (FuzzTests replays the corpus).
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-60}
if [ "$(uname -s)" != Linux ]; then
  echo "fuzz: libFuzzer (-sanitize=fuzzer) needs Linux: skipped"
  exit 0
fi
build=.build-fuzz
# Package.swift adds the fuzzer executables only with BATON_FUZZ=1 (they have no main of their own).
export BATON_FUZZ=1
FLAGS=(-c release --build-path "$build" -Xswiftc -sanitize=fuzzer -Xswiftc -use-ld=lld)
for target in EnvelopeFuzzer GGUFFuzzer HTTPFuzzer; do
  swift build "${FLAGS[@]}" --product "$target"
done
export BATON_FUZZ_SCRATCH="$build/scratch"
rm -rf "$BATON_FUZZ_SCRATCH" && mkdir -p "$BATON_FUZZ_SCRATCH"
failed=0
for pair in envelope:EnvelopeFuzzer gguf:GGUFFuzzer http:HTTPFuzzer; do
  name=${pair%%:*} target=${pair#*:}
  mkdir -p "$build/corpus/$name" "$build/findings/$name"
  log="$build/fuzz-$name.log"
  # The Envelope harness (everything a peer can send) runs for at least ENVELOPE_INPUTS inputs, however slow the
  # machine, within 5 × SECONDS; the others for SECONDS.
  limit=(-max_total_time="$seconds")
  [ "$name" = envelope ] && limit=(-runs="${ENVELOPE_INPUTS:-1200000}" -max_total_time="$((seconds * 5))")
  started=$(date +%s)
  # timeout: libFuzzer stops itself after max_total_time; this only bounds a harness that hangs on exit.
  if timeout -k 10 "$((seconds * 5 + 120))" "$build/release/$target" "${limit[@]}" -timeout=10 -rss_limit_mb=4096 -print_final_stats=1 \
       -artifact_prefix="$build/findings/$name/" "$build/corpus/$name" "Fuzz/Corpus/$name" >"$log" 2>&1; then
    status=ok
  else
    status=FAILED failed=1
    tail -n 60 "$log" >&2
  fi
  execs=$(awk '/stat::number_of_executed_units/ { print $2 }' "$log")
  rate=$(awk '/stat::average_exec_per_sec/ { print $2 }' "$log")
  echo "fuzz: $name: ${execs:-?} inputs in $(($(date +%s) - started)) s (${rate:-?}/s): $status (log: $log)"
done
rm -rf "$BATON_FUZZ_SCRATCH"
[ "$failed" = 0 ] || { echo "fuzz: a harness found a crash: its input is in $build/findings/" >&2; exit 1; }
