import GGUF
import Kernels

/// The weight type of a synthetic model's matrices (norms stay f32, as in real GGUF files): one registry format
/// for every matrix (`q4_k`, `iq4_nl`, `bf16`, …, any format Baton can quantize), or one of llama-quantize's
/// K mixes (`q4_k_m`, `q5_k_m`), which give the output head, half the value projections and half the ffn_down
/// matrices Q6_K, as llama.cpp's llama_tensor_get_type does.
public struct SyntheticType: Sendable, Equatable, RawRepresentable {
    public let rawValue: String
    /// The format of most matrices.
    public let base: WeightFormat
    /// K mixes: the format of the output head and of the "more bits" attn_v / ffn_down layers.
    let promoted: WeightFormat?

    public init?(rawValue: String) {
        let name = rawValue.lowercased()
        if let base = Self.mixes[name] {
            self.init(mix: name, base: base)
        } else if let format = WeightFormat.allCases.first(where: { $0.description.lowercased() == name && $0.traits.canQuantize }) {
            self.init(format)
        } else {
            return nil
        }
    }

    /// Every matrix in `format`.
    public init(_ format: WeightFormat) {
        (rawValue, base, promoted) = (format.description.lowercased(), format, nil)
    }

    private init(mix name: String, base: WeightFormat) {
        (rawValue, self.base, promoted) = (name, base, .q6_K)
    }

    public static let f16 = SyntheticType(.f16), q4_0 = SyntheticType(.q4_0), q4_1 = SyntheticType(.q4_1)
    public static let q8_0 = SyntheticType(.q8_0), q4_K_M = SyntheticType(mix: "q4_k_m", base: .q4_K)

    private static let mixes: [String: WeightFormat] = ["q4_k_m": .q4_K, "q5_k_m": .q5_K]

    public static var allCases: [SyntheticType] {
        (WeightFormat.allCases.filter { $0 != .f32 && $0.traits.canQuantize }.map { $0.description.lowercased() }
            + mixes.keys.sorted()).compactMap(SyntheticType.init(rawValue:))
    }

    /// The format of a matrix: `role` is its tensor kind, `layer` its block (nil for embedding and head).
    /// Rows that are not a whole number of super-blocks fall back as llama-quantize does.
    func format(role: MatrixRole, layer: Int?, layers: Int, cols: Int) -> WeightFormat {
        var format = base
        if let promoted {
            switch role {
            case .output: format = promoted
            case .attentionV, .ffnDown: if let layer, Self.usesMoreBits(layer, layers) { format = promoted }
            case .other: break
            }
        }
        guard cols % format.blockSize != 0 else { return format }
        switch format {
        case .q4_K: return .q5_0
        case .q5_K: return .q5_1
        case .q6_K: return .q8_0
        default: return .iq4_nl  // Q2_K, Q3_K, IQ4_XS
        }
    }

    /// llama.cpp's use_more_bits: the first and last eighth of the layers, and every third in between.
    static func usesMoreBits(_ layer: Int, _ layers: Int) -> Bool {
        layer < layers / 8 || layer >= 7 * layers / 8 || (layer - layers / 8) % 3 == 2
    }

    /// llama.cpp's `general.file_type` (llama_ftype, "mostly" this type).
    var fileType: UInt32 {
        if rawValue == "q4_k_m" { return 15 }
        if rawValue == "q5_k_m" { return 17 }
        switch base {
        case .f32: return 0
        case .f16: return 1
        case .q4_0: return 2
        case .q4_1: return 3
        case .q8_0: return 7
        case .q5_0: return 8
        case .q5_1: return 9
        case .q2_K: return 10
        case .q3_K: return 11
        case .q4_K: return 14
        case .q5_K: return 16
        case .q6_K: return 18
        case .iq4_nl: return 25
        case .iq4_xs: return 30
        case .bf16: return 32
        }
    }
}

/// What a matrix is, as far as the K mixes care.
enum MatrixRole: Sendable, Equatable { case output, attentionV, ffnDown, other }

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
