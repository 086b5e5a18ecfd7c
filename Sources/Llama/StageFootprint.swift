import GGUF

/// The memory a stage needs while serving, computed from the model's tensor table without reading weights:
/// the coordinator plans with it and a worker checks a LoadStage against its budget with it, so both agree.
public struct StageFootprint: Sendable, Equatable, CustomStringConvertible {
    /// The stage's tensors (mapped from the file, all touched at load).
    public var weightBytes: Int
    /// One session's KV cache for the stage's layers at the full context.
    public var kvBytesPerSession: Int
    public var sessions: Int
    /// Activations for the largest batch, the last stage's logits for every row of it, and the runtime.
    public var scratchBytes: Int

    /// What a worker process other than the weights needs regardless of the stage (Swift runtime, ZeroMQ,
    /// thread stacks), measured at ~20 MiB for an idle worker and rounded up.
    public static let processBytes = 48 << 20

    /// Saturating (`Int.max` on overflow): sizes can come from a peer's LoadStage.
    public var kvBytes: Int { saturatingProduct([kvBytesPerSession, sessions]) }
    public var totalBytes: Int { saturatingSum([weightBytes, kvBytes, scratchBytes]) }

    public init(weightBytes: Int, kvBytesPerSession: Int, sessions: Int, scratchBytes: Int) {
        self.weightBytes = weightBytes; self.kvBytesPerSession = kvBytesPerSession
        self.sessions = sessions; self.scratchBytes = scratchBytes
    }

    /// `threads`: the stage's thread pool, each with a row of attention scores over the context.
    public init(file: GGUFFile, config: LlamaConfig, spec: StageSpec, contextLength: Int, sessions: Int,
                kvType: KVType, maxBatch: Int, threads: Int = 1) throws {
        weightBytes = try StageWeights.byteCount(file: file, config: config, spec: spec)
        kvBytesPerSession = KVCache.byteCount(layers: spec.layers.count, capacity: contextLength,
                                              kvDimension: config.kvDimension, type: kvType)
        self.sessions = sessions
        scratchBytes = Self.scratchBytes(config: config, spec: spec, maxBatch: maxBatch, contextLength: contextLength,
                                         threads: threads)
    }

    /// Scratch buffers of `LlamaStage` (see Scratch): B × (2·n_embd + 2·q_dim + 2·kv_dim + 2·n_ff) floats, plus
    /// B × vocab logits on the last stage (prompt scoring asks for every row), plus — on a stage with layers —
    /// threads × context attention scores (given a context; they can outgrow the KV cache of a narrow model), plus
    /// the process itself.
    public static func scratchBytes(config: LlamaConfig, spec: StageSpec, maxBatch: Int, contextLength: Int = 0,
                                    threads: Int = 1) -> Int {
        let perToken = 2 * config.embeddingLength + 2 * config.queryDimension + 2 * config.kvDimension
            + 2 * config.feedForwardLength
        let logits = spec.hasHead ? saturatingProduct([maxBatch, config.vocabularySize]) : 0
        let scores = spec.layers.isEmpty ? 0 : saturatingProduct([threads, contextLength])
        let floats = saturatingSum([saturatingProduct([maxBatch, perToken]), logits, scores])
        return saturatingSum([saturatingProduct([floats, MemoryLayout<Float>.size]), processBytes])
    }

    public var description: String {
        "\(Self.format(totalBytes)) (weights \(Self.format(weightBytes)), KV \(sessions) × \(Self.format(kvBytesPerSession)), "
            + "scratch \(Self.format(scratchBytes)))"
    }

    /// "1.25 GiB", "310 MiB": binary units, as `--max-memory` takes them.
    public static func format(_ bytes: Int) -> String {
        let sign = bytes < 0 ? "-" : "", magnitude = bytes.magnitude
        guard magnitude >= 1 << 30 else { return "\(sign)\((magnitude + (1 << 19)) >> 20) MiB" }
        // Sizes a peer asked for can be near Int.max: the hundredths below must not overflow.
        guard magnitude < 1 << 50 else { return "\(sign)\(magnitude >> 30) GiB" }
        let hundredths = (magnitude * 100 + (1 << 29)) >> 30
        let fraction = hundredths % 100
        return "\(sign)\(hundredths / 100).\(fraction < 10 ? "0" : "")\(fraction) GiB"
    }
}
