import Logging

/// The worker's side of the control link: a ROUTER that receives requests and answers each on the
/// same peer. Unreadable requests are answered with an Error and never stop the loop.
/// Not thread-safe (it owns a ZMQSocket).
public final class ControlServer {
    /// A request as received: who sent it, and either the message or why it could not be read.
    public struct Request {
        public var peer: [UInt8]
        /// The sender's CURVE public key (Z85) as ZAP admitted it; nil when the socket runs without keys.
        public var sender: String? = nil
        public var requestID: UInt64
        public var message: Result<WireMessage, WireError>
    }

    public let socket: ZMQSocket
    /// The endpoint actually bound (the real port when bound to "*").
    public let endpoint: String
    public let maxRequestSize: Int
    /// How long a reply may wait for room before it is given up (the peer is gone or stuck).
    public var replyTimeout: Duration = .seconds(5)
    private let logger = Logger(label: "baton.wire.control-server")
    private let junkLog = LogThrottle()

    public init(context: ZMQContext, bindTo endpoint: String, options: ZMQSocketOptions = .init()) throws(WireError) {
        socket = try context.socket(.router, options: options)
        maxRequestSize = options.maxMessageSize ?? Envelope.defaultMaxSize
        self.endpoint = try socket.bind(endpoint)
    }

    /// The next request, or nil if none arrived within `timeout`.
    public func receiveRequest(timeout: Duration) throws(WireError) -> Request? {
        let frames: [[UInt8]]
        var sender: String?
        do {
            frames = try socket.receive(timeout: timeout, sender: &sender)
        } catch .timeout {
            return nil
        } catch .badFrames(let why) {
            // Too many frames: the peer id was drained with them, so there is nobody to answer.
            logger.warning("dropping control message", metadata: ["reason": "\(why)"])
            return nil
        }
        guard let peer = frames.first else { return nil }
        guard frames.count == 2 else {
            return Request(peer: peer, sender: sender, requestID: 0,
                           message: .failure(.badFrames("\(frames.count - 1) payload frames, expected 1")))
        }
        do {
            let envelope = try Envelope.decode(frames[1], maxSize: maxRequestSize)
            return Request(peer: peer, sender: sender, requestID: envelope.requestID, message: .success(envelope.message))
        } catch {
            return Request(peer: peer, sender: sender, requestID: 0, message: .failure(error))
        }
    }

    /// Answers `request` with `message`, echoing its request id.
    public func reply(to request: Request, with message: WireMessage) throws(WireError) {
        let payload = Envelope(requestID: request.requestID, message: message).encode()
        try socket.send([request.peer, payload], timeout: replyTimeout)
    }

    /// Waits up to `timeout` for one request and answers it: readable requests with `handler`'s reply,
    /// unreadable ones with Error BAD_REQUEST / TOO_LARGE. Returns false when nothing arrived.
    /// A peer that vanished before its reply could be sent is logged, not thrown.
    public func serveOne(timeout: Duration, handler: (WireMessage) -> WireMessage) throws(WireError) -> Bool {
        guard let request = try receiveRequest(timeout: timeout) else { return false }
        let answer: WireMessage
        switch request.message {
        case .success(let message):
            answer = handler(message)
        case .failure(let error):
            junkLog.warning(logger, "unreadable control request", metadata: ["error": "\(error)"])
            answer = .error(Self.errorReply(for: error))
        }
        do {
            try reply(to: request, with: answer)
        } catch .unreachablePeer, .timeout {
            logger.warning("could not answer a control request: the peer is gone", metadata: ["reply": "\(answer.kind)"])
        }
        return true
    }

    /// The Error sent back for a request this side could not read.
    public static func errorReply(for error: WireError) -> ErrorMessage {
        switch error {
        case .tooLarge: ErrorMessage(code: .tooLarge, message: error.description)
        default: ErrorMessage(code: .badRequest, message: error.description)
        }
    }
}
