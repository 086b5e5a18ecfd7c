import Coordinator
import Logging
import Sampling
import Tokenizer
import Engine

/// One choice to generate, validated.
struct GenerationJob: Sendable {
    var prompt: [Int32]
    var maxTokens: Int
    var sampler: SamplerParameters
    var stop: [String]
    /// Alternatives per token (generated, and prompt tokens when scoring).
    var topLogprobs: Int
    /// Whether the client asked for log-probabilities of the generated tokens.
    var logprobs: Bool
    /// Score every prompt token (echo with log-probabilities).
    var scorePrompt: Bool
}

struct GenerationOutcome: Sendable {
    /// The released text: stop strings and everything after them cut.
    var text: String
    var tokens: [SampledToken]
    var finishReason: FinishReason
    var promptTokens: Int
    var promptScores: [PromptTokenLogprob]
}

/// Runs generations for the HTTP layer: tokenizing and checking prompts, the session limit, stop strings,
/// metrics and the per-request log line. The work itself is the coordinator's `Generator`.
public final class ServingEngine: Sendable {
    public let generator: Generator
    public let contextLength: Int
    public let modelID: String
    public let template: ChatTemplate
    public let limiter: SessionLimiter
    public let metrics: ServerMetrics
    public let readiness: Readiness
    /// The stage map for /health.
    let stageStatus: @Sendable () async -> [StageStatus]
    /// Each stage's liveness word, for /metrics (no network; empty in one process).
    let stageLiveness: @Sendable () -> [String]
    let logger = Logger(label: "baton.server")

    /// Names a request's `model` may carry (the id, the file path, the id without `.gguf`).
    let modelNames: Set<String>

    public init(generator: Generator, contextLength: Int, modelID: String, modelAliases: [String] = [], template: ChatTemplate,
                limiter: SessionLimiter, metrics: ServerMetrics, readiness: Readiness,
                stageStatus: @escaping @Sendable () async -> [StageStatus],
                stageLiveness: @escaping @Sendable () -> [String] = { [] }) {
        self.generator = generator; self.contextLength = contextLength; self.modelID = modelID; self.template = template
        self.limiter = limiter; self.metrics = metrics; self.readiness = readiness
        self.stageStatus = stageStatus; self.stageLiveness = stageLiveness
        var names = Set(modelAliases + [modelID])
        if modelID.hasSuffix(".gguf") { names.insert(String(modelID.dropLast(5))) }
        modelNames = names
    }

    public var tokenizer: Tokenizer { generator.tokenizer }

    /// 404 for a model this server does not serve; an absent or empty `model` means this one.
    func checkModel(_ model: String?) throws {
        guard let model, !model.isEmpty, !modelNames.contains(model) else { return }
        throw APIError.notFound("model '\(model)' is not served here; this server serves '\(modelID)'",
                                param: "model", code: "model_not_found")
    }

    /// Prompt ids: text is tokenized with special tokens parsed (and BOS when the model wants it), as
    /// llama-server does; ids must lie in the vocabulary.
    func tokens(for prompt: PromptInput, param: String = "prompt") throws -> [Int32] {
        switch prompt {
        case .text(let text):
            return tokenizer.encode(text)
        case .tokens(let ids):
            let vocabulary = Int32(tokenizer.vocabularySize)
            if let bad = ids.first(where: { $0 < 0 || $0 >= vocabulary }) {
                throw APIError.invalid(param, "token id \(bad) in '\(param)' is outside the vocabulary [0, \(vocabulary - 1)]")
            }
            return ids
        }
    }

    /// A job for `prompt`, or 400 when the prompt is empty or longer than the context.
    func job(prompt: [Int32], options: GenerationOptions, defaultMaxTokens: Int, logprobs: Bool = false, topLogprobs: Int = 0,
             scorePrompt: Bool = false, param: String = "prompt") throws -> GenerationJob {
        guard !prompt.isEmpty else { throw APIError.invalid(param, "the prompt is empty: give at least one token") }
        guard prompt.count <= contextLength else {
            throw APIError.promptTooLong(promptTokens: prompt.count, contextLength: contextLength, param: param)
        }
        return GenerationJob(prompt: prompt, maxTokens: options.maxTokens ?? defaultMaxTokens, sampler: options.sampler,
                             stop: options.stop, topLogprobs: topLogprobs, logprobs: logprobs, scorePrompt: scorePrompt)
    }

    /// Takes a session slot (503 when the server is full or not loaded yet).
    func admit() throws -> SessionPermit {
        try readiness.require()
        let permit = try limiter.acquire()
        metrics.sessions(limiter.count)
        return permit
    }

    /// Runs one job, handing each released piece to `onPiece` as it comes. Throws `APIError` for what the
    /// client should hear, `CancellationError` when the task was cancelled (the client went away), anything
    /// else for a bug.
    func run(_ job: GenerationJob, permit: SessionPermit, requestID: String, endpoint: String,
             onPiece: (OutputPiece) -> Void) async throws -> GenerationOutcome {
        defer {
            permit.release()
            metrics.sessions(limiter.count)
        }
        var request = GenerationRequest(prompt: job.prompt, maxTokens: job.maxTokens, sampler: job.sampler,
                                        topLogprobs: job.topLogprobs)
        request.promptLogprobs = job.scorePrompt
        request.logprobs = job.logprobs
        request.renderSpecialTokens = false
        var assembler = OutputAssembler(stops: job.stop)
        var clock = TokenClock(metrics: metrics)
        let result: GenerationResult
        do {
            result = try await generator.stream(request) { token, piece in
                if token != nil { clock.tick() }
                let (out, verdict) = assembler.add(token, piece)
                if let out { onPiece(out) }
                return verdict
            }
        } catch {
            if let apiError = APIError.from(error) { throw apiError }
            if error is CancellationError {
                logger.info("cancelled", metadata: ["request": "\(requestID)", "endpoint": "\(endpoint)"])
            }
            throw error
        }
        if let rest = assembler.finish() { onPiece(rest) }
        metrics.prompt(tokens: job.prompt.count)
        metrics.generated(tokens: result.tokens.count)
        logger.info("request", metadata: [
            "request": "\(requestID)", "endpoint": "\(endpoint)", "prompt_tokens": "\(job.prompt.count)",
            "generated_tokens": "\(result.tokens.count)", "ttft_ms": "\(clock.firstTokenMilliseconds)",
            "tokens_per_second": "\(Int(result.timings.decodeTokensPerSecond.rounded()))",
            "finish": "\(result.finishReason.rawValue)",
        ])
        return GenerationOutcome(text: assembler.text, tokens: result.tokens, finishReason: result.finishReason,
                                 promptTokens: job.prompt.count, promptScores: result.promptLogprobs)
    }
}

/// Time to first token and the gaps between tokens, into the metrics.
private struct TokenClock {
    let metrics: ServerMetrics
    let start = ContinuousClock.now
    var last: ContinuousClock.Instant?
    var firstTokenMilliseconds = 0

    init(metrics: ServerMetrics) { self.metrics = metrics }

    mutating func tick() {
        let now = ContinuousClock.now
        if let last {
            metrics.interToken(now - last)
        } else {
            metrics.firstToken(after: now - start)
            firstTokenMilliseconds = Int((now - start).milliseconds)
        }
        last = now
    }
}
