import Wire

/// What can go wrong across the pipeline, in the terms a caller acts on: retry shortly, fix the request, or wait
/// for a stage to come back. The wire's error codes stop here: the server maps `kind` to HTTP, never a code.
public struct PipelineError: Error, Sendable, CustomStringConvertible {
    public enum Kind: Sendable, Equatable {
        /// A stage holds its limit of sessions: retry shortly.
        case busy
        /// A stage refused the request itself (context too long, bad parameters, too large): the caller's to fix.
        case rejected
        /// A stage is down, restarting or lost its state, or the pipeline is not set up.
        case unavailable
        /// A stage failed in a way none of the above describes (a bug on its side).
        case failed
    }

    public let kind: Kind
    /// The stage it concerns, when one does.
    public let stage: Int?
    public let description: String
    /// Setting the pipeline up again may cure it: the worker restarted, lost its stage or forgot our Hello.
    let setupMayCure: Bool
    /// The worker answered (with an Error reply): it is alive, whatever went wrong.
    var answered = false
    /// The wire's own failure behind it, when there was one (a timeout, a socket error, the peer's Error).
    var wireError: WireError?

    /// A stage that does not answer, or answers that it cannot serve.
    static func unavailable(stage: Int, endpoint: String, reason: String) -> PipelineError {
        PipelineError(kind: .unavailable, stage: stage, setupMayCure: true,
                      description: "stage \(stage) (worker \(endpoint)) is unavailable: \(reason); restart it and retry")
    }

    /// The pipeline (or a session on it) is not in a state to serve the call.
    static func notReady(_ why: String) -> PipelineError {
        PipelineError(kind: .unavailable, stage: nil, setupMayCure: true, description: "the pipeline is not ready: \(why)")
    }

    /// A step whose result never came: some stage holds it but does not answer.
    static func stepTimedOut(after limit: Duration) -> PipelineError {
        PipelineError(kind: .unavailable, stage: nil, setupMayCure: true,
                      description: "no result within \(limit): a stage accepted the step but never answered; retry")
    }

    /// `failure` lasted past the time allowed for the pipeline to come back.
    static func notRecovered(_ failure: PipelineError, within limit: Duration, lastAttempt: any Error) -> PipelineError {
        PipelineError(kind: .unavailable, stage: failure.stage, setupMayCure: true,
                      description: "\(failure.description) — not back within \(limit) (last attempt: \(lastAttempt))")
    }

    /// A control request to stage `stage` failed: the worker's Error reply, or the socket's failure.
    init(stage: Int, endpoint: String, _ error: any Error) {
        guard case WireError.remote(let message) = error else {
            self = .unavailable(stage: stage, endpoint: endpoint, reason: "\(error)")
            wireError = error as? WireError
            return
        }
        self.init(stage: stage, message, setupMayCure: [.badRequest, .notLoaded, .unknownSession].contains(message.code),
                  detail: "stage \(stage) (worker \(endpoint)): \(message)")
        answered = true
        wireError = .remote(message)
    }

    /// A stage's Error on the data path (in place of a step's result).
    init(stage: Int, dataPath message: ErrorMessage) {
        self.init(stage: stage, message, setupMayCure: false, detail: "stage \(stage) failed: \(message.message)")
    }

    private init(stage: Int, _ message: ErrorMessage, setupMayCure: Bool, detail: String) {
        let kind = Self.kind(of: message.code)
        self.init(kind: kind, stage: stage, setupMayCure: setupMayCure,
                  description: kind == .busy ? "stage \(stage) has no free session: \(message.message)" : detail)
    }

    private init(kind: Kind, stage: Int?, setupMayCure: Bool, description: String) {
        self.kind = kind; self.stage = stage; self.setupMayCure = setupMayCure; self.description = description
    }

    private static func kind(of code: ErrorCode) -> Kind {
        switch code {
        case .resourceExhausted: .busy
        case .contextExceeded, .badRequest, .tooLarge: .rejected
        case .unknownSession, .notLoaded, .shuttingDown, .loadFailed, .permissionDenied: .unavailable
        default: .failed
        }
    }
}
