import Coordinator
import Sampling

extension APIError {
    /// The API's answer for an error from the generation path; nil for a real bug (a 500 with a request id)
    /// and for cancellation (the client is gone: nobody to answer).
    static func from(_ error: any Error) -> APIError? {
        switch error {
        case let e as APIError: return e
        case let e as GenerationError: return from(e)
        case let e as SamplerError:
            guard case .invalidParameter(let name, let value, let allowed) = e else { return nil }
            let param = GenerationOptions.apiName[name] ?? name
            return .invalid(param, "'\(param)' is \(value); allowed: \(allowed)")
        case let e as PipelineError: return from(e)
        default: return nil
        }
    }

    private static func from(_ e: GenerationError) -> APIError {
        switch e {
        case .emptyPrompt: .invalid("prompt", "the prompt is empty: give at least one token")
        case .promptTooLong(let prompt, let context): .promptTooLong(promptTokens: prompt, contextLength: context, param: "prompt")
        case .invalidMaxTokens: .invalid("max_tokens", e.description)
        case .batchTooSmallForScoring: .invalid("echo", e.description)
        }
    }

    /// Workers that are down or restarting are 503 naming the stage; a stage out of sessions is 503 with
    /// Retry-After; a request a stage rejects is 400; a stage's own failure is a 500.
    private static func from(_ e: PipelineError) -> APIError? {
        switch e.kind {
        case .busy: .unavailable(e.description, retryAfter: 1, code: "server_busy")
        case .rejected: .invalid(nil, e.description)
        case .unavailable: .unavailable(e.description, code: "worker_unavailable")
        case .failed: nil
        }
    }
}
