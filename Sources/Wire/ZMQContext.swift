import CZMQ

/// A ZeroMQ context: its I/O thread and the factory of sockets. Thread-safe per libzmq, hence Sendable.
/// Sockets keep their context alive, so it is terminated only after the last socket has closed.
public final class ZMQContext: @unchecked Sendable {
    let handle: UnsafeMutableRawPointer

    public init() throws(WireError) {
        guard let handle = zmq_ctx_new() else { throw zmqFailure("zmq_ctx_new") }
        self.handle = handle
    }

    deinit {
        // Our sockets use linger 0, so this does not wait for unsent messages; EINTR only means "again".
        while zmq_ctx_term(handle) == -1 && zmq_errno() == EINTR {}
    }

    public func socket(_ type: ZMQSocketType, options: ZMQSocketOptions = .init()) throws(WireError) -> ZMQSocket {
        try ZMQSocket(context: self, type: type, options: options)
    }
}

public enum ZMQSocketType: Sendable {
    case pair, pub, sub, req, rep, dealer, router, pull, push

    var raw: Int32 {
        switch self {
        case .pair: ZMQ_PAIR
        case .pub: ZMQ_PUB
        case .sub: ZMQ_SUB
        case .req: ZMQ_REQ
        case .rep: ZMQ_REP
        case .dealer: ZMQ_DEALER
        case .router: ZMQ_ROUTER
        case .pull: ZMQ_PULL
        case .push: ZMQ_PUSH
        }
    }
}

/// The current errno of the calling thread as a `WireError`.
func zmqFailure(_ operation: String) -> WireError {
    let errno = zmq_errno()
    let text = zmq_strerror(errno).map { String(cString: $0) } ?? "unknown error"
    return .zmq(operation: operation, errno: errno, message: text)
}

extension Duration {
    /// Whole milliseconds, rounded up so a tiny positive timeout does not become "return at once";
    /// negative durations are 0, and huge ones saturate.
    var wholeMilliseconds: Int {
        let (seconds, atto) = components
        guard seconds >= 0 else { return 0 }
        guard seconds < Int64(Int32.max) / 1000 else { return Int(Int32.max) }
        let ms = seconds * 1000 + (atto + 999_999_999_999_999) / 1_000_000_000_000_000
        return Int(ms)
    }
}
