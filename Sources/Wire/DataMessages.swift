/// Swift mirrors of the data-path (ring) messages of proto/baton.proto.

/// `nTokens × nEmbd` activations, token-major. On the wire: little-endian f32 bytes, copied with
/// memcpy at both ends. Decoding checks `values.count == nTokens · nEmbd` against the Forward's tokens.
public struct HiddenStates: Sendable, Hashable {
    public var nEmbd: UInt32
    public var values: [Float]

    public init(nEmbd: UInt32, values: [Float]) {
        self.nEmbd = nEmbd
        self.values = values
    }

    public var nTokens: Int { nEmbd == 0 ? 0 : values.count / Int(nEmbd) }

    /// Bitwise equality: NaN payloads and -0 compare as stored, so a round trip can be checked exactly.
    public static func == (a: HiddenStates, b: HiddenStates) -> Bool {
        a.nEmbd == b.nEmbd && a.values.count == b.values.count
            && zip(a.values, b.values).allSatisfy { $0.bitPattern == $1.bitPattern }
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(nEmbd)
        for v in values { hasher.combine(v.bitPattern) }
    }
}

/// One chunk of a session moving along the ring: tokens at positions
/// `startPosition ..< startPosition + tokens.count`.
public struct Forward: Sendable, Hashable {
    public var sessionID: UInt64
    public var step: UInt64
    public var startPosition: UInt32
    /// Present on every hop (the last stage needs them for penalties and prompt logprobs).
    public var tokens: [Int32]
    /// nil on the hop into stage 0.
    public var hidden: HiddenStates?
    public var sample: Bool
    public var promptLogprobs: Bool
    public var timings: [StageTiming]

    public init(sessionID: UInt64, step: UInt64, startPosition: UInt32, tokens: [Int32],
                hidden: HiddenStates? = nil, sample: Bool, promptLogprobs: Bool = false,
                timings: [StageTiming] = []) {
        self.sessionID = sessionID
        self.step = step
        self.startPosition = startPosition
        self.tokens = tokens
        self.hidden = hidden
        self.sample = sample
        self.promptLogprobs = promptLogprobs
        self.timings = timings
    }
}

public struct StageTiming: Sendable, Hashable {
    public var stageIndex: UInt32
    public var queueMicroseconds: UInt32
    public var computeMicroseconds: UInt32
    /// Sessions and rows of the batch it was computed in (0 from a worker before 1.4).
    public var batchSessions: UInt32 = 0
    public var batchRows: UInt32 = 0

    public init(stageIndex: UInt32, queueMicroseconds: UInt32, computeMicroseconds: UInt32, batchSessions: UInt32 = 0,
                batchRows: UInt32 = 0) {
        self.stageIndex = stageIndex
        self.queueMicroseconds = queueMicroseconds
        self.computeMicroseconds = computeMicroseconds
        self.batchSessions = batchSessions
        self.batchRows = batchRows
    }
}

public struct TokenLogprob: Sendable, Hashable {
    public var tokenID: Int32
    public var logprob: Float

    public init(tokenID: Int32, logprob: Float) {
        self.tokenID = tokenID
        self.logprob = logprob
    }
}

/// Logprob of the token at `position` given everything before it, with the top alternatives there.
public struct PositionLogprobs: Sendable, Hashable {
    public var position: UInt32
    public var tokenID: Int32
    public var logprob: Float
    public var top: [TokenLogprob]

    public init(position: UInt32, tokenID: Int32, logprob: Float, top: [TokenLogprob] = []) {
        self.position = position
        self.tokenID = tokenID
        self.logprob = logprob
        self.top = top
    }
}

/// Last stage → coordinator, one per Forward.
public struct TokenResult: Sendable, Hashable {
    public var sessionID: UInt64
    public var step: UInt64
    /// The sampled token and its logprob; nil when the Forward did not ask to sample.
    public var token: TokenLogprob?
    public var topLogprobs: [TokenLogprob]
    public var promptLogprobs: [PositionLogprobs]
    public var timings: [StageTiming]

    public init(sessionID: UInt64, step: UInt64, token: TokenLogprob?, topLogprobs: [TokenLogprob] = [],
                promptLogprobs: [PositionLogprobs] = [], timings: [StageTiming] = []) {
        self.sessionID = sessionID
        self.step = step
        self.token = token
        self.topLogprobs = topLogprobs
        self.promptLogprobs = promptLogprobs
        self.timings = timings
    }
}
