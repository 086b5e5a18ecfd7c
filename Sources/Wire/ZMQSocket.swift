import CZMQ

/// One ZeroMQ socket. Not thread-safe (libzmq's rule): use it from one thread at a time, which is why it
/// is not Sendable — create it on the thread that uses it. Every receive and send takes a timeout, so
/// nothing here blocks forever.
public final class ZMQSocket {
    let handle: UnsafeMutableRawPointer
    let context: ZMQContext
    public let type: ZMQSocketType
    /// Timeouts currently set on the socket, to skip redundant zmq_setsockopt calls.
    private var sendTimeoutMS: Int32 = -1
    private var receiveTimeoutMS: Int32 = -1

    init(context: ZMQContext, type: ZMQSocketType, options: ZMQSocketOptions) throws(WireError) {
        guard let handle = zmq_socket(context.handle, type.raw) else { throw zmqFailure("zmq_socket(\(type))") }
        self.handle = handle
        self.context = context
        self.type = type
        try apply(options)
    }

    deinit {
        zmq_close(handle)
    }

    /// Binds, e.g. "tcp://127.0.0.1:*" (OS-chosen port; read it with `lastEndpoint()`). Returns the
    /// endpoint actually bound.
    @discardableResult
    public func bind(_ endpoint: String) throws(WireError) -> String {
        guard zmq_bind(handle, endpoint) == 0 else { throw zmqFailure("bind \(endpoint)") }
        return try lastEndpoint()
    }

    /// Connects; libzmq connects (and reconnects) in the background, so this succeeds without a peer.
    public func connect(_ endpoint: String) throws(WireError) {
        guard zmq_connect(handle, endpoint) == 0 else { throw zmqFailure("connect \(endpoint)") }
    }

    /// Stops listening on `endpoint` (as `bind` returned it) and drops the connections accepted there.
    public func unbind(_ endpoint: String) throws(WireError) {
        guard zmq_unbind(handle, endpoint) == 0 else { throw zmqFailure("unbind \(endpoint)") }
    }

    public func disconnect(_ endpoint: String) throws(WireError) {
        guard zmq_disconnect(handle, endpoint) == 0 else { throw zmqFailure("disconnect \(endpoint)") }
    }

    /// Sends one multipart message. Waits at most `timeout` for room (HWM, or no completed connection
    /// with ZMQ_IMMEDIATE); later parts of a message are never refused once the first is accepted.
    public func send(_ frames: [[UInt8]], timeout: Duration) throws(WireError) {
        guard !frames.isEmpty else { throw .badFrames("cannot send a message with no frames") }
        try setSendTimeout(timeout)
        for (i, frame) in frames.enumerated() {
            let flags = i == frames.count - 1 ? 0 : ZMQ_SNDMORE
            try sendFrame(frame, flags: flags, timeout: timeout)
        }
    }

    public func send(_ frame: [UInt8], timeout: Duration) throws(WireError) {
        try send([frame], timeout: timeout)
    }

    private func sendFrame(_ frame: [UInt8], flags: Int32, timeout: Duration) throws(WireError) {
        while true {
            let rc = frame.withUnsafeBytes { zmq_send(handle, $0.baseAddress, $0.count, flags) }
            if rc >= 0 { return }
            switch zmq_errno() {
            case EINTR: continue
            case EAGAIN: throw .timeout(operation: "send on \(type)", milliseconds: timeout.wholeMilliseconds)
            case EHOSTUNREACH: throw .unreachablePeer(operation: "send on \(type)")
            default: throw zmqFailure("send on \(type)")
            }
        }
    }

    /// Receives one multipart message, waiting at most `timeout` for it (`.timeout` otherwise).
    /// At most `maxFrames` parts are kept; a message with more is drained and refused (`.badFrames`).
    public func receive(timeout: Duration, maxFrames: Int = 8) throws(WireError) -> [[UInt8]] {
        var sender: String?
        return try receive(timeout: timeout, maxFrames: maxFrames, sender: &sender)
    }

    /// `receive`, also giving the sender's ZAP User-Id: on a CURVE server socket, the public key (Z85) of the
    /// client whose connection carried the message; nil on a socket without CURVE.
    public func receive(timeout: Duration, maxFrames: Int = 8, sender: inout String?) throws(WireError) -> [[UInt8]] {
        try setReceiveTimeout(timeout)
        sender = nil
        var frames: [[UInt8]] = []
        var extra = 0
        var more = true
        while more {
            var msg = zmq_msg_t()
            zmq_msg_init(&msg)
            defer { zmq_msg_close(&msg) }
            try receivePart(&msg, first: frames.isEmpty && extra == 0, timeout: timeout)
            more = zmq_msg_more(&msg) != 0
            // Any part but a ROUTER's routing-id frame (which the ROUTER makes itself, without the pipe's metadata).
            if sender == nil, let id = zmq_msg_gets(&msg, "User-Id") { sender = String(cString: id) }
            guard frames.count < maxFrames else { extra += 1; continue }
            let size = zmq_msg_size(&msg)
            let data = zmq_msg_data(&msg)
            frames.append([UInt8](unsafeUninitializedCapacity: size) { buffer, count in
                if let data, let dst = buffer.baseAddress, size > 0 {
                    UnsafeMutableRawPointer(dst).copyMemory(from: data, byteCount: size)
                }
                count = size
            })
        }
        guard extra == 0 else { throw .badFrames("message of \(frames.count + extra) frames, at most \(maxFrames) accepted") }
        return frames
    }

    private func receivePart(_ msg: inout zmq_msg_t, first: Bool, timeout: Duration) throws(WireError) {
        while true {
            if zmq_msg_recv(&msg, handle, 0) >= 0 { return }
            switch zmq_errno() {
            case EINTR: continue
            // Parts after the first arrive together with it, so only the first can time out.
            case EAGAIN where first: throw .timeout(operation: "receive on \(type)", milliseconds: timeout.wholeMilliseconds)
            default: throw zmqFailure("receive on \(type)")
            }
        }
    }

    private func setSendTimeout(_ timeout: Duration) throws(WireError) {
        let ms = Int32(timeout.wholeMilliseconds)
        guard ms != sendTimeoutMS else { return }
        try setOption(ZMQ_SNDTIMEO, ms, "ZMQ_SNDTIMEO")
        sendTimeoutMS = ms
    }

    private func setReceiveTimeout(_ timeout: Duration) throws(WireError) {
        let ms = Int32(timeout.wholeMilliseconds)
        guard ms != receiveTimeoutMS else { return }
        try setOption(ZMQ_RCVTIMEO, ms, "ZMQ_RCVTIMEO")
        receiveTimeoutMS = ms
    }
}
