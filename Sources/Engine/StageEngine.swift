import Kernels
import Llama
import Sampling

/// What a stage returns for one batch: hidden states for the next stage, or — on the last stage — the sampled
/// token (with the log-probabilities asked for). Never the logit vector: it stays where it was computed.
public enum StageOutput: Sendable {
    case hidden([Float])
    case token(SampledToken)
    /// The last stage evaluated a batch that needs no token (a prompt chunk before the last).
    case evaluated
}

public struct SampledToken: Sendable, Equatable {
    public var id: Int32
    public var logprob: Float
    /// The `topLogprobs` most likely tokens at this position, most likely first.
    public var top: [TokenLogprob]
    /// For prompt scoring: the log-probability of each batch token given what precedes it (first is 0).
    public var promptLogprobs: [TokenLogprob]
    /// For prompt scoring: the `topLogprobs` most likely tokens at each batch position (first is empty), so a
    /// client can tell whether each prompt token was the model's greedy choice.
    public var promptTop: [[TokenLogprob]]

    public init(id: Int32, logprob: Float, top: [TokenLogprob] = [], promptLogprobs: [TokenLogprob] = [],
                promptTop: [[TokenLogprob]] = []) {
        self.id = id; self.logprob = logprob; self.top = top; self.promptLogprobs = promptLogprobs
        self.promptTop = promptTop
    }
}

/// How a session is opened on a stage: its context and, on the last stage, how to sample.
public struct SessionOptions: Sendable, Equatable {
    public var contextLength: Int
    public var kvType: KVType
    public var sampler: SamplerParameters
    public var topLogprobs: Int
    /// Whether the sampled tokens' log-probabilities are wanted; without them (and `topLogprobs` 0) the last
    /// stage skips a log-sum-exp over the vocabulary per token, and reports 0.
    public var logprobs: Bool

    public init(contextLength: Int, kvType: KVType = .f16, sampler: SamplerParameters = .greedy, topLogprobs: Int = 0,
                logprobs: Bool = true) {
        self.contextLength = contextLength; self.kvType = kvType; self.sampler = sampler; self.topLogprobs = topLogprobs
        self.logprobs = logprobs
    }
}

public enum StageError: Error, Equatable, CustomStringConvertible {
    case unknownSession(UInt64)
    case sessionExists(UInt64)
    case sessionTwiceInBatch(UInt64)
    case prefixIntoUsedSession(UInt64)
    case tooManySessions(limit: Int)
    case outOfMemory(bytes: Int)
    case contextTooLong(requested: Int, maximum: Int)
    case overBudget(need: StageFootprint, budget: Int)

    public var description: String {
        switch self {
        case .unknownSession(let id): "unknown session \(id): open it first (it may have been closed or the worker restarted)"
        case .sessionExists(let id): "session \(id) is already open"
        case .sessionTwiceInBatch(let id): "session \(id) appears twice in one batch: send its next chunk after the first one"
        case .prefixIntoUsedSession(let id): "session \(id) already holds positions: ReusePrefix comes before its first Forward"
        case .tooManySessions(let limit): "this stage already holds its limit of \(limit) sessions: close one or retry later"
        case .outOfMemory(let bytes): "cannot map \(bytes) bytes for a KV cache"
        case .contextTooLong(let requested, let maximum): "context length \(requested) exceeds this stage's maximum \(maximum)"
        case .overBudget(let need, let budget):
            "the stage needs \(need) but this worker offers \(StageFootprint.format(budget)) (--max-memory): "
                + "\(StageFootprint.format(need.totalBytes - budget)) missing. Give it fewer layers (--split auto plans "
                + "within every budget), a smaller context or fewer sessions"
        }
    }
}

extension StageInput {
    /// The token ids when the input is tokens.
    var tokens: [Int32]? {
        if case .tokens(let tokens) = self { tokens } else { nil }
    }
}
