import GGUF
import Kernels

/// The weight type of a synthetic model's matrices (token embedding and output head included; norms stay f32,
/// as in real GGUF files).
public enum SyntheticType: String, Sendable, CaseIterable {
    case q4_0, q4_1, q8_0, f16

    public var ggmlType: GGMLType {
        switch self {
        case .q4_0: .q4_0
        case .q4_1: .q4_1
        case .q8_0: .q8_0
        case .f16: .f16
        }
    }

    var weightFormat: WeightFormat {
        switch self {
        case .q4_0: .q4_0
        case .q4_1: .q4_1
        case .q8_0: .q8_0
        case .f16: .f16
        }
    }

    /// llama.cpp's `general.file_type` (llama_ftype: MOSTLY_F16 = 1, MOSTLY_Q4_0 = 2, MOSTLY_Q4_1 = 3, MOSTLY_Q8_0 = 7).
    var fileType: UInt32 {
        switch self {
        case .f16: 1
        case .q4_0: 2
        case .q4_1: 3
        case .q8_0: 7
        }
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
        var name = "Baton synthetic llama \(shape.name) \(type.rawValue) seed \(seed) (random weights"
        if blockCount != shape.blockCount { name += ", \(blockCount) of \(shape.blockCount) layers" }
        if vocab != shape.vocabularySize { name += ", vocab \(vocab) instead of \(shape.publishedModel)'s \(shape.vocabularySize)" }
        return name + "; shape of \(shape.publishedModel))"
    }
}
