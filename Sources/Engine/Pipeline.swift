import Llama

/// The stages of a model, wherever they run. The coordinator's generation loop drives one of these: in-process
/// (`LocalPipeline`) or over the network (the coordinator's remote pipeline). Only token ids go in and only
/// sampled tokens come out.
public protocol Pipeline: Sendable {
    /// Largest batch one step may carry; longer prompts go in several steps.
    var maxBatch: Int { get }
    /// Largest context a session may ask for.
    var maxContext: Int { get }
    func open(_ session: UInt64, options: SessionOptions) async throws
    /// Evaluates `tokens` at the session's next positions. Returns the sampled next token when `sample`
    /// (and prompt log-probabilities when asked), nil otherwise.
    func step(_ session: UInt64, tokens: [Int32], sample: Bool, promptLogprobs: Bool) async throws -> SampledToken?
    /// Evaluates a prompt at the session's next positions, in as many batches as it takes; samples after the
    /// last when `sample`. A pipeline of several processes sends its chunks one behind the other without
    /// waiting, so its stages work on consecutive chunks at once.
    func prefill(_ session: UInt64, tokens: [Int32], sample: Bool) async throws -> SampledToken?
    /// Forgets the session's positions from `position` on, so the next step starts there (prompt scoring re-sends
    /// the last token of a chunk so that its logits score the next chunk's first token).
    func rewind(_ session: UInt64, to position: Int) async throws
    func close(_ session: UInt64) async
}

extension Pipeline {
    /// Batches of at most `maxBatch` tokens, one after the other.
    public func prefill(_ session: UInt64, tokens: [Int32], sample: Bool) async throws -> SampledToken? {
        var start = 0
        var first: SampledToken?
        while start < tokens.count {
            try Task.checkCancellation()
            let end = min(start + maxBatch, tokens.count)
            first = try await step(session, tokens: Array(tokens[start..<end]), sample: sample && end == tokens.count,
                                   promptLogprobs: false)
            start = end
        }
        return first
    }
}

/// All stages in this process, run one after the other. With one stage this is the single-process engine.
public final class LocalPipeline: Pipeline, Sendable {
    public let stages: [StageEngine]

    public init(stages: [StageEngine]) {
        self.stages = stages
    }

    public var maxBatch: Int { stages.map(\.stage.maxBatch).min() ?? 1 }
    public var maxContext: Int { stages.map(\.stage.maxContext).min() ?? 1 }

    public func open(_ session: UInt64, options: SessionOptions) async throws {
        for (i, stage) in stages.enumerated() {
            do { try stage.open(session, options: options) } catch {
                for opened in stages[..<i] { opened.close(session) }
                throw error
            }
        }
    }

    public func step(_ session: UInt64, tokens: [Int32], sample: Bool, promptLogprobs: Bool) async throws -> SampledToken? {
        var hidden: [Float] = []
        for (i, stage) in stages.enumerated() {
            let output = try hidden.withUnsafeBufferPointer { buffer in
                try stage.run(session, i == 0 ? .tokens(tokens) : .hidden(buffer), batchTokens: tokens,
                              sample: sample, promptLogprobs: promptLogprobs)
            }
            switch output {
            case .hidden(let next): hidden = next
            case .token(let token): return token
            case .evaluated: return nil
            }
        }
        return nil
    }

    public func rewind(_ session: UInt64, to position: Int) async throws {
        for stage in stages { try stage.rewind(session, to: position) }
    }

    public func close(_ session: UInt64) async {
        for stage in stages { stage.close(session) }
    }
}
