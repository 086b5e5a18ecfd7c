#!/usr/bin/env python3
"""Writes Tests/Fixtures/quantized/tensor-types.json: llama-quantize's type for every tensor of three models
under every mix, the oracle for Baton's per-tensor rules (TensorTypeRules). Needs the `gguf` package (PyPI).

  scripts/quant-rule-fixtures.py INPUT.gguf REF_DIR DRY_DIR

- "smollm2": INPUT.gguf is the test model (tensors in its file order); the types are those of the
  llama-quantize outputs REF_DIR/smollm2-TYPE.gguf (Tests/Fixtures/quantized/README.md says how they are made).
- "synth-1b-16", "synth-135m-80": `baton synth --shape 1b --type q4_0 --layers 16` and `--shape 135m --type q4_0
  --layers 80` (a 2048-wide GQA model, so K-quants fit; and 80 blocks with GQA, llama.cpp's "70B" rule), with the
  types llama-quantize --dry-run logs for each mix: DRY_DIR/MODEL.gguf and DRY_DIR/MODEL-TYPE.log from
  `llama-quantize --dry-run --allow-requantize DRY_DIR/MODEL.gguf TYPE 1 > DRY_DIR/MODEL-TYPE.log 2>&1`.
Per model: the hyper-parameters the rules read, the tensors ([name, dims]) in file order, and per mix the types
in that order as one space-separated string.
"""
import json, os, re, sys
from gguf import GGUFReader

REF_TYPES = ["BF16", "IQ4_NL", "IQ4_XS", "Q2_K", "Q3_K_M", "Q4_0", "Q4_K_M", "Q5_0", "Q5_1", "Q5_K_M", "Q6_K", "Q8_0"]
DRY_TYPES = ["Q2_K", "Q3_K_S", "Q3_K_M", "Q3_K_L", "Q4_0", "Q4_1", "Q5_0", "Q5_1", "Q8_0", "Q4_K_S", "Q4_K_M",
             "Q5_K_S", "Q5_K_M", "Q6_K", "IQ4_NL", "IQ4_XS", "F16", "BF16", "F32"]
LINE = re.compile(r"\] (\S+)\s+- \[[^\]]*\], type =\s*(\S+), size =.*?(?:\((\S+)\))?$")

def describe(path):
    r = GGUFReader(path)
    def field(key):
        f = r.fields.get(key)
        return int(f.contents()) if f is not None else None
    facts = {"blockCount": field("llama.block_count"), "headCount": field("llama.attention.head_count"),
             "headCountKV": field("llama.attention.head_count_kv")}
    tensors = [[t.name, [int(d) for d in t.shape]] for t in r.tensors]
    return facts, tensors

def dry_types(log):
    types = {}
    for line in open(log):
        m = LINE.search(line.rstrip())
        if m:
            name, current, new = m.groups()
            types[name] = (new or current).upper()
    return types

def main(inp, ref_dir, dry_dir):
    out = {}
    facts, tensors = describe(inp)
    mixes = {}
    for t in REF_TYPES:
        types = {x.name: x.tensor_type.name for x in GGUFReader(os.path.join(ref_dir, f"smollm2-{t}.gguf")).tensors}
        mixes[t] = " ".join(types[name] for name, _ in tensors)
    out["smollm2"] = {"facts": facts, "tensors": tensors, "types": mixes}
    for model in ["synth-1b-16", "synth-135m-80"]:
        facts, tensors = describe(os.path.join(dry_dir, f"{model}.gguf"))
        mixes = {}
        for t in DRY_TYPES:
            types = dry_types(os.path.join(dry_dir, f"{model}-{t}.log"))
            mixes[t] = " ".join(types[name] for name, _ in tensors)
        out[model] = {"facts": facts, "tensors": tensors, "types": mixes}
    path = "Tests/Fixtures/quantized/tensor-types.json"
    with open(path, "w") as f:
        json.dump(out, f, separators=(",", ":"))
        f.write("\n")
    print(path, os.path.getsize(path), "bytes")

if __name__ == "__main__":
    main(*sys.argv[1:4])
