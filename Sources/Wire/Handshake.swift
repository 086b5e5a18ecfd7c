/// The worker's half of the Hello exchange, so every worker refuses a mismatched coordinator with the
/// same message. (The coordinator's half is `Connection.hello`.)
public enum Handshake {
    /// HelloReply from `makeReply` when the majors match; otherwise Error VERSION_MISMATCH naming the
    /// side that must upgrade. `makeReply` is only called on success.
    public static func answer(_ hello: Hello, local: ProtocolVersion = .current,
                              makeReply: () -> HelloReply) -> WireMessage {
        if let refusal = local.refusal(talkingTo: hello.version, localRole: .worker, remoteRole: hello.role) {
            return .error(ErrorMessage(code: .versionMismatch, message: refusal))
        }
        var reply = makeReply()
        reply.version = local
        return .helloReply(reply)
    }
}
