/// Swift mirrors of the session and health messages of proto/baton.proto.

/// llama.cpp semantics; every field travels explicitly (a zero is a zero). The defaults are
/// llama.cpp's, for callers that only want to change a few.
public struct SamplerParams: Sendable, Hashable {
    public var temperature: Float = 0.8
    public var topK: Int32 = 40
    public var topP: Float = 0.95
    public var minP: Float = 0.05
    public var repeatPenalty: Float = 1.0
    public var repeatLastN: Int32 = 64
    public var presencePenalty: Float = 0
    public var frequencyPenalty: Float = 0
    public var seed: UInt64 = 0xFFFF_FFFF

    public init() {}
}

public struct OpenSession: Sendable, Hashable {
    public var sessionID: UInt64
    public var contextLength: UInt32
    public var sampler: SamplerParams
    public var topLogprobs: UInt32
    /// 1.5: the sampled tokens' log-probabilities are not wanted, so the last stage need not compute them.
    public var skipLogprobs = false

    /// The most alternatives a session may ask for per token (OpenAI's limit): it bounds a TokenResult's size.
    public static let maxTopLogprobs: UInt32 = 20

    public init(sessionID: UInt64, contextLength: UInt32, sampler: SamplerParams = .init(), topLogprobs: UInt32 = 0) {
        self.sessionID = sessionID
        self.contextLength = contextLength
        self.sampler = sampler
        self.topLogprobs = topLogprobs
    }
}

public struct OpenSessionReply: Sendable, Hashable {
    public var sessionID: UInt64
    public var kvBytes: UInt64

    public init(sessionID: UInt64, kvBytes: UInt64) {
        self.sessionID = sessionID
        self.kvBytes = kvBytes
    }
}

public struct CloseSession: Sendable, Hashable {
    public var sessionID: UInt64

    public init(sessionID: UInt64) { self.sessionID = sessionID }
}

public struct CloseSessionReply: Sendable, Hashable {
    public var sessionID: UInt64
    /// False when the session was unknown; closing is idempotent.
    public var existed: Bool

    public init(sessionID: UInt64, existed: Bool) {
        self.sessionID = sessionID
        self.existed = existed
    }
}

/// ReusePrefix (1.4): start a session from another's first `tokens.count` positions.
public struct ReusePrefix: Sendable, Hashable {
    public var sessionID: UInt64
    public var sourceSessionID: UInt64
    public var tokens: [Int32]

    public init(sessionID: UInt64, sourceSessionID: UInt64, tokens: [Int32]) {
        self.sessionID = sessionID; self.sourceSessionID = sourceSessionID; self.tokens = tokens
    }
}

public struct ReusePrefixReply: Sendable, Hashable {
    public var sessionID: UInt64
    /// Positions copied from the source (0: none).
    public var positions: UInt32

    public init(sessionID: UInt64, positions: UInt32) { self.sessionID = sessionID; self.positions = positions }
}

public struct HealthReply: Sendable, Hashable {
    public var loaded: Bool = false
    public var stageIndex: UInt32 = 0
    public var layerBegin: UInt32 = 0
    public var layerEnd: UInt32 = 0
    public var sessions: UInt32 = 0
    public var maxSessions: UInt32 = 0
    public var freeMemoryBytes: UInt64 = 0
    public var totalMemoryBytes: UInt64 = 0
    public var residentBytes: UInt64 = 0
    public var uptimeMilliseconds: UInt64 = 0
    public var forwardsDone: UInt64 = 0
    public var dataBytesSent: UInt64 = 0
    public var dataMessagesSent: UInt64 = 0
    public var peakResidentBytes: UInt64 = 0
    public var weightBytesReceived: UInt64 = 0
    public var weightBytesFromCache: UInt64 = 0
    /// The worker is draining after SIGTERM (it exits once its sessions are closed).
    public var draining = false
    /// The prefix cache: closed sessions' KV caches kept for ReusePrefix, their bytes, and reuses since start.
    public var prefixCacheEntries: UInt32 = 0
    public var prefixCacheBytes: UInt64 = 0
    public var prefixReuses: UInt64 = 0

    public init() {}
}
