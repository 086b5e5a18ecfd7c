/// Every GGUF metadata key and tensor name Baton reads or writes, in one table.
/// Architecture-scoped keys are spelled `{arch}.…` in the file (e.g. `llama.block_count`).
public enum GGUFKey {
    public static let architecture = "general.architecture"
    public static let name = "general.name"
    public static let alignment = "general.alignment"
    public static let fileType = "general.file_type"
    public static let quantizationVersion = "general.quantization_version"

    public static func blockCount(_ arch: String) -> String { "\(arch).block_count" }
    public static func contextLength(_ arch: String) -> String { "\(arch).context_length" }
    public static func embeddingLength(_ arch: String) -> String { "\(arch).embedding_length" }
    public static func feedForwardLength(_ arch: String) -> String { "\(arch).feed_forward_length" }
    public static func headCount(_ arch: String) -> String { "\(arch).attention.head_count" }
    public static func headCountKV(_ arch: String) -> String { "\(arch).attention.head_count_kv" }
    public static func rmsEpsilon(_ arch: String) -> String { "\(arch).attention.layer_norm_rms_epsilon" }
    public static func ropeFreqBase(_ arch: String) -> String { "\(arch).rope.freq_base" }
    public static func ropeDimensionCount(_ arch: String) -> String { "\(arch).rope.dimension_count" }
    public static func vocabSize(_ arch: String) -> String { "\(arch).vocab_size" }
    public static func keyLength(_ arch: String) -> String { "\(arch).attention.key_length" }
    public static func valueLength(_ arch: String) -> String { "\(arch).attention.value_length" }
    public static func expertCount(_ arch: String) -> String { "\(arch).expert_count" }
    public static func expertUsedCount(_ arch: String) -> String { "\(arch).expert_used_count" }
    public static func ropeScalingType(_ arch: String) -> String { "\(arch).rope.scaling.type" }
    public static func ropeScalingFactor(_ arch: String) -> String { "\(arch).rope.scaling.factor" }
    /// The older spelling of the linear factor, still read by llama.cpp when `rope.scaling.factor` is absent.
    public static func ropeScaleLinear(_ arch: String) -> String { "\(arch).rope.scale_linear" }
    public static func ropeScalingOriginalContext(_ arch: String) -> String { "\(arch).rope.scaling.original_context_length" }
    public static func ropeScalingAttentionFactor(_ arch: String) -> String { "\(arch).rope.scaling.attn_factor" }
    /// Informational (whether the model was fine-tuned with the scaling); changes no arithmetic.
    public static func ropeScalingFinetuned(_ arch: String) -> String { "\(arch).rope.scaling.finetuned" }

    /// Every tokenizer key starts with this (what a tool copies to give another file the same tokenizer).
    public static let tokenizerPrefix = "tokenizer."
    public static let tokenizerModel = "tokenizer.ggml.model"
    public static let tokenizerPre = "tokenizer.ggml.pre"
    public static let tokens = "tokenizer.ggml.tokens"
    public static let tokenTypes = "tokenizer.ggml.token_type"
    public static let scores = "tokenizer.ggml.scores"
    public static let merges = "tokenizer.ggml.merges"
    public static let bosTokenID = "tokenizer.ggml.bos_token_id"
    public static let eosTokenID = "tokenizer.ggml.eos_token_id"
    public static let eotTokenID = "tokenizer.ggml.eot_token_id"
    public static let eomTokenID = "tokenizer.ggml.eom_token_id"
    public static let unknownTokenID = "tokenizer.ggml.unknown_token_id"
    public static let paddingTokenID = "tokenizer.ggml.padding_token_id"
    public static let fimPrefixTokenID = "tokenizer.ggml.fim_pre_token_id"
    public static let fimSuffixTokenID = "tokenizer.ggml.fim_suf_token_id"
    public static let fimMiddleTokenID = "tokenizer.ggml.fim_mid_token_id"
    public static let fimPadTokenID = "tokenizer.ggml.fim_pad_token_id"
    public static let fimRepoTokenID = "tokenizer.ggml.fim_rep_token_id"
    public static let fimSeparatorTokenID = "tokenizer.ggml.fim_sep_token_id"
    public static let addBOS = "tokenizer.ggml.add_bos_token"
    public static let addEOS = "tokenizer.ggml.add_eos_token"
    public static let addSpacePrefix = "tokenizer.ggml.add_space_prefix"
    public static let chatTemplate = "tokenizer.chat_template"
}

/// Tensor names of the Llama family (llama.cpp's LLM_TENSOR_NAMES).
public enum TensorName {
    public static let tokenEmbedding = "token_embd.weight"
    public static let outputNorm = "output_norm.weight"
    public static let output = "output.weight"
    public static let outputBias = "output.bias"
    /// Llama 3.1+'s per-frequency divisors of the rope angles ([rope_dims / 2], f32), one tensor for all layers.
    public static let ropeFrequencies = "rope_freqs.weight"

    public static func attentionNorm(_ layer: Int) -> String { "blk.\(layer).attn_norm.weight" }
    public static func attentionQ(_ layer: Int) -> String { "blk.\(layer).attn_q.weight" }
    public static func attentionK(_ layer: Int) -> String { "blk.\(layer).attn_k.weight" }
    public static func attentionV(_ layer: Int) -> String { "blk.\(layer).attn_v.weight" }
    public static func attentionOutput(_ layer: Int) -> String { "blk.\(layer).attn_output.weight" }
    public static func ffnNorm(_ layer: Int) -> String { "blk.\(layer).ffn_norm.weight" }
    public static func ffnGate(_ layer: Int) -> String { "blk.\(layer).ffn_gate.weight" }
    public static func ffnUp(_ layer: Int) -> String { "blk.\(layer).ffn_up.weight" }
    public static func ffnDown(_ layer: Int) -> String { "blk.\(layer).ffn_down.weight" }
    /// Qwen 3's per-head RMSNorm weights of Q and K ([head_dim]).
    public static func attentionQNorm(_ layer: Int) -> String { "blk.\(layer).attn_q_norm.weight" }
    public static func attentionKNorm(_ layer: Int) -> String { "blk.\(layer).attn_k_norm.weight" }
    /// The bias of a projection: `bias(attentionQ(5))` is "blk.5.attn_q.bias".
    public static func bias(_ weight: String) -> String {
        weight.hasSuffix(".weight") ? String(weight.dropLast(".weight".count)) + ".bias" : weight + ".bias"
    }

    /// All tensor names of one transformer block, in forward order.
    public static func layer(_ layer: Int) -> [String] {
        [attentionNorm(layer), attentionQ(layer), attentionK(layer), attentionV(layer), attentionOutput(layer),
         ffnNorm(layer), ffnGate(layer), ffnUp(layer), ffnDown(layer)]
    }
}
