/// The Envelope's `body` oneof as a Swift enum: every message one Baton process sends another.
public enum WireMessage: Sendable, Hashable {
    case hello(Hello)
    case helloReply(HelloReply)
    case loadStage(LoadStage)
    case loadStageReply(LoadStageReply)
    case openSession(OpenSession)
    case openSessionReply(OpenSessionReply)
    case closeSession(CloseSession)
    case closeSessionReply(CloseSessionReply)
    case reusePrefix(ReusePrefix)
    case reusePrefixReply(ReusePrefixReply)
    case health
    case healthReply(HealthReply)
    case error(ErrorMessage)
    case forward(Forward)
    case tokenResult(TokenResult)
    /// ForwardBatch (1.4): several sessions' chunks computed as one batch.
    case forwardBatch([Forward])
    case weightOffer(WeightOffer)
    case weightChunk(WeightChunk)
    case weightCredit(WeightCredit)
    case weightDone(WeightDone)
    case weightDoneReply(WeightDoneReply)

    /// Name of the case, for logs and `WireError.unexpectedReply`.
    public var kind: String {
        switch self {
        case .hello: "Hello"
        case .helloReply: "HelloReply"
        case .loadStage: "LoadStage"
        case .loadStageReply: "LoadStageReply"
        case .openSession: "OpenSession"
        case .openSessionReply: "OpenSessionReply"
        case .closeSession: "CloseSession"
        case .closeSessionReply: "CloseSessionReply"
        case .reusePrefix: "ReusePrefix"
        case .reusePrefixReply: "ReusePrefixReply"
        case .health: "Health"
        case .healthReply: "HealthReply"
        case .error(let e): "Error(\(e.code))"
        case .forward: "Forward"
        case .tokenResult: "TokenResult"
        case .forwardBatch: "ForwardBatch"
        case .weightOffer: "WeightOffer"
        case .weightChunk: "WeightChunk"
        case .weightCredit: "WeightCredit"
        case .weightDone: "WeightDone"
        case .weightDoneReply: "WeightDoneReply"
        }
    }

    /// Protobuf bytes of an Envelope with request_id 0 (data path).
    public func encode() -> [UInt8] {
        Envelope(requestID: 0, message: self).encode()
    }

    /// Decodes an Envelope and drops its request id. See `Envelope.decode`.
    public static func decode(_ bytes: UnsafeRawBufferPointer, maxSize: Int) throws(WireError) -> WireMessage {
        try Envelope.decode(bytes, maxSize: maxSize).message
    }

    public static func decode(_ bytes: [UInt8], maxSize: Int) throws(WireError) -> WireMessage {
        try Envelope.decode(bytes, maxSize: maxSize).message
    }
}

/// A message with the request id that pairs a control reply with its request (0 on the data path).
public struct Envelope: Sendable, Hashable {
    public var requestID: UInt64
    public var message: WireMessage

    public init(requestID: UInt64, message: WireMessage) {
        self.requestID = requestID
        self.message = message
    }

    /// Largest message any socket accepts (ZMQ_MAXMSGSIZE): a data message of a prompt chunk's hidden states,
    /// 4 · n_tokens · n_embd bytes, must fit (a worker refuses a --batch-size that would not).
    public static let defaultMaxSize = 64 << 20
    /// Largest request a worker's control socket accepts: a WeightChunk of at most 8 MiB and its envelope.
    public static let controlMaxSize = 9 << 20

    public func encode() -> [UInt8] {
        ProtoEncoder.encode(self)
    }

    /// Checks the size first (`.tooLarge`, nothing is parsed), then unpacks with protobuf-c
    /// (`.malformed` when it refuses), then converts to Swift values (`.invalid` for valid protobuf that
    /// makes no sense, e.g. an unknown body or hidden states of the wrong size). Never traps on input.
    public static func decode(_ bytes: UnsafeRawBufferPointer, maxSize: Int) throws(WireError) -> Envelope {
        guard bytes.count <= maxSize else { throw .tooLarge(size: bytes.count, limit: maxSize) }
        return try ProtoDecoder.decode(bytes)
    }

    public static func decode(_ bytes: [UInt8], maxSize: Int) throws(WireError) -> Envelope {
        guard bytes.count <= maxSize else { throw .tooLarge(size: bytes.count, limit: maxSize) }
        // Array.withUnsafeBytes rethrows untyped errors, so carry the typed one out in a Result.
        let result = bytes.withUnsafeBytes { raw in Result { () throws(WireError) in try ProtoDecoder.decode(raw) } }
        return try result.get()
    }
}
