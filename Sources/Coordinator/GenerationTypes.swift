import Sampling
import Engine

/// One completion to run: prompt token ids, how many tokens at most, and how to sample them.
public struct GenerationRequest: Sendable {
    public var prompt: [Int32]
    public var maxTokens: Int
    public var sampler: SamplerParameters
    /// How many most-likely alternatives to report per generated token (0: none).
    public var topLogprobs: Int
    /// Context for this session; nil = the pipeline's maximum.
    public var contextLength: Int?
    /// Score every prompt token (log-probability given its prefix, with `topLogprobs` alternatives): echo.
    public var promptLogprobs = false
    /// Whether the generated tokens' log-probabilities are wanted (`topLogprobs` > 0 implies it); without them the
    /// last stage does not compute them and `GeneratedToken.logprob` is 0.
    public var logprobs = true
    /// Whether control tokens contribute their text to the output (llama.cpp's CLI does; llama-server does not).
    public var renderSpecialTokens = true

    public init(prompt: [Int32], maxTokens: Int, sampler: SamplerParameters = .greedy, topLogprobs: Int = 0,
                contextLength: Int? = nil) {
        self.prompt = prompt; self.maxTokens = maxTokens; self.sampler = sampler
        self.topLogprobs = topLogprobs; self.contextLength = contextLength
    }
}

/// What the caller's token callback decides after each generated token.
public enum TokenVerdict: Sendable {
    case proceed
    /// End the generation now with finish reason `stop` (e.g. a stop string matched).
    case stop
}

/// A prompt token's score: its log-probability given the tokens before it and the most likely tokens there.
/// The first prompt token has nothing predicting it: `logprob` nil, `top` empty.
public struct PromptTokenLogprob: Sendable, Equatable {
    public var id: Int32
    public var logprob: Float?
    public var top: [TokenLogprob]

    public init(id: Int32, logprob: Float?, top: [TokenLogprob]) {
        self.id = id; self.logprob = logprob; self.top = top
    }
}

public enum FinishReason: String, Sendable, Codable {
    /// An end-of-generation token.
    case stop
    /// `maxTokens` reached, or the context is full.
    case length
}

public struct GenerationTimings: Sendable, Codable, Equatable {
    public var promptTokens: Int
    public var promptMilliseconds: Double
    public var generatedTokens: Int
    /// From the first generated token to the last (the first comes out of the prompt pass).
    public var decodeMilliseconds: Double

    public var promptTokensPerSecond: Double { promptMilliseconds > 0 ? Double(promptTokens) * 1000 / promptMilliseconds : 0 }
    public var decodeTokensPerSecond: Double {
        generatedTokens > 1 && decodeMilliseconds > 0 ? Double(generatedTokens - 1) * 1000 / decodeMilliseconds : 0
    }
}

public struct GenerationResult: Sendable {
    public var promptTokens: [Int32]
    public var tokens: [SampledToken]
    public var text: String
    public var finishReason: FinishReason
    public var timings: GenerationTimings
    /// One per prompt token when the request asked for `promptLogprobs`, else empty.
    public var promptLogprobs: [PromptTokenLogprob] = []
}

public enum GenerationError: Error, Equatable, CustomStringConvertible {
    case emptyPrompt
    case promptTooLong(promptTokens: Int, contextLength: Int)
    case invalidMaxTokens(Int)
    /// Scoring a prompt longer than one batch re-sends one token per chunk, which needs batches of 2 or more.
    case batchTooSmallForScoring(maxBatch: Int)

    public var description: String {
        switch self {
        case .emptyPrompt:
            "the prompt is empty: give at least one token"
        case .promptTooLong(let prompt, let context):
            "the prompt has \(prompt) tokens but the context holds \(context): shorten the prompt or raise the context size"
        case .invalidMaxTokens(let n):
            "max tokens is \(n); it must be 0 or more"
        case .batchTooSmallForScoring(let n):
            "prompt scoring needs a batch size of at least 2 (the pipeline's is \(n))"
        }
    }
}
