import Kernels

/// What llama.cpp's mix rules read from a model besides tensor names and shapes (llama_hparams).
public struct ModelFacts: Sendable, Equatable {
    /// n_layer_all: the block count (the ffn counters' denominator).
    public var blockCount: Int
    public var headCount: Int
    public var headCountKV: Int
    public var expertCount: Int

    public init(blockCount: Int, headCount: Int, headCountKV: Int, expertCount: Int = 0) {
        (self.blockCount, self.headCount, self.headCountKV, self.expertCount) = (blockCount, headCount, headCountKV, expertCount)
    }

    /// n_gqa(): query heads per KV head (0 without KV heads).
    var gqa: Int { headCountKV > 0 ? headCount / headCountKV : 0 }
    /// LLM_TYPE_70B for the llama architecture: 80 blocks with grouped-query attention.
    var is70B: Bool { blockCount == 80 && headCount != headCountKV }
}

/// One tensor as the rules see it: its name and ggml dims (row length first).
public struct TensorShape: Sendable, Equatable {
    public let name: String
    public let dims: [Int]
    public init(name: String, dims: [Int]) { (self.name, self.dims) = (name, dims) }
}

/// llama-quantize's choice of each tensor's type for a mix (llama_tensor_get_type and its helpers in
/// llama-quant.cpp, for the llama architecture and the file types of `LlamaFileType`): the one place Baton
/// decides it, used by `baton quantize` and `baton synth`. Branches for mixes Baton cannot write (IQ1/IQ2/IQ3,
/// TQ, MXFP4, Q2_K_S, imatrix-only rules) are left out; everything else follows llama.cpp line by line.
public enum TensorTypeRules {
    /// The type of each of `tensors` (same order), nil for a tensor llama-quantize copies unchanged (1-D
    /// tensors, norms, …). `pure` is llama-quantize's --pure: every matrix the default type, shape fallbacks
    /// still applied. The counters of the "more bits" rules run in llama.cpp's tensor order, whatever the
    /// order given.
    public static func choose(_ tensors: [TensorShape], fileType: LlamaFileType, pure: Bool = false,
                              facts: ModelFacts) throws -> [WeightFormat?] {
        var state = State(fileType: fileType, facts: facts, tensors: tensors)
        var result = [WeightFormat?](repeating: nil, count: tensors.count)
        for index in tensors.indices.sorted(by: { llamaOrder(tensors[$0].name, tensors[$1].name) }) {
            let tensor = tensors[index]
            guard allowsQuantization(name: tensor.name, dims: tensor.dims) else { continue }
            var format = fileType.defaultFormat
            if fileType.quantizesByBlocks {
                if !pure { format = try state.mixFormat(tensor, TensorCategory(name: tensor.name)) }
                format = fallback(format, cols: tensor.dims.first ?? 0)
            }
            result[index] = format
        }
        return result
    }

    /// tensor_type_fallback: a row that is not a whole number of the type's blocks takes a type with smaller
    /// blocks, and F16 when even that does not fit.
    static func fallback(_ format: WeightFormat, cols: Int) -> WeightFormat {
        guard cols % format.blockSize != 0 else { return format }
        let smaller: WeightFormat = switch format {
        case .iq4_xs: .iq4_nl
        case .q2_K, .q3_K: .q4_0
        case .q4_K: .q5_0
        case .q5_K: .q5_1
        case .q6_K: .q8_0
        default: format  // already 32-wide blocks
        }
        return cols % smaller.blockSize == 0 ? smaller : .f16
    }

    /// use_more_bits: the first and last eighth of the layers, and every third one in between.
    static func usesMoreBits(_ layer: Int, _ layers: Int) -> Bool {
        layer < layers / 8 || layer >= 7 * layers / 8 || (layer - layers / 8) % 3 == 2
    }
}

/// quantize_state_impl: the running counters of llama_tensor_get_type_impl.
private struct State {
    let fileType: LlamaFileType
    let facts: ModelFacts
    let attentionVCount: Int
    /// Whether token_embd is also the output head (no output.weight): it then gets the head's type.
    let tiedEmbeddings: Bool
    var attentionV = 0, ffnDown = 0, ffnGate = 0, ffnUp = 0

    init(fileType: LlamaFileType, facts: ModelFacts, tensors: [TensorShape]) {
        (self.fileType, self.facts) = (fileType, facts)
        attentionVCount = tensors.filter { TensorCategory(name: $0.name).isAttentionV }.count
        tiedEmbeddings = !tensors.contains { TensorCategory(name: $0.name) == .output }
    }

    /// llama_tensor_get_type_impl for the llama architecture (never Falcon).
    mutating func mixFormat(_ tensor: TensorShape, _ category: TensorCategory) throws -> WeightFormat {
        let t = fileType, base = t.defaultFormat, experts = facts.expertCount
        if category == .output || (tiedEmbeddings && category == .tokenEmbedding) {
            if (tensor.dims.first ?? 0) % base.blockSize != 0 { return .q8_0 }
            return base == .q8_0 ? .q8_0 : .q6_K
        }
        switch category {
        case .attentionV, .attentionQKV, .attentionKVB:
            defer { attentionV += 1 }
            var format = base
            if t == .q2_K { format = facts.gqa >= 4 ? .q4_K : .q3_K }
            else if t == .q3_K_M { format = attentionV < 2 ? .q5_K : .q4_K }
            else if t == .q3_K_L { format = .q5_K }
            else if (t == .iq4_nl || t == .iq4_xs) && facts.gqa >= 4 { format = .q5_K }
            else if (t == .q4_K_M || t == .q5_K_M) && TensorTypeRules.usesMoreBits(attentionV, attentionVCount) { format = .q6_K }
            else if t == .q4_K_S && attentionV < 4 { format = .q5_K }
            // 70B: eight query heads share each value head, so the small attn_v gets more bits cheaply.
            if facts.is70B && (format == .q3_K || format == .q4_K) { format = .q5_K }
            if experts == 8 { format = .q8_0 }
            return format
        case .attentionK:
            return experts == 8 ? .q8_0 : base
        case .ffnDown:
            defer { ffnDown += 1 }
            let (layer, layers) = try layerInfo(ffnDown, tensor.name)
            if t == .q2_K { return .q3_K }
            if t == .q3_K_M { return layer < layers / 16 ? .q5_K : .q4_K }
            if t == .q3_K_L { return .q5_K }
            if t == .q4_K_M { return TensorTypeRules.usesMoreBits(layer, layers) ? .q6_K : base }
            if layer < layers / 8 && (t == .iq4_nl || t == .iq4_xs) { return .q5_K }
            if t == .q5_K_M && TensorTypeRules.usesMoreBits(layer, layers) { return .q6_K }
            if t == .q4_K_S && layer < layers / 8 { return .q5_K }
            return base
        case .attentionOutput:
            if experts == 8 {
                return [.q2_K, .q3_K_S, .q3_K_M, .iq4_nl, .q4_K_S, .q4_K_M, .iq4_xs].contains(t) ? .q5_K : base
            }
            return t == .q2_K ? .q3_K : t == .q3_K_M ? .q4_K : t == .q3_K_L ? .q5_K : base
        case .ffnGate:
            // Only IQ3_XS changes these; the layer is still checked as llama.cpp does.
            defer { ffnGate += 1 }
            _ = try layerInfo(ffnGate, tensor.name)
            return base
        case .ffnUp:
            defer { ffnUp += 1 }
            _ = try layerInfo(ffnUp, tensor.name)
            return base
        case .tokenEmbedding, .attentionQ, .output, .other:
            return base
        }
    }

    /// The layer a counted tensor belongs to: the counter itself, except in mixture-of-experts models, whose
    /// expert tensors are not consecutive, so the layer comes from the name.
    private func layerInfo(_ counter: Int, _ name: String) throws -> (Int, Int) {
        guard facts.expertCount > 1 else { return (counter, facts.blockCount) }
        guard let layer = layerNumber(name), (0..<facts.blockCount).contains(layer) else {
            throw QuantizationError.badLayer(tensor: name, blockCount: facts.blockCount)
        }
        return (layer, facts.blockCount)
    }
}
