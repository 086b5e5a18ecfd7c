import Coordinator
import Sampling
import Wire
import Worker

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
    /// Retry-After; a request a stage rejects is 400.
    private static func from(_ e: PipelineError) -> APIError? {
        switch e {
        case .unavailable, .notConnected:
            return .unavailable(e.description, code: "worker_unavailable")
        case .stage(let index, let endpoint, let inner):
            if case WireError.remote(let message) = inner { return from(code: message.code, index: index, message: e.description) }
            return .unavailable("stage \(index) (worker \(endpoint)) is unavailable: \(inner)", code: "worker_unavailable")
        case .remote(let index, let message):
            return from(code: message.code, index: index, message: e.description)
        }
    }

    private static func from(code: ErrorCode, index: Int, message: String) -> APIError? {
        switch code {
        case .resourceExhausted:
            return .unavailable("stage \(index) has no free session: \(message)", retryAfter: 1, code: "server_busy")
        case .contextExceeded, .badRequest, .tooLarge:
            return .invalid(nil, message)
        case .unknownSession, .notLoaded, .shuttingDown, .loadFailed, .permissionDenied:
            return .unavailable(message, code: "worker_unavailable")
        default:
            return nil
        }
    }
}
