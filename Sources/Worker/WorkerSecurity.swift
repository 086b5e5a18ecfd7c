import Wire

/// A worker's CURVE identity and the coordinators it serves (`--key`, `--authorized-keys`).
public struct WorkerSecurity: Sendable {
    public var keys: CurveKeyPair
    /// Coordinator public keys admitted on the control socket; every other client fails the handshake.
    public var authorizedKeys: [CurveKey]

    public init(keys: CurveKeyPair, authorizedKeys: [CurveKey]) {
        self.keys = keys
        self.authorizedKeys = authorizedKeys
    }
}

/// The CURVE machinery of a running worker: its ZAP handler with two policies — the control ROUTER admits the
/// authorized coordinators, the data PULL only the previous hop named by the LoadStage in force (nobody before one).
final class WorkerCurve: Sendable {
    let keys: CurveKeyPair
    let authenticator: ZAPAuthenticator
    let control: ZAPAuthenticator.Domain
    let data: ZAPAuthenticator.Domain

    init(_ security: WorkerSecurity, context: ZMQContext) throws {
        try Curve.requireAvailable()
        keys = security.keys
        authenticator = try ZAPAuthenticator(context: context)
        control = authenticator.domain("baton.control", allowing: security.authorizedKeys)
        data = authenticator.domain("baton.data", allowing: [])
    }

    /// The hops' keys a LoadStage must carry to a worker with keys.
    struct HopKeys {
        let previous: CurveKey
        let next: CurveKey
    }

    /// Both keys of `request`, or the BAD_REQUEST naming what is missing (e.g. from a coordinator older than 1.2).
    static func hopKeys(_ request: LoadStage) -> (keys: HopKeys?, refusal: ErrorMessage?) {
        do {
            return (HopKeys(previous: try CurveKey(bytes: request.previousHopPublicKey),
                            next: try CurveKey(bytes: request.nextHopPublicKey)), nil)
        } catch {
            return (nil, ErrorMessage(code: .badRequest, message: "this worker runs with CURVE keys: LoadStage must carry "
                                      + "the previous and next hops' public keys (protocol 1.2): \(error)"))
        }
    }
}

extension WorkerServer {
    /// Refuses to listen where other machines reach this worker without keys, unless `--insecure`.
    func checkExposure(control: String, data: String) throws {
        for (endpoint, what) in [(control, "the worker's control socket"), (data, "the worker's data socket")] {
            try BindPolicy.check(endpoint, what: what, hasKeys: options.security != nil, insecure: options.insecure)
        }
    }

    /// Control ROUTER options: a CURVE server admitting the authorized coordinators, when keys are configured.
    var controlOptions: ZMQSocketOptions {
        var o = ZMQSocketOptions()
        // Control requests are small but for WeightChunks (≤ 8 MiB): a peer sending more is cut off by libzmq,
        // and with a short queue what one peer can make the worker hold stays ~64 × 9 MiB.
        o.maxMessageSize = Envelope.controlMaxSize
        o.receiveHighWaterMark = 64
        if let curve { o.curve = .server(curve.keys, curve.control) }
        return o
    }
}

extension ComputeLoop {
    /// Whether `sender` may change the stage: anyone when nothing is loaded; else only the key that loaded it.
    /// (Without keys every sender is nil, so nobody can be told apart: that mode trusts the network.)
    func authorize(_ message: WireMessage, sender: String?) -> ErrorMessage? {
        guard let loaded, loaded.owner != sender else { return nil }
        switch message {
        case .loadStage, .openSession, .reusePrefix, .closeSession:
            logger.warning("refused a request from a key that does not own the stage",
                           metadata: ["request": "\(message.kind)", "key": "\(sender ?? "none")", "owner": "\(loaded.owner ?? "none")"])
            return ErrorMessage(code: .permissionDenied, message: "stage \(loaded.request.stageIndex) of this worker belongs to "
                                + "coordinator key \(loaded.owner ?? "none"); \(message.kind) from key \(sender ?? "none") refused "
                                + "(restart the worker to hand it to another coordinator)")
        default:
            return nil
        }
    }

    /// Whether a data message's sender is the previous hop of the stage in force (always, without keys).
    func admits(dataFrom sender: String?, stage: LoadedStage) -> Bool {
        guard let expected = stage.previousHopKey else { return true }
        guard sender == expected.z85 else {
            logger.warning("data message from a key that is not the previous hop: dropped",
                           metadata: ["key": "\(sender ?? "none")", "expected": "\(expected.z85)"])
            return false
        }
        return true
    }

    /// The PUSH to `request.nextHop`, queueing at most `queue` messages: a CURVE client pinning the next hop's
    /// key when this worker has keys.
    func nextHopSocket(_ request: LoadStage, keys: WorkerCurve.HopKeys?, queue: Int32) throws -> ZMQSocket {
        var options = ZMQSocketOptions()
        options.sendHighWaterMark = queue
        if let curve = server.curve, let keys { options.curve = .client(curve.keys, serverKey: keys.next) }
        let next = try server.context.socket(.push, options: options)
        try next.connect(request.nextHop)
        return next
    }
}
