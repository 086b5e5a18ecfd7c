import Logging

/// The coordinator's control link to one worker: a DEALER connected to the worker's ROUTER, with
/// request ids so a reply that arrives after its request timed out is recognised and dropped.
/// Not thread-safe (it owns a ZMQSocket); one request at a time.
public final class Connection {
    public let endpoint: String
    public let socket: ZMQSocket
    public let maxReplySize: Int
    private var nextRequestID: UInt64 = 1
    private let logger = Logger(label: "baton.wire.connection")

    public init(context: ZMQContext, endpoint: String, options: ZMQSocketOptions = .control) throws(WireError) {
        self.endpoint = endpoint
        self.socket = try context.socket(.dealer, options: options)
        self.maxReplySize = options.maxMessageSize ?? Envelope.defaultMaxSize
        try socket.connect(endpoint)
    }

    /// Sends `message` and waits for its reply; the whole exchange takes at most `timeout`.
    /// An Error reply is thrown as `.remote`; no reply in time is `.timeout`.
    public func request(_ message: WireMessage, timeout: Duration) throws(WireError) -> WireMessage {
        let clock = ContinuousClock()
        let deadline = clock.now + timeout
        let id = try send(message, timeout: timeout)
        while true {
            let remaining = deadline - clock.now
            guard remaining > .zero else {
                throw .timeout(operation: "\(message.kind) to \(endpoint)", milliseconds: timeout.wholeMilliseconds)
            }
            let frames: [[UInt8]]
            do {
                frames = try socket.receive(timeout: remaining)
            } catch .timeout {
                throw .timeout(operation: "\(message.kind) to \(endpoint)", milliseconds: timeout.wholeMilliseconds)
            }
            guard frames.count == 1 else { throw .badFrames("reply from \(endpoint) has \(frames.count) frames, expected 1") }
            let reply = try Envelope.decode(frames[0], maxSize: maxReplySize)
            if reply.requestID == id {
                if case .error(let e) = reply.message { throw .remote(e) }
                return reply.message
            }
            if reply.requestID == 0, case .error(let e) = reply.message {
                // The server could not even read a request id: our request was unreadable to it.
                throw .remote(e)
            }
            logger.debug("dropping late reply", metadata: ["endpoint": "\(endpoint)", "id": "\(reply.requestID)"])
        }
    }

    /// Sends a request without waiting for its reply and returns its request id. With `receiveReply` this
    /// keeps several requests in flight (weight streaming's credit window); `request` is the one-at-a-time form.
    public func send(_ message: WireMessage, timeout: Duration) throws(WireError) -> UInt64 {
        let id = nextRequestID
        nextRequestID &+= 1
        if nextRequestID == 0 { nextRequestID = 1 }  // 0 is the data path's id
        try socket.send(Envelope(requestID: id, message: message).encode(), timeout: timeout)
        return id
    }

    /// The next reply, whatever request it answers (the caller matches the id); `.timeout` if none comes.
    public func receiveReply(timeout: Duration) throws(WireError) -> Envelope {
        let frames: [[UInt8]]
        do {
            frames = try socket.receive(timeout: timeout)
        } catch .timeout {
            throw .timeout(operation: "reply from \(endpoint)", milliseconds: timeout.wholeMilliseconds)
        }
        guard frames.count == 1 else { throw .badFrames("reply from \(endpoint) has \(frames.count) frames, expected 1") }
        return try Envelope.decode(frames[0], maxSize: maxReplySize)
    }

    /// The opening handshake. Refuses a worker whose protocol major differs from `version`, saying
    /// which side must upgrade (whether the worker or this side noticed the mismatch).
    public func hello(peerID: String, version: ProtocolVersion = .current, timeout: Duration) throws(WireError) -> HelloReply {
        let reply: WireMessage
        do {
            reply = try request(.hello(Hello(version: version, peerID: peerID, role: .coordinator)), timeout: timeout)
        } catch .remote(let e) where e.code == .versionMismatch {
            throw .versionMismatch(e.message)
        }
        guard case .helloReply(let r) = reply else {
            throw .unexpectedReply(expected: "HelloReply", got: reply.kind)
        }
        if let refusal = version.refusal(talkingTo: r.version, localRole: .coordinator, remoteRole: .worker) {
            throw .versionMismatch(refusal)
        }
        return r
    }
}
