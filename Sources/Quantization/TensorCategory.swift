/// llama-quant.cpp's tensor_category: what a tensor is, as far as the mix rules care, from its name alone
/// (substring tests in llama.cpp's order, so e.g. `ffn_up_exps` is an ffn_up).
enum TensorCategory: Sendable, Equatable {
    case tokenEmbedding, attentionQ, attentionV, attentionK, attentionQKV, attentionKVB, attentionOutput
    case ffnUp, ffnGate, ffnDown, output, other

    init(name: String) {
        if name == "output.weight" { self = .output; return }
        if name == "token_embd.weight" || name == "per_layer_token_embd.weight" { self = .tokenEmbedding; return }
        let bySubstring: [(String, TensorCategory)] = [
            ("attn_qkv.weight", .attentionQKV), ("attn_kv_b.weight", .attentionKVB), ("attn_v.weight", .attentionV),
            ("attn_k.weight", .attentionK), ("attn_q.weight", .attentionQ), ("attn_output.weight", .attentionOutput),
            ("ffn_up", .ffnUp), ("ffn_gate", .ffnGate), ("ffn_down", .ffnDown),
        ]
        self = bySubstring.first { name.contains($0.0) }?.1 ?? .other
    }

    /// category_is_attn_v: the value-like projections, which get more bits.
    var isAttentionV: Bool { self == .attentionV || self == .attentionQKV || self == .attentionKVB }
}

/// tensor_allows_quantization for a llama-architecture file: 2-D and 3-D weights only, never norms, expert
/// routers or the small special-purpose tensors llama.cpp lists by name. Anything else is copied unchanged.
func allowsQuantization(name: String, dims: [Int]) -> Bool {
    guard significantDimensions(dims) >= 2, name.hasSuffix("weight") else { return false }
    if name == "position_embd.weight" || name == "token_types.weight" { return false }
    return !neverQuantized.contains { name.contains($0) }
}

/// Name parts llama.cpp never quantizes (norms, MoE routers, RWKV/Mamba/T5 and multimodal extras).
private let neverQuantized = [
    "_norm.weight", "ffn_gate_inp.weight", "ffn_gate_tid2eid.weight", "altup", "laurel", "per_layer_model_proj",
    "ssm_conv1d", "shortconv.conv.weight", "indexer.k_proj.weight", "indexer.q_proj.weight",
    "time_mix_first.weight", "time_mix_w0.weight", "time_mix_w1.weight", "time_mix_w2.weight",
    "time_mix_v0.weight", "time_mix_v1.weight", "time_mix_v2.weight", "time_mix_a0.weight", "time_mix_a1.weight",
    "time_mix_a2.weight", "time_mix_g1.weight", "time_mix_g2.weight", "time_mix_decay_w1.weight",
    "time_mix_decay_w2.weight", "time_mix_lerp_fused.weight", "attn_rel_b.weight", ".position_embd",
    "sam.pos_embd", "sam.neck.", "sam.net_", ".rel_pos", ".patch_embd", ".patch_merger", "a.rvq.codebook",
    "mm.a.code_embd",
]

/// ggml_n_dims: dimensions up to the last one that is not 1 (at least one).
func significantDimensions(_ dims: [Int]) -> Int {
    (dims.lastIndex { $0 != 1 } ?? 0) + 1
}

/// The layer of a `blk.N.…` tensor as llama.cpp reads it (sscanf "blk.%d."), nil for the others.
func layerNumber(_ name: String) -> Int? {
    guard name.hasPrefix("blk.") else { return nil }
    var rest = name.dropFirst(4), sign = 1
    if let first = rest.first, first == "-" || first == "+" { sign = first == "-" ? -1 : 1; rest = rest.dropFirst() }
    let digits = rest.prefix { $0.isASCII && $0.isNumber }
    return Int(digits).map { sign * $0 }
}

/// llama_model_loader's weight_name_comparer, the order llama-quantize writes and counts tensors in: tensors
/// outside the blocks first, then block by block in numeric order, by name (bytewise) within each.
func llamaOrder(_ a: String, _ b: String) -> Bool {
    let la = layerNumber(a) ?? -1, lb = layerNumber(b) ?? -1
    if la != lb { return la < lb }
    return a.utf8.lexicographicallyPrecedes(b.utf8)
}
