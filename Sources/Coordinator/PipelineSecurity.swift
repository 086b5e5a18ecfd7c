import Wire

/// The coordinator's CURVE identity and the key each worker must prove (`--key`, `tcp://HOST:PORT#KEY`,
/// `--known-workers`). With it every socket of the pipeline is encrypted and authenticated.
public struct PipelineSecurity: Sendable {
    public var keys: CurveKeyPair
    /// Each worker's public key, in the order of `RemotePipelineOptions.workers`.
    public var workerKeys: [CurveKey]
    /// Each standby's public key, in the order of `RemotePipelineOptions.standbys`.
    public var standbyKeys: [CurveKey]

    public init(keys: CurveKeyPair, workerKeys: [CurveKey], standbyKeys: [CurveKey] = []) {
        self.keys = keys
        self.workerKeys = workerKeys
        self.standbyKeys = standbyKeys
    }

    /// A control DEALER that completes its handshake only with a worker proving `serverKey`.
    func controlOptions(serverKey: CurveKey) -> ZMQSocketOptions {
        var o = ZMQSocketOptions.control
        o.curve = .client(keys, serverKey: serverKey)
        return o
    }
}

/// A worker held in reserve for a stage whose worker dies, and the key it must prove (with keys).
struct Standby: Sendable {
    let endpoint: String
    let key: CurveKey?
}

extension RemotePipeline {
    /// The result PULL's and stage-0 PUSH's CURVE roles, and the ZAP domain of the result socket: it admits the
    /// last stage's key alone (ZAP refuses every other client at the handshake, so nobody else can inject a result).
    static func dataRoles(_ security: PipelineSecurity?, authenticator: ZAPAuthenticator?)
        -> (pull: CurveRole?, push: CurveRole?, results: ZAPAuthenticator.Domain?)
    {
        guard let security, let authenticator, let first = security.workerKeys.first, let last = security.workerKeys.last else {
            return (nil, nil, nil)
        }
        let results = authenticator.domain("baton.results", allowing: [last])
        return (.server(security.keys, results), .client(security.keys, serverKey: first), results)
    }

    /// Checks the security configuration before any socket exists: keys for every worker, CURVE in libzmq, and no
    /// keyless result socket on a reachable address unless `insecure`. Returns the ZAP handler when there are keys.
    static func prepareSecurity(_ options: RemotePipelineOptions, context: ZMQContext, resultsBind: String) throws
        -> ZAPAuthenticator?
    {
        try BindPolicy.check(resultsBind, what: "the coordinator's result socket", hasKeys: options.security != nil,
                             insecure: options.insecure)
        guard let security = options.security else { return nil }
        guard security.workerKeys.count == options.workers.count, security.standbyKeys.count == options.standbys.count else {
            throw PipelineError.notReady("\(options.workers.count) workers and \(options.standbys.count) standbys but "
                                         + "\(security.workerKeys.count) and \(security.standbyKeys.count) pinned keys: give every "
                                         + "worker and standby as tcp://HOST:PORT#KEY or list it in --known-workers")
        }
        try Curve.requireAvailable()
        return try ZAPAuthenticator(context: context)
    }

    /// The keys LoadStage tells stage `i` about: who may send it data (this coordinator into stage 0, else the
    /// previous stage's worker), and whose server its PUSH must reach (the next stage's worker, or this coordinator
    /// from the last stage) — the workers serving those stages now, promoted standbys included.
    func stampKeys(_ request: inout LoadStage, stage i: Int) {
        guard let security = options.security else { return }
        let keys = stageKeys.withLock { $0 }
        request.previousHopPublicKey = (i == 0 ? security.keys.publicKey : keys[i - 1]).bytes
        request.nextHopPublicKey = (i + 1 < keys.count ? keys[i + 1] : security.keys.publicKey).bytes
    }

    /// Hello to one worker. With keys, a worker that never answers may be one whose handshake failed (a wrong pinned
    /// key, or this coordinator missing from its --authorized-keys): CURVE gives no error to either side, so say so.
    func greet(_ link: WorkerLink) async throws -> HelloReply {
        do {
            return try await heard(link) { () async throws(PipelineError) in try await link.greet(timeout: self.options.controlTimeout) }
        } catch {
            guard let security = options.security, case .timeout? = error.wireError else { throw error }
            throw PipelineError.unavailable(stage: link.stageIndex, endpoint: link.endpoint, reason: "no answer to Hello: it is down, or the CURVE "
                                            + "handshake failed (check its pinned public key, and that its --authorized-keys "
                                            + "lists this coordinator's key \(security.keys.publicKey.z85))")
        }
    }
}
