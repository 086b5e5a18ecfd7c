#!/usr/bin/env python3
"""Writes Tests/Fixtures/formats/: two rows of one tensor in every weight format, as llama.cpp's llama-quantize
wrote them, with their values dequantized by the `gguf` package (gguf-py, PyPI) — an oracle outside Baton for
each format's block layout and quantizer.

  scripts/format-fixtures.py DIR     (DIR holds f32.gguf and pure-TYPE.gguf, made as the README there says)

Per TYPE: TYPE.bin (the two rows' bytes), TYPE.f32 (gguf.quants.dequantize of them, little-endian f32);
source.f32: the same two rows of f32.gguf, the quantizer's input.
"""
import hashlib, json, os, sys
import numpy as np
from gguf import GGUFReader
from gguf.quants import dequantize

TENSOR, ROWS = "blk.0.ffn_down.weight", 2
TYPES = ["F16", "BF16", "Q4_0", "Q4_1", "Q5_0", "Q5_1", "Q8_0", "IQ4_NL", "Q2_K", "Q3_K", "Q4_K", "Q5_K", "Q6_K", "IQ4_XS"]

def rows(path):
    t = next(t for t in GGUFReader(path).tensors if t.name == TENSOR)
    raw = np.asarray(t.data).view(np.uint8).reshape(t.shape[-1] if len(t.shape) > 1 else 1, -1)
    return t.tensor_type, raw[:ROWS].copy()

def main(src, out):
    os.makedirs(out, exist_ok=True)
    sums = {}
    _, f32 = rows(os.path.join(src, "f32.gguf"))
    f32.tofile(os.path.join(out, "source.f32"))
    for name in TYPES:
        path = os.path.join(src, f"pure-{name}.gguf")
        qtype, raw = rows(path)
        assert qtype.name == name, (name, qtype.name)
        raw.tofile(os.path.join(out, f"{name}.bin"))
        dequantize(raw, qtype).astype("<f4").tofile(os.path.join(out, f"{name}.f32"))
        sums[name] = hashlib.sha256(open(path, "rb").read()).hexdigest()
    json.dump({"tensor": TENSOR, "rows": ROWS, "cols": int(f32.size // 4 // ROWS), "source_sha256": sums}, open(os.path.join(out, "index.json"), "w"), indent=1)

if __name__ == "__main__":
    main(sys.argv[1], os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "Tests", "Fixtures", "formats"))
