import GGUF

/// Hyper-parameters of a Llama-family model, read from GGUF metadata and checked for consistency.
public struct LlamaConfig: Sendable, Equatable {
    public var architecture: String
    public var blockCount: Int
    public var embeddingLength: Int     // n_embd
    public var headCount: Int           // n_head
    public var headCountKV: Int         // n_head_kv (grouped-query attention when < n_head)
    public var feedForwardLength: Int   // n_ff
    public var vocabularySize: Int
    public var contextLength: Int       // training context
    public var ropeFreqBase: Float
    public var ropeDimensions: Int
    public var rmsEpsilon: Float

    public var headDimension: Int { embeddingLength / headCount }
    public var kvDimension: Int { headCountKV * headDimension }

    public init(architecture: String = "llama", blockCount: Int, embeddingLength: Int, headCount: Int, headCountKV: Int,
                feedForwardLength: Int, vocabularySize: Int, contextLength: Int, ropeFreqBase: Float = 10000,
                ropeDimensions: Int? = nil, rmsEpsilon: Float = 1e-5) throws {
        self.architecture = architecture
        self.blockCount = blockCount
        self.embeddingLength = embeddingLength
        self.headCount = headCount
        self.headCountKV = headCountKV
        self.feedForwardLength = feedForwardLength
        self.vocabularySize = vocabularySize
        self.contextLength = contextLength
        self.ropeFreqBase = ropeFreqBase
        self.ropeDimensions = ropeDimensions ?? embeddingLength / max(headCount, 1)
        self.rmsEpsilon = rmsEpsilon
        try validate()
    }

    public init(gguf: GGUFFile) throws {
        let arch = try gguf.string(GGUFKey.architecture)
        guard arch == "llama" else { throw LlamaError.unsupportedArchitecture(arch) }
        let heads = try gguf.positiveInt(GGUFKey.headCount(arch))
        let embd = try gguf.positiveInt(GGUFKey.embeddingLength(arch))
        let vocab = try gguf.optional(GGUFKey.vocabSize(arch), gguf.positiveInt)
            ?? gguf.stringArray(GGUFKey.tokens).count
        try self.init(
            architecture: arch,
            blockCount: gguf.positiveInt(GGUFKey.blockCount(arch)),
            embeddingLength: embd,
            headCount: heads,
            headCountKV: gguf.optional(GGUFKey.headCountKV(arch), gguf.positiveInt) ?? heads,
            feedForwardLength: gguf.positiveInt(GGUFKey.feedForwardLength(arch)),
            vocabularySize: vocab,
            contextLength: gguf.positiveInt(GGUFKey.contextLength(arch)),
            ropeFreqBase: Float(gguf.optional(GGUFKey.ropeFreqBase(arch), gguf.double) ?? 10000),
            ropeDimensions: gguf.optional(GGUFKey.ropeDimensionCount(arch), gguf.positiveInt),
            rmsEpsilon: Float(gguf.optional(GGUFKey.rmsEpsilon(arch), gguf.double) ?? 1e-5))
    }

    private func validate() throws {
        func check(_ ok: Bool, _ why: @autoclosure () -> String) throws {
            if !ok { throw LlamaError.invalidConfig(why()) }
        }
        try check(blockCount > 0 && embeddingLength > 0 && headCount > 0 && headCountKV > 0 && feedForwardLength > 0
                  && vocabularySize > 0 && contextLength > 0, "every size must be positive")
        try check(embeddingLength % headCount == 0, "n_embd \(embeddingLength) is not divisible by n_head \(headCount)")
        try check(headCount % headCountKV == 0, "n_head \(headCount) is not a multiple of n_head_kv \(headCountKV)")
        // The attention kernel keeps a head in registers or a fixed buffer; published Llamas use 64–128.
        try check(headDimension <= 512, "head dimension \(headDimension) is above the 512 Baton's attention supports")
        try check(ropeDimensions > 0 && ropeDimensions <= headDimension && ropeDimensions % 2 == 0,
                  "rope dimension count \(ropeDimensions) must be even and at most the head dimension \(headDimension)")
        try check(ropeFreqBase.isFinite && ropeFreqBase > 0, "rope freq base \(ropeFreqBase) must be positive")
        try check(rmsEpsilon.isFinite && rmsEpsilon > 0, "rms epsilon \(rmsEpsilon) must be positive")
    }
}
