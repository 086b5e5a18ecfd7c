import GGUF

extension LlamaConfig {
    /// Reads the configuration from a GGUF header and enforces the model contract (`ModelContract`): an
    /// architecture, metadata key or tensor that would change the arithmetic and that Baton does not implement is
    /// refused here, naming it, rather than silently ignored.
    public init(gguf: GGUFFile) throws {
        let name = try gguf.string(GGUFKey.architecture)
        guard let arch = ModelArchitecture(rawValue: name) else {
            throw LlamaError.unsupportedArchitecture(name)
        }
        try ModelContract.checkKeys(gguf, architecture: arch)
        let a = arch.rawValue
        let heads = try gguf.positiveInt(GGUFKey.headCount(a))
        let embd = try gguf.positiveInt(GGUFKey.embeddingLength(a))
        let keyLength = try gguf.optional(GGUFKey.keyLength(a), gguf.positiveInt)
        let valueLength = try gguf.optional(GGUFKey.valueLength(a), gguf.positiveInt)
        if let keyLength, let valueLength, keyLength != valueLength {
            throw LlamaError.unsupportedValue(key: GGUFKey.valueLength(a), value: "\(valueLength)",
                                              why: "Baton needs keys and values of one head width (\(keyLength))")
        }
        let vocab = try gguf.optional(GGUFKey.vocabSize(a), gguf.positiveInt) ?? gguf.stringArray(GGUFKey.tokens).count
        let context = try gguf.positiveInt(GGUFKey.contextLength(a))
        try self.init(
            architecture: arch,
            blockCount: gguf.positiveInt(GGUFKey.blockCount(a)),
            embeddingLength: embd,
            headCount: heads,
            headCountKV: gguf.optional(GGUFKey.headCountKV(a), gguf.positiveInt) ?? heads,
            headDimension: keyLength ?? valueLength,
            feedForwardLength: gguf.positiveInt(GGUFKey.feedForwardLength(a)),
            vocabularySize: vocab,
            contextLength: context,
            ropeFreqBase: Float(gguf.optional(GGUFKey.ropeFreqBase(a), gguf.double) ?? 10000),
            ropeDimensions: gguf.optional(GGUFKey.ropeDimensionCount(a), gguf.positiveInt),
            ropeScaling: Self.ropeScaling(gguf, architecture: a, trainingContext: context),
            ropeAttentionFactor: Float(gguf.optional(GGUFKey.ropeScalingAttentionFactor(a), gguf.double) ?? 1),
            rmsEpsilon: Float(gguf.optional(GGUFKey.rmsEpsilon(a), gguf.double) ?? 1e-5))
        try ModelContract.checkTensors(gguf, config: self)
    }

    /// `rope.scaling.type` (llama.cpp's default when absent is "linear" — with no factor, which is no scaling).
    private static func ropeScaling(_ gguf: GGUFFile, architecture a: String, trainingContext: Int) throws -> RopeScaling {
        let type = try gguf.optional(GGUFKey.ropeScalingType(a), gguf.string) ?? "linear"
        let factor = try gguf.optional(GGUFKey.ropeScalingFactor(a), gguf.double)
            ?? gguf.optional(GGUFKey.ropeScaleLinear(a), gguf.double) ?? 0
        guard RopeScaling.names.contains(type) else {
            throw LlamaError.unsupportedValue(key: GGUFKey.ropeScalingType(a), value: type,
                                              why: "Baton implements \(RopeScaling.names.joined(separator: ", "))")
        }
        // A factor of 0 (absent) means 1, as llama.cpp's rope_freq_scale_train does.
        return try RopeScaling(name: type, factor: Float(factor == 0 ? 1 : factor),
                               originalContext: gguf.optional(GGUFKey.ropeScalingOriginalContext(a), gguf.positiveInt),
                               trainingContext: trainingContext)
    }
}
