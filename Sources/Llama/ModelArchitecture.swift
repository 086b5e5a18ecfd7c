import GGUF

/// The `general.architecture` values Baton runs, and what each switches on in the one shared layer code
/// (llama.cpp's src/models/{llama,qwen2,qwen3}.cpp).
public enum ModelArchitecture: String, Sendable, CaseIterable {
    case llama, qwen2, qwen3

    /// How rope pairs the values of a head (llama.cpp's llama_model_rope_type).
    public var ropeStyle: RopeStyle {
        switch self {
        case .llama: .adjacentPairs
        case .qwen2, .qwen3: .halves
        }
    }

    /// Q and K each go through a per-head RMSNorm (own weights) before rope.
    public var normsQueryAndKey: Bool { self == .qwen3 }

    /// Which optional bias tensors a layer of this architecture may carry (llama.cpp creates them with
    /// TENSOR_NOT_REQUIRED; any other bias in the file is refused at load).
    var optionalLayerBiases: [(Int) -> String] {
        switch self {
        case .llama:
            [TensorName.attentionQ, TensorName.attentionK, TensorName.attentionV, TensorName.attentionOutput,
             TensorName.ffnGate, TensorName.ffnUp, TensorName.ffnDown]
        case .qwen2, .qwen3:
            [TensorName.attentionQ, TensorName.attentionK, TensorName.attentionV]
        }
    }

    /// Whether the head may carry `output.bias` (Qwen 2 checkpoints may).
    var mayHaveOutputBias: Bool { self == .qwen2 }

    /// Whether Llama 3's `rope_freqs.weight` applies.
    var mayHaveRopeFrequencies: Bool { self == .llama }
}

/// Which values of a head rotate together.
public enum RopeStyle: Sendable {
    /// (x[2i], x[2i+1]): GPT-J / Llama ("normal" in ggml).
    case adjacentPairs
    /// (x[i], x[i + d/2]): GPT-NeoX / Qwen.
    case halves
}
