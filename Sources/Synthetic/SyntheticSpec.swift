import GGUF
import Kernels
import Quantization

/// The weight type of a synthetic model's matrices (norms stay f32, as in real GGUF files): one registry format
/// for every matrix (`q4_k`, `iq4_nl`, `bf16`, …, any format Baton can quantize; llama-quantize's --pure), or one
/// of llama-quantize's K mixes (`q4_k_m`, `q3_k_s`, …), whose per-tensor formats come from the same rules
/// `baton quantize` applies (`TensorTypeRules`): a Q6_K head, "more bits" attn_v / ffn_down layers, and so on.
public struct SyntheticType: Sendable, Equatable, RawRepresentable {
    public let rawValue: String
    /// The llama-quantize file type: its rules pick each matrix's format, and it is `general.file_type`.
    public let fileType: LlamaFileType
    /// Every matrix in the file type's default format (llama-quantize --pure), shape fallbacks aside.
    let pure: Bool

    /// The format of most matrices.
    public var base: WeightFormat { fileType.defaultFormat }

    public init?(rawValue: String) {
        let name = rawValue.lowercased()
        if let format = WeightFormat.allCases.first(where: { $0.description.lowercased() == name && $0.traits.canQuantize }) {
            self.init(format)
        } else if let mix = Self.mixes.first(where: { $0.description.lowercased() == name }) {
            self.init(mix: mix)
        } else {
            return nil
        }
    }

    /// Every matrix in `format`.
    public init(_ format: WeightFormat) {
        (rawValue, fileType, pure) = (format.description.lowercased(), LlamaFileType(pure: format), true)
    }

    public static let f16 = SyntheticType(.f16), q4_0 = SyntheticType(.q4_0), q4_1 = SyntheticType(.q4_1)
    public static let q8_0 = SyntheticType(.q8_0)
    public static let q4_K_M = SyntheticType(mix: .q4_K_M)

    private init(mix: LlamaFileType) {
        (rawValue, fileType, pure) = (mix.description.lowercased(), mix, false)
    }

    /// The mixes whose names are not a single format's (Q6_K, Q4_0, … name the pure formats here).
    private static let mixes = LlamaFileType.allCases.filter { type in
        !WeightFormat.allCases.contains { $0.description == type.description }
    }

    public static var allCases: [SyntheticType] {
        (WeightFormat.allCases.filter { $0 != .f32 && $0.traits.canQuantize }.map { $0.description.lowercased() }
            + mixes.map { $0.description.lowercased() }).compactMap(SyntheticType.init(rawValue:))
    }
}

/// What to write: a published shape, a weight type, a seed, and optionally fewer (or more) layers.
/// The same spec (and tokenizer) always gives the same bytes.
public struct SyntheticSpec: Sendable, Equatable {
    public var shape: ModelShape
    public var type: SyntheticType
    public var seed: UInt64
    /// Transformer blocks in the file: the published count unless overridden (small tests).
    public var blockCount: Int
    /// `context_length` to write instead of the published one (with a scaling: the original, unscaled length).
    public var contextLength: Int?
    /// A rope scaling to declare (`rope.scaling.*`), as a context-extended checkpoint's config does.
    public var ropeScaling: SyntheticRopeScaling?

    public init(shape: ModelShape, type: SyntheticType, seed: UInt64 = 1, layers: Int? = nil) throws {
        if let layers, !(1...Self.maxLayers).contains(layers) {
            throw SyntheticError.invalidLayerCount(layers, limit: Self.maxLayers)
        }
        self.shape = shape
        self.type = type
        self.seed = seed
        self.blockCount = layers ?? shape.blockCount
    }

    /// More blocks than any Llama has; a guard against typos that would fill the disk.
    public static let maxLayers = 512

    /// The vocabulary the file has: the published one, or the tokenizer's when that is larger (a model must be
    /// able to emit every token its tokenizer can produce; 7b/13b publish 32000 but SmolLM2's tokenizer has 49152).
    public func vocabularySize(tokenizerSize: Int) -> Int { max(shape.vocabularySize, tokenizerSize) }

    /// `general.name`: says plainly that the weights are random, and where the vocabulary differs from the
    /// published one.
    public func generalName(tokenizerSize: Int) -> String {
        let vocab = vocabularySize(tokenizerSize: tokenizerSize)
        var name = "Baton synthetic \(shape.architecture) \(shape.name) \(type.rawValue) seed \(seed) (random weights"
        if blockCount != shape.blockCount { name += ", \(blockCount) of \(shape.blockCount) layers" }
        if vocab != shape.vocabularySize { name += ", vocab \(vocab) instead of \(shape.publishedModel)'s \(shape.vocabularySize)" }
        return name + "; shape of \(shape.publishedModel))"
    }
}

/// `rope_scaling` of a context-extended checkpoint: its type ("linear" or "yarn") and factor; the original context
/// is the file's `context_length`.
public struct SyntheticRopeScaling: Sendable, Equatable {
    public var type: String
    public var factor: Float

    public static let types = ["linear", "yarn"]

    public init(type: String, factor: Float) throws {
        guard Self.types.contains(type) else { throw SyntheticError.invalidRopeScaling("unknown type '\(type)': choose linear or yarn") }
        guard factor.isFinite && factor >= 1 else { throw SyntheticError.invalidRopeScaling("factor \(factor) must be at least 1") }
        self.type = type
        self.factor = factor
    }
}
