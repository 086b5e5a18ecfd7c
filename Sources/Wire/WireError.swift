/// Everything that can go wrong at the wire layer: sockets, encoding, and what the peer said.
/// Each case carries enough to write a useful log line without the caller adding context.
public enum WireError: Error, Equatable, Sendable, CustomStringConvertible {
    /// A ZeroMQ call failed; `errno` and its `zmq_strerror` text.
    case zmq(operation: String, errno: Int32, message: String)
    /// Nothing arrived / could be sent within the deadline.
    case timeout(operation: String, milliseconds: Int)
    /// ROUTER_MANDATORY: the routing id names no connected peer, so the message was not queued.
    case unreachablePeer(operation: String)
    /// The message is bigger than the receiver accepts; checked before unpacking.
    case tooLarge(size: Int, limit: Int)
    /// The bytes are not a protobuf Envelope (protobuf-c refused them).
    case malformed(size: Int)
    /// Valid protobuf, but not a message this build can act on (unknown body, inconsistent sizes...).
    case invalid(String)
    /// The peer answered with a message other than the one this request expects.
    case unexpectedReply(expected: String, got: String)
    /// The peers' protocol majors differ; the text says which side must upgrade.
    case versionMismatch(String)
    /// The peer answered with an Error message.
    case remote(ErrorMessage)
    /// A socket operation was given frames it cannot send or returned frames it should not.
    case badFrames(String)

    public var description: String {
        switch self {
        case .zmq(let op, let errno, let message):
            "\(op) failed: \(message) (errno \(errno))"
        case .timeout(let op, let ms):
            "\(op) timed out after \(ms) ms: the peer is absent, overloaded or unreachable"
        case .unreachablePeer(let op):
            "\(op): the peer is not connected (routing id unknown); the message was not sent"
        case .tooLarge(let size, let limit):
            "message of \(size) bytes exceeds the limit of \(limit) bytes; it was not decoded"
        case .malformed(let size):
            "\(size) bytes are not a valid Baton protobuf Envelope: peer bug, wrong port or corruption"
        case .invalid(let why):
            "invalid message: \(why)"
        case .unexpectedReply(let expected, let got):
            "expected \(expected) in reply, got \(got)"
        case .versionMismatch(let text):
            text
        case .remote(let error):
            "peer reported \(error)"
        case .badFrames(let why):
            "bad frames: \(why)"
        }
    }
}
