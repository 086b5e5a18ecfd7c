import Coordinator
import Engine

/// Text released to the client together with the tokens it came from (for per-token log-probabilities).
struct OutputPiece: Sendable {
    var text: String
    var tokens: [SampledToken]
}

/// Turns the generator's (token, text) stream into pieces for the client: stop strings are cut out and never
/// leak (text that may begin one is held back), and tokens travel with the piece that releases their text.
/// While the stop matcher holds text back, later tokens wait too, so a piece's tokens always cover its text.
struct OutputAssembler {
    private var matcher: StopStringMatcher
    private var pendingText = ""
    private var pendingTokens: [SampledToken] = []
    /// Everything released so far.
    private(set) var text = ""

    init(stops: [String]) {
        matcher = StopStringMatcher(stops)
    }

    /// Adds one generated token (nil: text the decoder flushed at the end). Returns a piece when there is text
    /// to release, and `.stop` when a stop string matched.
    mutating func add(_ token: SampledToken?, _ piece: String) -> (OutputPiece?, TokenVerdict) {
        if let token { pendingTokens.append(token) }
        pendingText += matcher.append(piece)
        if matcher.stopped { return (take(), .stop) }
        guard !matcher.isHolding, !pendingText.isEmpty else { return (nil, .proceed) }
        return (take(), .proceed)
    }

    /// At the end of the generation: whatever is still held back (a partial stop string that never completed,
    /// tokens whose text was empty).
    mutating func finish() -> OutputPiece? {
        pendingText += matcher.flush()
        guard !pendingText.isEmpty || !pendingTokens.isEmpty else { return nil }
        return take()
    }

    private mutating func take() -> OutputPiece {
        let piece = OutputPiece(text: pendingText, tokens: pendingTokens)
        text += pendingText
        pendingText = ""
        pendingTokens = []
        return piece
    }
}
