import GGUF
import Llama

/// A model's memory by layer, from its tensor table (no weights are read), so a planner can price any
/// contiguous layer range in O(1): weights, KV caches for the configured context and sessions, scratch.
public struct ModelFootprint: Sendable {
    public let config: LlamaConfig
    public let contextLength: Int
    public let sessions: Int
    public let kvType: KVType
    public let maxBatch: Int
    /// weightPrefix[i] = bytes of layers 0..<i.
    private let weightPrefix: [Int]
    private let embeddingBytes: Int
    private let headBytes: Int
    /// Tensors every stage holds whatever its layers (rope frequency factors).
    private let sharedBytes: Int
    /// Whether the head is the token embedding (then a one-stage plan holds it once).
    private let tied: Bool

    public init(file: GGUFFile, config: LlamaConfig, contextLength: Int, sessions: Int, kvType: KVType = .f16,
                maxBatch: Int = 256) throws {
        self.config = config
        self.contextLength = contextLength
        self.sessions = sessions
        self.kvType = kvType
        self.maxBatch = maxBatch
        func bytes(_ layers: Range<Int>, embedding: Bool = false, head: Bool = false) throws -> Int {
            try StageWeights.byteCount(file: file, config: config,
                                       spec: StageSpec(layers: layers, hasEmbedding: embedding, hasHead: head))
        }
        let shared = try bytes(0..<0)
        var prefix = [0]
        for layer in 0..<config.blockCount { prefix.append(prefix[layer] + (try bytes(layer..<(layer + 1))) - shared) }
        weightPrefix = prefix
        sharedBytes = shared
        embeddingBytes = try bytes(0..<0, embedding: true) - shared
        headBytes = try bytes(0..<0, head: true) - shared
        tied = file.tensorsByName[TensorName.output] == nil
    }

    public var layerCount: Int { config.blockCount }

    /// The footprint of stage `index` of `count` holding `layers`, on a worker of `threads` threads (each holds a
    /// row of attention scores over the context), as that worker counts it when the LoadStage arrives.
    public func stage(_ layers: Range<Int>, index: Int, of count: Int, threads: Int = 1) -> StageFootprint {
        let spec = StageSpec(layers: layers, hasEmbedding: index == 0, hasHead: index == count - 1)
        var weights = weightPrefix[layers.upperBound] - weightPrefix[layers.lowerBound] + sharedBytes
        if spec.hasEmbedding { weights += embeddingBytes }
        if spec.hasHead { weights += headBytes }
        if spec.hasEmbedding && spec.hasHead && tied { weights -= embeddingBytes }   // one tensor serves both
        return StageFootprint(
            weightBytes: weights,
            kvBytesPerSession: KVCache.byteCount(layers: layers.count, capacity: contextLength,
                                                 kvDimension: config.kvDimension, type: kvType),
            sessions: sessions,
            scratchBytes: StageFootprint.scratchBytes(config: config, spec: spec, maxBatch: maxBatch,
                                                      contextLength: contextLength, threads: threads))
    }
}
