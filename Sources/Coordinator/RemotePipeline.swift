import Engine
import Foundation
import Llama
import Logging
import Synchronization
import Wire

/// How the coordinator reaches and sets up its workers.
public struct RemotePipelineOptions: Sendable {
    public var modelPath: String
    public var workers: [String]
    /// The split, unless `autoSplit` is set.
    public var plan: StagePlan
    /// `--split auto`: at the first connect, plan from the workers' memory budgets (HelloReply) instead.
    public var autoSplit: ModelFootprint?
    public var contextLength: Int
    /// The user's rope scaling in place of the file's (sent with every LoadStage); nil keeps the file's.
    public var ropeScaling: RopeScaling?
    public var maxSessions = 16
    public var kvType: Llama.KVType = .f16
    /// Prompt chunk size: at most the workers' --batch-size.
    public var maxBatch = 256
    /// Host the last stage reaches this coordinator at; nil = the local address facing the workers.
    public var advertiseHost: String?
    public var controlTimeout: Duration = .milliseconds(1500)
    public var loadTimeout: Duration = .seconds(900)
    /// Stream a stage's weights to a worker that has no copy of the model (it caches them).
    public var streamWeights = true
    /// A worker not heard from for this long gets a heartbeat (a Health request with this timeout); silent
    /// for twice as long it is suspect.
    public var heartbeatInterval: Duration = .milliseconds(250)
    /// A worker silent this long is dead: the steps waiting on the pipeline fail naming its stage.
    public var deadAfter: Duration = .seconds(1)
    /// A step whose result has not come after this long fails (a stage that is alive but never answers).
    public var stepTimeout: Duration = .seconds(120)
    /// How long a step that lost a stage waits for the pipeline to come back (the worker restarted) before it
    /// fails; zero fails it at once.
    public var recoverTimeout: Duration = .zero
    /// Standby workers (`--standby`): they load nothing until a stage's worker is found dead or draining, then one
    /// takes over that stage (from its own copy, its weight cache, or streamed) and the sessions resume on it.
    public var standbys: [String] = []
    /// CURVE keys (this coordinator's and each worker's); nil = no security, allowed only on loopback unless `insecure`.
    public var security: PipelineSecurity?
    /// Bind the result socket to a reachable address without keys anyway (`--insecure`).
    public var insecure = false
    /// Called with what each stage reported about each step (compute and queue time, batch size), e.g. for metrics.
    public var onStageTimings: (@Sendable ([StageStepTiming]) -> Void)?
    /// Prompt chunks sent one behind the other without waiting (pipelined prefill), at most `maxBatch`;
    /// 0 sends batches of `maxBatch` one at a time.
    public var prefillChunk = RemotePipelineOptions.defaultPrefillChunk
    /// Start a request from the KV of an earlier one sharing its prompt's start (the workers keep closed sessions'
    /// caches within their --prefix-cache-mb).
    public var reusePrefixes = true
    /// Called with the positions each reused prefix saved, e.g. for metrics.
    public var onPrefixReuse: (@Sendable (Int) -> Void)?

    public init(modelPath: String, workers: [String], plan: StagePlan, contextLength: Int) {
        self.modelPath = modelPath; self.workers = workers; self.plan = plan; self.contextLength = contextLength
    }
}

/// What one stage reported about one step.
public struct StageStepTiming: Sendable, Equatable {
    public var stage: Int
    public var computeSeconds: Double
    public var queueSeconds: Double
    /// Sessions in the batch the step was computed in (0 from a worker before protocol 1.4).
    public var batchSessions: Int
}

extension RemotePipelineOptions {
    public static let defaultPrefillChunk = 64
}

/// Stages on `baton worker` processes, joined in a ring: token ids go to stage 0, hidden states travel from
/// stage to stage, and the last stage sends the sampled token back here. N stages = N+1 hops per token.
/// Concurrency: see `WorkerLink` (one actor per worker, on its own queue); everything here is `let` or a `Mutex`.
public final class RemotePipeline: Pipeline, Sendable {
    public let options: RemotePipelineOptions
    let context: ZMQContext
    /// The worker serving each stage; a promoted standby replaces a dead one (see RemotePipeline+Standby).
    let linkTable: Mutex<[WorkerLink]>
    var links: [WorkerLink] { linkTable.withLock { $0 } }
    /// Standbys not promoted yet.
    let standbyPool: Mutex<[Standby]>
    /// With keys: the public key of the worker serving each stage now (a promoted standby's replaces the dead one's).
    let stageKeys: Mutex<[CurveKey]>
    let logger = Logger(label: "baton.coordinator")
    /// Where the last stage sends results (bound here, advertised to it).
    let resultsEndpoint: String
    let receiver: ResultReceiver
    /// The ZAP handler admitting only the last stage on the result socket (with keys), and that socket's domain.
    let authenticator: ZAPAuthenticator?
    let resultsDomain: ZAPAuthenticator.Domain?
    /// PUSH to stage 0's data endpoint, and which endpoint it is connected to.
    let toFirstStage: Mutex<(socket: ZMQSocket, endpoint: String?)>
    let sessions = Mutex<[UInt64: SessionState]>([:])
    /// Closed sessions' histories, for prompt-prefix reuse (RemotePipeline+Prefix).
    let prefixIndex = Mutex(PrefixIndex())
    let healthy = Atomic<Bool>(false)
    /// Each stage's liveness, by stage index (heartbeats and every reply feed it).
    let liveness: LivenessBoard
    /// Step latencies and the stages' compute time inside them, for the benchmark's per-hop figure.
    public let stats = Mutex(PipelineStats())
    /// How each stage was loaded at the last `connect` (bytes streamed, from cache), by stage index.
    public let stageLoads = Mutex<[Int: StageLoad]>([:])
    /// The set-up in progress, which concurrent callers of `connect` share.
    private let setup = Mutex<Task<Void, any Error>?>(nil)
    /// Whether a set-up is talking to the workers now (its own requests count as hearing from them).
    var settingUp: Bool { setup.withLock { $0 != nil } }
    /// The split in use: `options.plan`, or the one planned from the workers' budgets at the first connect
    /// (kept afterwards, so a restarted worker gets the same layers back).
    private let planned: Mutex<StagePlan?>
    let heartbeat = Mutex<Task<Void, Never>?>(nil)
    /// Heartbeats so far (every 4th asks every worker, not only the quiet ones).
    let beats = Atomic<Int>(0)
    /// Endpoints of workers that said they are draining, so each is moved (or reported) once.
    let drainingSeen = Mutex<Set<String>>([])

    struct SessionState {
        let options: SessionOptions
        var position = 0
        var step: UInt64 = 0
        /// The tokens at positions 0..<position (what recovery evaluates again on a new pipeline).
        var history: [Int32] = []
    }

    public var maxBatch: Int { options.maxBatch }
    public var maxContext: Int { options.contextLength }
    public var stageCount: Int { links.count }

    public init(options: RemotePipelineOptions) throws {
        self.options = options
        planned = Mutex(options.autoSplit == nil ? options.plan : nil)
        let context = try ZMQContext()
        self.context = context
        let liveness = LivenessBoard(count: options.workers.count, heartbeat: options.heartbeatInterval,
                                     deadAfter: options.deadAfter)
        self.liveness = liveness
        let host = options.advertiseHost ?? LocalAddress.facing(options.workers.last ?? "tcp://127.0.0.1:1")
        let resultsBind = "tcp://\(host == "127.0.0.1" ? "127.0.0.1" : "0.0.0.0"):*"
        authenticator = try Self.prepareSecurity(options, context: context, resultsBind: resultsBind)
        linkTable = Mutex(try options.workers.enumerated().map { i, endpoint in
            try WorkerLink(context: context, endpoint: endpoint, stageIndex: i,
                           options: options.security.map { $0.controlOptions(serverKey: $0.workerKeys[i]) } ?? .control)
        })
        let standbyKeys = options.security?.standbyKeys
        standbyPool = Mutex(options.standbys.enumerated().map { Standby(endpoint: $1, key: standbyKeys?[$0]) })
        stageKeys = Mutex(options.security?.workerKeys ?? [])
        let roles = Self.dataRoles(options.security, authenticator: authenticator)
        resultsDomain = roles.results
        var pullOptions = ZMQSocketOptions()
        pullOptions.maxMessageSize = Self.resultMessageLimit(maxBatch: options.maxBatch)
        pullOptions.receiveHighWaterMark = 1000
        pullOptions.curve = roles.pull
        let pull = try context.socket(.pull, options: pullOptions)
        let bound = try pull.bind(resultsBind)
        resultsEndpoint = "tcp://\(host):\(bound.split(separator: ":").last ?? "0")"
        var pushOptions = ZMQSocketOptions()
        pushOptions.sendHighWaterMark = 10_000
        pushOptions.curve = roles.push
        toFirstStage = Mutex((try context.socket(.push, options: pushOptions), nil))
        // A result has passed through every stage: each is alive.
        receiver = try ResultReceiver(context: context, socket: pull) { liveness.heardAll() }
        startHeartbeat()
    }

    /// The largest TokenResult: a chunk's prompt log-probabilities, each row with at most
    /// `OpenSession.maxTopLogprobs` alternatives (well under 1 KiB a row), plus the stages' timings. A bigger
    /// message gets its sender cut off by libzmq before it is decoded.
    static func resultMessageLimit(maxBatch: Int) -> Int {
        min(Envelope.defaultMaxSize, saturatingSum([saturatingProduct([max(1, maxBatch), 1 << 10]), 64 << 10]))
    }

    deinit {
        heartbeat.withLock { $0?.cancel() }
        receiver.stop()
    }

    /// Greets every worker and loads its stage. Stages already loaded with the same request only re-point
    /// their next hop, so calling this again after a worker restarts is cheap for the others. Concurrent calls
    /// share one set-up.
    public func connect(progress: @escaping @Sendable (String) -> Void = { _ in }) async throws {
        let task = setup.withLock { running -> Task<Void, any Error> in
            if let running { return running }
            let task = Task { try await self.setUp(progress: progress) }
            running = task
            return task
        }
        defer { setup.withLock { if $0 == task { $0 = nil } } }
        try await task.value
    }

    private func setUp(progress: @Sendable (String) -> Void) async throws {
        healthy.store(false, ordering: .relaxed)
        var hellos: [HelloReply] = []
        for link in links { hellos.append(try await greet(link)) }
        let plan = try resolvePlan(hellos)
        var hops: [String] = []
        for i in links.indices {
            guard i + 1 < links.count else { hops.append(resultsEndpoint); break }
            guard let data = await links[i + 1].dataEndpoint else {
                throw PipelineError.notReady("worker \(links[i + 1].endpoint) reported no data endpoint")
            }
            hops.append(data)
        }
        // Last stage first: with keys, a stage's data socket admits its previous hop only once its LoadStage named
        // it, and libzmq never retries a connection whose CURVE handshake was refused, so each PUSH must connect
        // after the stage it feeds is loaded (every LoadStage makes a fresh PUSH).
        for (i, link) in links.enumerated().reversed() {
            progress("stage \(i): loading \(plan.spec(i)) on \(link.endpoint)")
            let loaded = try await loadStage(i, nextHop: hops[i], progress: progress)
            progress("stage \(i): \(loaded.weightBytes >> 20) MiB of weights ready in \(loaded.loadMilliseconds) ms"
                     + (loaded.fromCache ? " (from the worker's cache)" : ""))
        }
        try await pointFirstStage()
        healthy.store(true, ordering: .relaxed)
    }

    /// Runs `body` on `link` and counts any answer, even an Error reply, as hearing from the worker.
    func heard<T: Sendable>(_ link: WorkerLink, _ body: () async throws(PipelineError) -> T) async throws(PipelineError) -> T {
        do {
            let value = try await body()
            liveness.heard(link.stageIndex)
            return value
        } catch {
            if error.answered { liveness.heard(link.stageIndex) }
            throw error
        }
    }

    /// One control request to `link`, its answer counted for liveness.
    func request(_ link: WorkerLink, _ message: WireMessage, timeout: Duration) async throws(PipelineError) -> WireMessage {
        try await heard(link) { () async throws(PipelineError) in try await link.request(message, timeout: timeout) }
    }

    /// The split in use; before the first connect of an auto split, the fixed `options.plan`.
    public var plan: StagePlan { planned.withLock { $0 } ?? options.plan }

    /// The fixed plan, or (auto split, first connect) one that fits the budgets the workers just reported.
    private func resolvePlan(_ hellos: [HelloReply]) throws -> StagePlan {
        if let plan = planned.withLock({ $0 }) { return plan }
        guard let model = options.autoSplit else { return options.plan }
        let plan = try StagePlan.auto(model, budgets: try Self.budgets(hellos, endpoints: options.workers),
                                      threads: hellos.map { max(1, Int($0.threads)) })
        planned.withLock { $0 = plan }
        logger.notice("auto split \(plan) from the workers' memory budgets")
        return plan
    }

    /// Each worker's offered bytes; a worker that reports none (older build) cannot be planned for.
    static func budgets(_ hellos: [HelloReply], endpoints: [String]) throws -> [Int] {
        try zip(hellos, endpoints).enumerated().map { i, pair in
            guard pair.0.memoryBudgetBytes > 0 else {
                throw PipelineError.unavailable(stage: i, endpoint: pair.1,
                                                reason: "it reports no memory budget (upgrade it) — use --split even")
            }
            return Int(clamping: pair.0.memoryBudgetBytes)
        }
    }

    func loadRequest(stage i: Int, nextHop: String) -> LoadStage {
        let spec = plan.spec(i)
        var request = LoadStage(modelPath: options.modelPath, modelSHA256: "", layerBegin: UInt32(spec.layers.lowerBound),
                                layerEnd: UInt32(spec.layers.upperBound), isFirst: spec.hasEmbedding, isLast: spec.hasHead,
                                contextLength: UInt32(options.contextLength), kvType: options.kvType.wire,
                                maxSessions: UInt32(options.maxSessions), nextHop: nextHop, stageIndex: UInt32(i),
                                stageCount: UInt32(links.count), threads: 0)
        if let scaling = options.ropeScaling {
            request.ropeScaling = scaling.name
            request.ropeScale = scaling.factor
            request.ropeOriginalContext = UInt32(clamping: scaling.originalContext ?? 0)
        }
        stampKeys(&request, stage: i)
        return request
    }

    private func pointFirstStage() async throws {
        guard let endpoint = await links.first?.dataEndpoint else { throw PipelineError.notReady("stage 0 has no data endpoint") }
        try toFirstStage.withLock { push in
            // With keys, reconnect even to the same endpoint: a worker restarted there refused the old connection's
            // handshake until it was loaded again, and libzmq does not retry such a connection.
            guard push.endpoint != endpoint || options.security != nil else { return }
            if let old = push.endpoint { try? push.socket.disconnect(old) }
            // Stage 0's worker may be a promoted standby with a key of its own.
            if let security = options.security, let first = stageKeys.withLock({ $0.first }) {
                try push.socket.setCurve(.client(security.keys, serverKey: first))
            }
            try push.socket.connect(endpoint)
            push.endpoint = endpoint
        }
    }

    /// Every stage's health (a short timeout each).
    public func stageHealth() async throws -> [HealthReply] {
        var replies: [HealthReply] = []
        for link in links {
            guard case .healthReply(let health) = try await request(link, .health, timeout: .milliseconds(400)) else {
                throw PipelineError.unavailable(stage: link.stageIndex, endpoint: link.endpoint, reason: "no health reply")
            }
            replies.append(health)
        }
        return replies
    }
}

/// What the coordinator measured on the data path.
public struct PipelineStats: Sendable {
    public var steps = 0
    public var latencyMicroseconds: Int64 = 0
    /// Sum of every stage's compute time within those steps.
    public var computeMicroseconds: Int64 = 0
    public var bytesSent = 0
    public init() {}
}
