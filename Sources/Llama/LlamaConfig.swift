import GGUF

/// Hyper-parameters of a Llama-family model, read from GGUF metadata and checked for consistency.
public struct LlamaConfig: Sendable, Equatable {
    public var architecture: ModelArchitecture
    public var blockCount: Int
    public var embeddingLength: Int     // n_embd
    public var headCount: Int           // n_head
    public var headCountKV: Int         // n_head_kv (grouped-query attention when < n_head)
    public var headDimension: Int       // n_embd_head_k (= n_embd / n_head unless attention.key_length says)
    public var feedForwardLength: Int   // n_ff
    public var vocabularySize: Int
    public var contextLength: Int       // training context
    public var ropeFreqBase: Float
    public var ropeDimensions: Int      // n_rot
    public var ropeScaling: RopeScaling
    /// `rope.scaling.attn_factor`: an extra factor on the rope magnitude (1 unless the file says).
    public var ropeAttentionFactor: Float
    public var rmsEpsilon: Float

    /// Width of all query heads together (n_head × head_dim): the rows of wq, the columns of wo.
    public var queryDimension: Int { headCount * headDimension }
    public var kvDimension: Int { headCountKV * headDimension }
    /// The longest context the model's positions are valid for: the training context, or what its scaling covers.
    public var validContext: Int { ropeScaling.validContext(trainingContext: contextLength) }

    public init(architecture: ModelArchitecture = .llama, blockCount: Int, embeddingLength: Int, headCount: Int,
                headCountKV: Int, headDimension: Int? = nil, feedForwardLength: Int, vocabularySize: Int,
                contextLength: Int, ropeFreqBase: Float = 10000, ropeDimensions: Int? = nil,
                ropeScaling: RopeScaling = .none, ropeAttentionFactor: Float = 1, rmsEpsilon: Float = 1e-5) throws {
        self.architecture = architecture
        self.blockCount = blockCount
        self.embeddingLength = embeddingLength
        self.headCount = headCount
        self.headCountKV = headCountKV
        self.headDimension = headDimension ?? embeddingLength / max(headCount, 1)
        self.feedForwardLength = feedForwardLength
        self.vocabularySize = vocabularySize
        self.contextLength = contextLength
        self.ropeFreqBase = ropeFreqBase
        self.ropeDimensions = ropeDimensions ?? self.headDimension
        self.ropeScaling = ropeScaling
        self.ropeAttentionFactor = ropeAttentionFactor
        self.rmsEpsilon = rmsEpsilon
        try validate()
    }

    /// The rope constants for this model, as llama.cpp derives them.
    var ropeConstants: RopeConstants {
        RopeConstants(base: ropeFreqBase, dimensions: ropeDimensions, scaling: ropeScaling,
                      trainingContext: contextLength, attentionFactor: ropeAttentionFactor)
    }

    /// The same model with the user's rope scaling instead of the file's (llama.cpp's --rope-scaling override).
    public func overridingRopeScaling(_ scaling: RopeScaling) throws -> LlamaConfig {
        var config = self
        config.ropeScaling = scaling
        try config.validate()
        return config
    }

    /// Refuses a context the model's positions do not cover, naming both numbers and the way out.
    public func checkContext(_ requested: Int) throws {
        guard requested > validContext else { return }
        throw LlamaError.contextBeyondTraining(requested: requested, trained: validContext, scaling: ropeScaling)
    }

    func validate() throws {
        func check(_ ok: Bool, _ why: @autoclosure () -> String) throws {
            if !ok { throw LlamaError.invalidConfig(why()) }
        }
        try check(blockCount > 0 && embeddingLength > 0 && headCount > 0 && headCountKV > 0 && feedForwardLength > 0
                  && vocabularySize > 0 && contextLength > 0 && headDimension > 0, "every size must be positive")
        try check(headCount % headCountKV == 0, "n_head \(headCount) is not a multiple of n_head_kv \(headCountKV)")
        // The attention kernel keeps a head in registers or a fixed buffer; published Llamas use 64–128.
        try check(headDimension <= 512, "head dimension \(headDimension) is above the 512 Baton's attention supports")
        try check(!headCount.multipliedReportingOverflow(by: headDimension).overflow, "n_head × head_dim overflows")
        try check(ropeDimensions > 0 && ropeDimensions <= headDimension && ropeDimensions % 2 == 0,
                  "rope dimension count \(ropeDimensions) must be even and at most the head dimension \(headDimension)")
        try check(ropeFreqBase.isFinite && ropeFreqBase > 0, "rope freq base \(ropeFreqBase) must be positive")
        try check(ropeAttentionFactor.isFinite && ropeAttentionFactor > 0,
                  "rope.scaling.attn_factor \(ropeAttentionFactor) must be positive")
        switch ropeScaling {
        case .none: break
        case .linear(let f): try check(f.isFinite && f > 0, "rope scaling factor \(f) must be positive")
        case .yarn(let f, let n):
            try check(f.isFinite && f >= 1, "yarn scaling factor \(f) must be at least 1")
            try check(n > 0, "rope.scaling.original_context_length \(n) must be positive")
        }
        try check(rmsEpsilon.isFinite && rmsEpsilon > 0, "rms epsilon \(rmsEpsilon) must be positive")
    }
}
