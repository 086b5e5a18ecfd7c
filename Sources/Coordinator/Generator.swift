import Foundation
import Synchronization
import Sampling
import Tokenizer
import Engine

/// The generation loop: opens a session on every stage, evaluates the prompt in batches, then feeds each sampled
/// token back until an end-of-generation token, the token budget or the end of the context. Text is streamed as
/// complete UTF-8 only.
public final class Generator: Sendable {
    public let tokenizer: Tokenizer
    public let pipeline: any Pipeline
    private let sessionIDs = SessionIDs()

    public init(tokenizer: Tokenizer, pipeline: any Pipeline) {
        self.tokenizer = tokenizer
        self.pipeline = pipeline
    }

    /// Runs one request. `onToken` receives each generated token with the text it completes (possibly empty
    /// while a multi-byte character is still partial).
    public func generate(_ request: GenerationRequest,
                         onToken: (SampledToken, String) -> Void = { _, _ in }) async throws -> GenerationResult {
        var last: SampledToken?
        return try await stream(request, until: { token, text in
            if let token { last = token }
            if let last { onToken(last, text) }
            return .proceed
        })
    }

    /// Runs one request; after each token `until` says whether to go on (`.stop` ends it with finish reason
    /// `stop`). A final call with a nil token carries text the decoder held back (an unfinished UTF-8 sequence
    /// at the end, as U+FFFD). Cancelling the calling task ends the generation with `CancellationError`; the
    /// session is closed on every stage either way.
    public func stream(_ request: GenerationRequest,
                       until onToken: (SampledToken?, String) -> TokenVerdict) async throws -> GenerationResult {
        let context = min(request.contextLength ?? pipeline.maxContext, pipeline.maxContext)
        guard !request.prompt.isEmpty else { throw GenerationError.emptyPrompt }
        guard request.prompt.count <= context else {
            throw GenerationError.promptTooLong(promptTokens: request.prompt.count, contextLength: context)
        }
        guard request.maxTokens >= 0 else { throw GenerationError.invalidMaxTokens(request.maxTokens) }
        try request.sampler.validate()

        let session = sessionIDs.next()
        try await pipeline.open(session, options: SessionOptions(
            contextLength: context, sampler: request.sampler, topLogprobs: request.topLogprobs,
            logprobs: request.logprobs || request.promptLogprobs))
        do {
            let result = try await run(request, session: session, context: context, onToken: onToken)
            await pipeline.close(session)
            return result
        } catch {
            // Report the failure now; freeing the session on the stages (one may be dead) goes on behind it.
            let pipeline = self.pipeline
            Task.detached { await pipeline.close(session) }
            throw error
        }
    }

    private func run(_ request: GenerationRequest, session: UInt64, context: Int,
                     onToken: (SampledToken?, String) -> TokenVerdict) async throws -> GenerationResult {
        let clock = ContinuousClock()
        let promptStart = clock.now
        var scores: [PromptTokenLogprob] = []
        var next: SampledToken?
        if request.promptLogprobs {
            (next, scores) = try await scoredPrefill(request.prompt, session: session, sample: request.maxTokens > 0)
        } else {
            next = try await pipeline.prefill(session, tokens: request.prompt, sample: request.maxTokens > 0)
        }
        let promptTime = clock.now - promptStart

        var decoder = StreamingDecoder(tokenizer: tokenizer, renderSpecial: request.renderSpecialTokens)
        var tokens: [SampledToken] = []
        var text = ""
        var finish = FinishReason.length
        var stopped = false
        let decodeStart = clock.now
        while let token = next, tokens.count < request.maxTokens {
            if tokenizer.isEndOfGeneration(token.id) { finish = .stop; break }
            tokens.append(token)
            let piece = decoder.append(token.id)
            text += piece
            if onToken(token, piece) == .stop { finish = .stop; stopped = true; break }
            guard tokens.count < request.maxTokens, request.prompt.count + tokens.count < context else { break }
            try Task.checkCancellation()
            next = try await pipeline.step(session, tokens: [token.id], sample: true, promptLogprobs: false)
        }
        let rest = stopped ? "" : decoder.flush()
        text += rest
        if !rest.isEmpty { _ = onToken(nil, rest) }
        let timings = GenerationTimings(
            promptTokens: request.prompt.count, promptMilliseconds: promptTime.milliseconds,
            generatedTokens: tokens.count, decodeMilliseconds: (clock.now - decodeStart).milliseconds)
        return GenerationResult(promptTokens: request.prompt, tokens: tokens, text: text, finishReason: finish,
                                timings: timings, promptLogprobs: scores)
    }
}

/// Session ids: random 63-bit numbers, so neither a restart nor a peer that sees one can predict another
/// (two open sessions sharing one is a 2⁻⁶³ chance per pair, far below a worker's failure rate).
final class SessionIDs: Sendable {
    func next() -> UInt64 { UInt64.random(in: 1..<(1 << 63)) }
}
