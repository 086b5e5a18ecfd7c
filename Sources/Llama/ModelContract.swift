import GGUF

/// What a GGUF may contain for Baton to compute exactly what llama.cpp computes. Anything outside it — a key under
/// `{arch}.` that changes the arithmetic, a tensor no step reads — is refused at load with its name, because
/// ignoring it would give a model that loads and quietly computes something else.
enum ModelContract {
    /// `{arch}.` keys the engine reads (LlamaConfig), plus those that are informational.
    static func knownKeys(_ a: String) -> Set<String> {
        [GGUFKey.blockCount(a), GGUFKey.contextLength(a), GGUFKey.embeddingLength(a), GGUFKey.feedForwardLength(a),
         GGUFKey.headCount(a), GGUFKey.headCountKV(a), GGUFKey.rmsEpsilon(a), GGUFKey.keyLength(a),
         GGUFKey.valueLength(a), GGUFKey.ropeFreqBase(a), GGUFKey.ropeDimensionCount(a), GGUFKey.vocabSize(a),
         GGUFKey.ropeScalingType(a), GGUFKey.ropeScalingFactor(a), GGUFKey.ropeScaleLinear(a),
         GGUFKey.ropeScalingOriginalContext(a), GGUFKey.ropeScalingAttentionFactor(a),
         GGUFKey.ropeScalingFinetuned(a), GGUFKey.expertCount(a), GGUFKey.expertUsedCount(a)]
    }

    static func checkKeys(_ gguf: GGUFFile, architecture: ModelArchitecture) throws {
        let a = architecture.rawValue, known = knownKeys(a)
        for key in gguf.metadataKeys where key.hasPrefix(a + ".") && !known.contains(key) {
            throw LlamaError.unsupportedKey(key)
        }
        // Mixture-of-experts files of these architectures declare their experts; Baton runs dense layers only.
        for key in [GGUFKey.expertCount(a), GGUFKey.expertUsedCount(a)] {
            if let n = try gguf.optional(key, gguf.int), n != 0 {
                throw LlamaError.unsupportedValue(key: key, value: "\(n)", why: "Baton runs dense (non-MoE) models")
            }
        }
    }

    /// Every tensor in the file is one the model reads; the required ones are checked where they are loaded.
    static func checkTensors(_ gguf: GGUFFile, config: LlamaConfig) throws {
        // Each layer has at least 9 tensors: a block count beyond that cannot be real (and must not size a list).
        guard config.blockCount <= gguf.tensors.count / TensorName.layer(0).count else {
            throw LlamaError.invalidConfig("block_count \(config.blockCount) but the file holds only \(gguf.tensors.count) tensors")
        }
        let used = Set(ModelTensors(config: config, file: gguf).all)
        for tensor in gguf.tensors where !used.contains(tensor.name) {
            throw LlamaError.unusedTensor(tensor.name, architecture: config.architecture.rawValue)
        }
    }
}

/// The names of the tensors a model of `config` reads from `file`: required ones always, optional ones (untied
/// head, biases, rope frequency factors) where the file has them.
public struct ModelTensors: Sendable {
    public let config: LlamaConfig
    private let present: Set<String>

    public init(config: LlamaConfig, file: GGUFFile) {
        self.config = config
        present = Set(file.tensorsByName.keys)
    }

    /// Whether the head reuses the token embedding (no `output.weight`).
    public var tiedOutput: Bool { !present.contains(TensorName.output) }

    public func has(_ name: String) -> Bool { present.contains(name) }

    /// The tensors of layer `i`, required first, in forward order.
    public func layer(_ i: Int) -> [String] {
        var names = TensorName.layer(i)
        if config.architecture.normsQueryAndKey {
            names += [TensorName.attentionQNorm(i), TensorName.attentionKNorm(i)]
        }
        names += config.architecture.optionalLayerBiases.map { TensorName.bias($0(i)) }.filter(has)
        return names
    }

    /// Tensors every stage needs whatever its layers (rope frequency factors).
    public var shared: [String] {
        config.architecture.mayHaveRopeFrequencies && has(TensorName.ropeFrequencies) ? [TensorName.ropeFrequencies] : []
    }

    /// The head's tensors besides the embedding: norm, untied output, its bias.
    public var head: [String] {
        var names = [TensorName.outputNorm]
        if !tiedOutput { names.append(TensorName.output) }
        if config.architecture.mayHaveOutputBias, has(TensorName.outputBias) { names.append(TensorName.outputBias) }
        return names
    }

    /// Every tensor of the whole model.
    public var all: [String] {
        [TensorName.tokenEmbedding] + shared + (0..<config.blockCount).flatMap(layer) + head
    }
}
