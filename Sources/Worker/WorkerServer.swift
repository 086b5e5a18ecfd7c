import Engine
import Foundation
import Kernels
import Llama
import Logging
import Synchronization
import Wire

/// How a worker process runs.
public struct WorkerOptions: Sendable {
    /// Control endpoint to bind, e.g. "tcp://0.0.0.0:7101".
    public var listen: String
    /// Data endpoint to bind; nil = the control host with a port the OS picks.
    public var dataListen: String?
    public var threads: Int
    public var workerID: String
    /// Most tokens per forward pass (longer prompt chunks are refused).
    public var maxBatch: Int
    /// Bytes offered for a stage (weights + KV caches + scratch); a LoadStage needing more is refused.
    public var memoryBudget: Int
    /// This machine's copy of the model (`--model`); it may differ from the coordinator's path.
    public var modelPath: String?
    /// Where streamed weights are cached (`--cache-dir`); nil = `WeightCache.defaultRoot`.
    public var cacheDirectory: String?
    /// `--model-dir`: the only directory a model path sent by the coordinator may lie in (after resolving
    /// symbolic links); nil = any path, but only a regular `.gguf` file.
    public var modelDirectory: String?
    /// `--cache-max-gb` in bytes: the streamed-weights cache evicts its least recently used entries past it; 0 =
    /// no limit.
    public var cacheLimitBytes: UInt64 = 0
    /// How long a drain (SIGTERM) waits for the worker's sessions to be closed or moved before it exits.
    public var drainTimeout: Duration = .seconds(30)
    /// How long the compute thread busy-waits for the next data message after one (`--poll`); zero = it always
    /// sleeps in the poll. See `ComputeLoop.loop` for why.
    public var pollWindow: Duration
    /// How long the worker waits without any control request or data message before it frees every session
    /// (`--coordinator-timeout`); zero = never.
    public var coordinatorTimeout: Duration
    /// How long a session may go without a forward pass before the worker closes it (`--session-idle-timeout`),
    /// whatever its coordinator does; zero = never.
    public var sessionIdleTimeout: Duration = .seconds(WorkerOptions.defaultSessionIdleSeconds)
    /// CURVE keys and the coordinators admitted (`--key`, `--authorized-keys`); nil = no security.
    public var security: WorkerSecurity?
    /// `--insecure`: bind a non-loopback address without keys anyway.
    public var insecure = false
    /// `--prefix-cache-mb` in bytes: closed sessions' KV caches kept for prompt-prefix reuse, at most what the
    /// loaded stage leaves of `memoryBudget`; 0 = closing frees them.
    public var prefixCacheBytes = 0

    /// Long enough to cover the other stages' compute between two tokens of a small model.
    public static let defaultPollMilliseconds = 50
    /// Far longer than any pause inside a request (a session lives one request; the next turn of a chat reuses a
    /// closed session's cache, not the session).
    public static let defaultSessionIdleSeconds = 300

    public init(listen: String, dataListen: String? = nil, threads: Int, workerID: String, maxBatch: Int = 256,
                memoryBudget: Int = MemoryBudget.machineDefault(), modelPath: String? = nil, cacheDirectory: String? = nil,
                pollWindow: Duration = .milliseconds(WorkerOptions.defaultPollMilliseconds), coordinatorTimeout: Duration = .seconds(60),
                security: WorkerSecurity? = nil, insecure: Bool = false, modelDirectory: String? = nil, cacheLimitBytes: UInt64 = 0,
                drainTimeout: Duration = .seconds(30)) {
        self.listen = listen; self.dataListen = dataListen; self.threads = threads
        self.workerID = workerID; self.maxBatch = maxBatch; self.memoryBudget = memoryBudget; self.modelPath = modelPath
        self.cacheDirectory = cacheDirectory; self.pollWindow = pollWindow; self.coordinatorTimeout = coordinatorTimeout
        self.security = security; self.insecure = insecure
        self.modelDirectory = modelDirectory; self.cacheLimitBytes = cacheLimitBytes; self.drainTimeout = drainTimeout
    }

    /// `--cache-dir` without `--model`: this worker never reads the coordinator's model path, it always
    /// loads from its cache or has the weights streamed.
    public var streamedOnly: Bool { modelPath == nil && cacheDirectory != nil }

    /// The local copy to load for a LoadStage naming `requested`, or nil when this worker has none to try.
    public func localModel(requested: String) -> String? {
        modelPath ?? (streamedOnly ? nil : requested)
    }

    /// Why this worker will not open `path`, a model path the coordinator sent (nil: it may). A peer must not
    /// make it open, or learn anything of, files that are not models: only a regular file named `*.gguf`,
    /// inside `modelDirectory` when one is set.
    public func refusal(ofRequestedPath path: String) -> String? {
        let resolved = Self.resolve(path)
        if let directory = modelDirectory {
            let root = Self.resolve(directory)
            guard resolved.hasPrefix(root.hasSuffix("/") ? root : root + "/") else {
                return "the coordinator's model path \(path) lies outside --model-dir \(directory); put the model there "
                    + "or start the worker with --model PATH"
            }
        }
        var info = stat()
        guard stat(resolved, &info) == 0 else { return nil }   // missing: loading names it, as before
        guard (info.st_mode & S_IFMT) == S_IFREG, resolved.hasSuffix(".gguf") else {
            return "the coordinator's model path \(path) is not a regular .gguf file; this worker opens no other path "
                + "(start it with --model PATH for another name)"
        }
        return nil
    }

    /// `path` with symbolic links, `.` and `..` resolved (as far as it exists).
    private static func resolve(_ path: String) -> String {
        guard let real = realpath(path, nil) else { return URL(fileURLWithPath: path).standardizedFileURL.path }
        defer { free(real) }
        return String(cString: real)
    }
}

/// A `baton worker` process: its IO thread answers control requests (Hello and Health at once, even while
/// the stage computes, so a busy worker is never mistaken for a dead one) and hands everything that touches
/// the stage to the compute thread, which also receives and sends the data ring.
/// Invariant for `@unchecked Sendable`: its sockets live on the IO thread that `run` starts; what the compute
/// thread shares with it is `status` and `lastControl` (Mutexes) and immutable options.
public final class WorkerServer: @unchecked Sendable {
    public let options: WorkerOptions
    let context: ZMQContext
    let status = Mutex(HealthReply())
    /// When a greeted peer last sent a control request (a heartbeat counts): the compute thread frees the
    /// sessions of a coordinator that has gone quiet.
    let lastControl = Mutex(ContinuousClock.now)
    /// Set when a drain began (SIGTERM): new sessions are refused and HealthReply says so.
    let draining = Atomic<Bool>(false)
    /// The ZAP handler and key policies, when the worker has keys (set up before any socket binds).
    let curve: WorkerCurve?
    let logger = Logger(label: "baton.worker")
    /// Unreadable control requests are logged at most once a second (anyone may send junk).
    let junkLog = LogThrottle()
    private let started = ContinuousClock.now

    public init(options: WorkerOptions) throws {
        self.options = options
        let context = try ZMQContext()
        self.context = context
        curve = try options.security.map { try WorkerCurve($0, context: context) }
    }

    /// Serves until `shouldStop` returns true, or a drain that `shouldDrain` asked for is over (both checked
    /// every 100 ms; see `drainIsOver`). `ready` gets the bound control and data endpoints once both listen.
    public func run(shouldStop: @escaping @Sendable () -> Bool, shouldDrain: @escaping @Sendable () -> Bool = { false },
                    ready: (_ control: String, _ data: String) -> Void = { _, _ in }) throws {
        let dataListen = options.dataListen ?? Self.dataEndpoint(for: options.listen)
        try checkExposure(control: options.listen, data: dataListen)
        try options.checkBatchSizeAgainstModel()
        let control = try ControlServer(context: context, bindTo: options.listen, options: controlOptions)
        let link = try context.socket(.pair)
        let inproc = "inproc://baton-compute-\(UInt64.random(in: 1...UInt64.max))"
        try link.bind(inproc)
        let compute = ComputeLoop(server: self, inproc: inproc, dataListen: dataListen)
        let dataEndpoint = try compute.start()
        ready(control.endpoint, dataEndpoint)
        logger.info("worker listening", metadata: ["control": "\(control.endpoint)", "data": "\(dataEndpoint)",
                                                   "memory_budget": "\(StageFootprint.format(options.memoryBudget))",
                                                   "curve_key": "\(curve?.keys.publicKey.z85 ?? "none (no security)")"])
        var greeted = Set<[UInt8]>()
        var drain = Drain()
        while !shouldStop() && !(shouldDrain() && drainIsOver(&drain)) {
            let readable = try ZMQPoller.readable([control.socket, link], timeout: .milliseconds(100))
            if readable[0], let request = try control.receiveRequest(timeout: .zero) {
                try serve(request, control: control, link: link, greeted: &greeted, dataEndpoint: dataEndpoint)
            }
            if readable[1] {
                let frames = try link.receive(timeout: .zero)   // [peer, reply] from the compute thread
                do { try control.socket.send(frames, timeout: control.replyTimeout) } catch {
                    logger.warning("could not deliver a reply: the coordinator is gone", metadata: ["error": "\(error)"])
                }
            }
        }
        compute.stop()
    }

    private func serve(_ request: ControlServer.Request, control: ControlServer, link: ZMQSocket,
                       greeted: inout Set<[UInt8]>, dataEndpoint: String) throws {
        switch decide(request.message, from: request.peer, greeted: &greeted, dataEndpoint: dataEndpoint) {
        case .compute(let message):
            // Forward the raw request and its sender's key to the compute thread; it replies through the link.
            let envelope = Envelope(requestID: request.requestID, message: message).encode()
            try link.send([request.peer, Array((request.sender ?? "").utf8), envelope], timeout: .seconds(5))
        case .answer(let answer):
            do { try control.reply(to: request, with: answer) } catch {
                logger.warning("could not answer a control request", metadata: ["error": "\(error)"])
            }
        }
    }

    /// What the IO thread does with one control request: answer it at once, or hand it to the compute thread.
    enum ControlDecision {
        case answer(WireMessage)
        case compute(WireMessage)
    }

    /// The IO thread's handling of one request from `peer`, without the sockets (SocketlessWorker drives it too).
    func decide(_ message: Result<WireMessage, WireError>, from peer: [UInt8], greeted: inout Set<[UInt8]>,
                dataEndpoint: String) -> ControlDecision {
        switch message {
        case .failure(let error):
            junkLog.warning(logger, "unreadable control request", metadata: ["error": "\(error)"])
            return .answer(.error(ControlServer.errorReply(for: error)))
        case .success(.hello(let hello)):
            let answer = Handshake.answer(hello) { helloReply(dataEndpoint: dataEndpoint) }
            if case .helloReply = answer { greeted.insert(peer) }
            return .answer(answer)
        case .success where !greeted.contains(peer):
            return .answer(.error(ErrorMessage(code: .badRequest, message: "send Hello first")))
        case .success(.health):
            lastControl.withLock { $0 = .now }
            return .answer(.healthReply(health()))
        case .success(let message) where message.isStageRequest:
            lastControl.withLock { $0 = .now }
            return .compute(message)
        case .success(let message):
            return .answer(.error(ErrorMessage(code: .badRequest, message: "\(message.kind) is not a control request")))
        }
    }

    private func helloReply(dataEndpoint: String) -> HelloReply {
        let memory = SystemMemory.machine()
        return HelloReply(workerID: options.workerID, threads: UInt32(options.threads),
                          freeMemoryBytes: memory.available, totalMemoryBytes: memory.total,
                          capabilities: [.kvF16, .kvF32, .promptLogprobs, .weightStreaming, .forwardBatch, .prefixReuse], dataEndpoint: dataEndpoint,
                          softwareVersion: "baton 0.1", memoryBudgetBytes: UInt64(options.memoryBudget))
    }

    private func health() -> HealthReply {
        var reply = status.withLock { $0 }
        let memory = SystemMemory.machine()
        reply.freeMemoryBytes = memory.available
        reply.totalMemoryBytes = memory.total
        (reply.residentBytes, reply.peakResidentBytes) = SystemMemory.resident()
        reply.draining = draining.load(ordering: .relaxed)
        reply.uptimeMilliseconds = UInt64(clamping: (ContinuousClock.now - started).microseconds / 1000)
        return reply
    }

    /// The data socket binds on the control endpoint's host with an OS-chosen port.
    static func dataEndpoint(for control: String) -> String {
        guard let colon = control.lastIndex(of: ":") else { return "tcp://127.0.0.1:*" }
        return String(control[..<colon]) + ":*"
    }
}

extension WireMessage {
    /// Requests the compute thread answers because they touch the stage.
    var isStageRequest: Bool {
        switch self {
        case .loadStage, .openSession, .reusePrefix, .closeSession, .weightOffer, .weightChunk, .weightDone: true
        default: false
        }
    }
}
