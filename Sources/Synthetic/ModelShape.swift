/// The hyper-parameters of a published Llama-family model: what a synthetic model copies so that its tensors have
/// real sizes (memory, bandwidth and split decisions behave as with the real weights).
public struct ModelShape: Sendable, Equatable {
    /// The `--shape` spelling: "135m", "7b".
    public let name: String
    /// The model whose config the numbers come from.
    public let publishedModel: String
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

    public var headDimension: Int { embeddingLength / headCount }
    public var kvDimension: Int { headCountKV * headDimension }
}

extension ModelShape {
    /// From each model's published config.json (Hugging Face). Llama 3.2's rope scaling ("llama3", factor 32) is
    /// not reproduced: Baton does not read it, and it changes no tensor size.
    public static let published: [ModelShape] = [
        //          --shape  model               n_embd head kv  n_ff  layers vocab   ctx     rope theta eps   tied
        ModelShape("135m", "SmolLM2-135M",      576,   9,  3,  1536,  30,  49152,  8192,   100_000, 1e-5, true),
        ModelShape("1b",   "Llama-3.2-1B",      2048, 32,  8,  8192,  16, 128256, 131072,  500_000, 1e-5, true),
        ModelShape("3b",   "Llama-3.2-3B",      3072, 24,  8,  8192,  28, 128256, 131072,  500_000, 1e-5, true),
        ModelShape("7b",   "Llama-2-7B",        4096, 32, 32, 11008,  32,  32000,   4096,   10_000, 1e-5, false),
        ModelShape("13b",  "Llama-2-13B",       5120, 40, 40, 13824,  40,  32000,   4096,   10_000, 1e-5, false),
    ]

    /// The published shape called `name` ("7b"), or nil.
    public static func named(_ name: String) -> ModelShape? {
        published.first { $0.name == name.lowercased() }
    }

    public static var names: [String] { published.map(\.name) }

    private init(_ name: String, _ model: String, _ embd: Int, _ heads: Int, _ kv: Int, _ ff: Int, _ layers: Int,
                 _ vocab: Int, _ context: Int, _ theta: Float, _ eps: Float, _ tied: Bool) {
        self.init(name: name, publishedModel: model, embeddingLength: embd, headCount: heads, headCountKV: kv,
                  feedForwardLength: ff, blockCount: layers, vocabularySize: vocab, contextLength: context,
                  ropeFreqBase: theta, rmsEpsilon: eps, tiedOutput: tied)
    }
}
