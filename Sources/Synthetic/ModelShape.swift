#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The hyper-parameters of a published Llama-family model: what a synthetic model copies so that its tensors have
/// real sizes (memory, bandwidth and split decisions behave as with the real weights) and its layers the family's
/// switches (biases, Q/K norms, rope layout and frequency factors).
public struct ModelShape: Sendable, Equatable {
    /// The `--shape` spelling: "135m", "qwen3-0.6b".
    public let name: String
    /// The model whose config the numbers come from.
    public let publishedModel: String
    /// `general.architecture`: "llama", "qwen2" or "qwen3".
    public let architecture: String
    public let embeddingLength: Int     // hidden_size
    public let headCount: Int           // num_attention_heads
    public let headCountKV: Int         // num_key_value_heads
    public let feedForwardLength: Int   // intermediate_size
    public let blockCount: Int          // num_hidden_layers
    public let vocabularySize: Int      // vocab_size as published (the file may use more: see SyntheticSpec)
    public let contextLength: Int       // max_position_embeddings
    public let ropeFreqBase: Float      // rope_theta
    public let rmsEpsilon: Float        // rms_norm_eps
    /// Whether the output head is the token embedding (tie_word_embeddings): no `output.weight` tensor.
    public let tiedOutput: Bool
    /// head_dim where the config sets it apart from hidden_size / heads (Qwen 3).
    public let explicitHeadDimension: Int?
    /// Llama 3.1+'s rope_scaling {"rope_type": "llama3"}: written as `rope_freqs.weight`.
    public let llama3Rope: Llama3Rope?

    public var headDimension: Int { explicitHeadDimension ?? embeddingLength / headCount }
    public var queryDimension: Int { headCount * headDimension }
    public var kvDimension: Int { headCountKV * headDimension }
    /// Qwen 2 has Q/K/V biases; Qwen 3 per-head RMSNorm on Q and K.
    public var hasQKVBias: Bool { architecture == "qwen2" }
    public var hasQKNorm: Bool { architecture == "qwen3" }
}

/// Llama 3.1's rope frequency scaling, as convert_hf_to_gguf.py turns it into per-frequency divisors.
public struct Llama3Rope: Sendable, Equatable {
    public var factor: Double = 8, lowFrequencyFactor: Double = 1, highFrequencyFactor: Double = 4
    public var originalContext: Double = 8192

    /// One divisor per rotated pair: 1 for short wavelengths, `factor` for long ones, smooth between.
    public func frequencyFactors(headDimension d: Int, base: Float) -> [Float] {
        let lowWavelength = originalContext / lowFrequencyFactor, highWavelength = originalContext / highFrequencyFactor
        return stride(from: 0, to: d, by: 2).map { i in
            let frequency = 1 / pow(Double(base), Double(i) / Double(d))
            let wavelength = 2 * Double.pi / frequency
            if wavelength < highWavelength { return 1 }
            if wavelength > lowWavelength { return Float(factor) }
            let smooth = (originalContext / wavelength - lowFrequencyFactor) / (highFrequencyFactor - lowFrequencyFactor)
            return Float(1 / ((1 - smooth) / factor + smooth))
        }
    }
}

extension ModelShape {
    /// From each model's published config.json (Hugging Face).
    public static let published: [ModelShape] = [
        //          --shape  model               n_embd head kv  n_ff  layers vocab   ctx     rope theta eps   tied
        ModelShape("135m", "SmolLM2-135M",      576,   9,  3,  1536,  30,  49152,  8192,   100_000, 1e-5, true),
        ModelShape("1b",   "Llama-3.2-1B",      2048, 32,  8,  8192,  16, 128256, 131072,  500_000, 1e-5, true,
                   rope: Llama3Rope(factor: 32)),
        ModelShape("3b",   "Llama-3.2-3B",      3072, 24,  8,  8192,  28, 128256, 131072,  500_000, 1e-5, true,
                   rope: Llama3Rope(factor: 32)),
        ModelShape("8b",   "Llama-3.1-8B",      4096, 32,  8, 14336,  32, 128256, 131072,  500_000, 1e-5, false,
                   rope: Llama3Rope()),
        ModelShape("70b",  "Llama-3.1-70B",     8192, 64,  8, 28672,  80, 128256, 131072,  500_000, 1e-5, false,
                   rope: Llama3Rope()),
        ModelShape("7b",   "Llama-2-7B",        4096, 32, 32, 11008,  32,  32000,   4096,   10_000, 1e-5, false),
        ModelShape("13b",  "Llama-2-13B",       5120, 40, 40, 13824,  40,  32000,   4096,   10_000, 1e-5, false),
        ModelShape("mistral-7b", "Mistral-7B-v0.1", 4096, 32, 8, 14336, 32, 32000, 32768,  10_000, 1e-5, false),
        ModelShape("qwen2.5-0.5b", "Qwen2.5-0.5B",  896, 14, 2,  4864,  24, 151936, 32768, 1_000_000, 1e-6, true,
                   architecture: "qwen2"),
        ModelShape("qwen2.5-7b", "Qwen2.5-7B",     3584, 28, 4, 18944,  28, 152064, 32768, 1_000_000, 1e-6, false,
                   architecture: "qwen2"),
        ModelShape("qwen3-0.6b", "Qwen3-0.6B",     1024, 16, 8,  3072,  28, 151936, 40960, 1_000_000, 1e-6, true,
                   architecture: "qwen3", headDimension: 128),
        ModelShape("qwen3-8b", "Qwen3-8B",         4096, 32, 8, 12288,  36, 151936, 40960, 1_000_000, 1e-6, false,
                   architecture: "qwen3", headDimension: 128),
    ]

    /// The published shape called `name` ("7b"), or nil.
    public static func named(_ name: String) -> ModelShape? {
        published.first { $0.name == name.lowercased() }
    }

    public static var names: [String] { published.map(\.name) }

    private init(_ name: String, _ model: String, _ embd: Int, _ heads: Int, _ kv: Int, _ ff: Int, _ layers: Int,
                 _ vocab: Int, _ context: Int, _ theta: Float, _ eps: Float, _ tied: Bool,
                 architecture: String = "llama", headDimension: Int? = nil, rope: Llama3Rope? = nil) {
        self.init(name: name, publishedModel: model, architecture: architecture, embeddingLength: embd,
                  headCount: heads, headCountKV: kv, feedForwardLength: ff, blockCount: layers, vocabularySize: vocab,
                  contextLength: context, ropeFreqBase: theta, rmsEpsilon: eps, tiedOutput: tied,
                  explicitHeadDimension: headDimension, llama3Rope: rope)
    }
}
