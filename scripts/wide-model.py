#!/usr/bin/env python3
"""Writes the small wide llama model `WideModelTests` (QuantizationTests) builds itself, byte for byte, so that
llama-quantize can be run on it: rows 256 and 768 wide (every K-quant fits), 8 blocks, 16 query heads per 4 KV
heads, an untied head; f32 weights from SplitMix64 (exact in any language), norms 1.

  scripts/wide-model.py OUT.gguf
  for T in Q2_K Q3_K_S …; do llama-quantize --allow-requantize OUT.gguf ref-$T.gguf $T 1; done   (→ wide-outputs.txt)
"""
import struct, sys
import numpy as np

E, F, V, L, H, KV = 256, 768, 512, 8, 16, 4

def tensors():
    yield "token_embd.weight", [E, V]
    for i in range(L):
        yield f"blk.{i}.attn_norm.weight", [E]
        yield f"blk.{i}.attn_q.weight", [E, E]
        yield f"blk.{i}.attn_k.weight", [E, E * KV // H]
        yield f"blk.{i}.attn_v.weight", [E, E * KV // H]
        yield f"blk.{i}.attn_output.weight", [E, E]
        yield f"blk.{i}.ffn_norm.weight", [E]
        yield f"blk.{i}.ffn_gate.weight", [E, F]
        yield f"blk.{i}.ffn_up.weight", [E, F]
        yield f"blk.{i}.ffn_down.weight", [F, E]
    yield "output_norm.weight", [E]
    yield "output.weight", [E, V]

def splitmix(first, count):
    """SplitMix64 outputs number first+1 … first+count, as f32 in [-1/16, 1/16): (z >> 40) - 2^23, times 2^-27."""
    with np.errstate(over="ignore"):
        z = (np.arange(first + 1, first + count + 1, dtype=np.uint64) * np.uint64(0x9E3779B97F4A7C15))
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        z = z ^ (z >> np.uint64(31))
    return ((z >> np.uint64(40)).astype(np.float32) - np.float32(1 << 23)) * np.float32(2.0 ** -27)

def string(s):
    b = s.encode()
    return struct.pack("<Q", len(b)) + b

def main(path):
    kv = [("general.architecture", 8, string("llama"))]
    for key, value in [("block_count", L), ("context_length", 256), ("embedding_length", E),
                       ("feed_forward_length", F), ("attention.head_count", H), ("attention.head_count_kv", KV)]:
        kv.append((f"llama.{key}", 4, struct.pack("<I", value)))
    kv.append(("llama.attention.layer_norm_rms_epsilon", 6, struct.pack("<f", 1e-5)))
    kv.append(("general.file_type", 4, struct.pack("<I", 0)))
    ts = list(tensors())
    out = b"GGUF" + struct.pack("<IQQ", 3, len(ts), len(kv))
    for key, typ, value in kv:
        out += string(key) + struct.pack("<I", typ) + value
    offset, data, drawn = 0, b"", 0
    for name, dims in ts:
        out += string(name) + struct.pack("<I", len(dims)) + b"".join(struct.pack("<Q", d) for d in dims)
        out += struct.pack("<IQ", 0, offset)
        n = int(np.prod(dims))
        if name.endswith("norm.weight"):
            values = np.ones(n, np.float32)
        else:
            values = splitmix(drawn, n)
            drawn += n
        blob = values.astype("<f4").tobytes()
        data += blob + b"\0" * (-len(blob) % 32)
        end, offset = offset + len(blob), offset + len(blob) + (-len(blob) % 32)
    out += b"\0" * (-len(out) % 32)
    data = data[:end]  # no padding after the last tensor
    open(path, "wb").write(out + data)

if __name__ == "__main__":
    main(sys.argv[1])
