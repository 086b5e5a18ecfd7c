/// Envelope-level send/receive on any single-frame socket: PUSH/PULL on the data ring, DEALER, PAIR.
/// (A ROUTER's messages carry the peer id frame; use `ControlServer` for those.)
extension ZMQSocket {
    public func send(_ message: WireMessage, requestID: UInt64 = 0, timeout: Duration) throws(WireError) {
        try send(Envelope(requestID: requestID, message: message).encode(), timeout: timeout)
    }

    /// The next Envelope within `timeout`. Size is checked before unpacking; more than one frame is
    /// `.badFrames`; malformed bytes are `.malformed` — the socket stays usable after any of them.
    public func receiveEnvelope(timeout: Duration, maxSize: Int = Envelope.defaultMaxSize) throws(WireError) -> Envelope {
        let frames = try receive(timeout: timeout, maxFrames: 1)
        guard let frame = frames.first else { throw .badFrames("empty message") }
        return try Envelope.decode(frame, maxSize: maxSize)
    }

    public func receiveMessage(timeout: Duration, maxSize: Int = Envelope.defaultMaxSize) throws(WireError) -> WireMessage {
        try receiveEnvelope(timeout: timeout, maxSize: maxSize).message
    }
}
