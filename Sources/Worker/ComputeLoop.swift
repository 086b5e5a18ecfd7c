import Engine
import Foundation
import GGUF
import Kernels
import Llama
import Logging
import Synchronization
import Wire

/// The worker's compute thread. It owns the stage and every socket that carries its work: the link to the IO
/// thread (stage requests in, replies out), the data PULL it binds, and the PUSH to the next hop.
/// Invariant for `@unchecked Sendable`: everything mutable (the stage, its sockets) is touched only by the
/// compute thread it starts; other threads use only `stopFlag` (atomic) and `finished`.
final class ComputeLoop: @unchecked Sendable {
    unowned let server: WorkerServer
    private let inproc: String
    private let dataListen: String
    private let stopFlag = Atomic<Bool>(false)
    private let finished = DispatchSemaphore(value: 0)
    let logger = Logger(label: "baton.worker.compute")
    /// Data messages that cannot be computed are logged at most once a second (anyone may send junk).
    let junkLog = LogThrottle()
    /// A next hop that takes nothing is reported every 5 s while it lasts.
    let stallLog = LogThrottle(interval: .seconds(5))
    let pool: ThreadPool
    /// The loaded stage, its request and its PUSH to the next hop.
    var loaded: LoadedStage?
    /// Weight transfers from the coordinator into the cache.
    let receiver: WeightReceiver
    /// The data PULL, bound by `start` (nil when driven without sockets, as SocketlessWorker does).
    var inlet: DataInlet?
    /// Bytes verified and loaded from the weight cache since start.
    var bytesFromCache: UInt64 = 0
    /// Data messages read from the ring and not computed yet: the next batches.
    var inbox: [DataItem] = []
    /// Items and batches read ahead at most: enough that a batch can pass over a long prompt's later chunks to
    /// other sessions' tokens; what stays unread waits in the socket, bounded by its high-water mark.
    static let inboxLimit = 1024
    static let readAheadBatches = 4

    init(server: WorkerServer, inproc: String, dataListen: String) {
        self.server = server
        self.inproc = inproc
        self.dataListen = dataListen
        pool = ThreadPool(threads: server.options.threads)
        receiver = WeightReceiver(cache: WeightCache(root: server.options.cacheDirectory ?? WeightCache.defaultRoot,
                                                     limitBytes: server.options.cacheLimitBytes),
                                  logger: Logger(label: "baton.worker.weights"))
    }

    /// Starts the thread; returns the bound data endpoint once it listens.
    func start() throws -> String {
        let ready = DispatchSemaphore(value: 0)
        let outcome = Mutex<Result<String, any Error>?>(nil)
        let thread = Thread { [self] in
            do {
                let link = try server.context.socket(.pair)
                try link.connect(inproc)
                let inlet = try DataInlet(context: server.context, listen: dataListen,
                                          curve: server.curve.map { .server($0.keys, $0.data) })
                self.inlet = inlet
                outcome.withLock { $0 = .success(inlet.endpoint) }
                ready.signal()
                loop(link: link, inlet: inlet)
            } catch {
                outcome.withLock { $0 = .failure(error) }
                ready.signal()
            }
            finished.signal()
        }
        thread.name = "baton-compute"
        thread.stackSize = 8 << 20
        thread.start()
        ready.wait()
        guard let result = outcome.withLock({ $0 }) else { throw WireError.invalid("compute thread did not start") }
        return try result.get()
    }

    func stop() {
        stopFlag.store(true, ordering: .relaxed)
        finished.wait()
    }

    /// Serves stage requests and the data ring until stopped. After each data message the thread busy-polls for
    /// `pollWindow` (yielding the core to anything else runnable) instead of sleeping in the kernel: in a
    /// pipeline every stage idles while the others compute, and a vCPU that halts between tokens comes back
    /// with cold caches and a slow wake-up. Measured on this 2-core VM: the same decode ran 5–10% slower
    /// after 5 ms sleeps than after 5 ms of spinning, and a hop took ~170 µs instead of ~110 µs. Past the
    /// window (an idle worker) it sleeps in the poll as before.
    private func loop(link: ZMQSocket, inlet: DataInlet) {
        let window = server.options.pollWindow
        var lastData = ContinuousClock.now - window
        var lastExpiry = ContinuousClock.now
        while !stopFlag.load(ordering: .relaxed) {
            do {
                if ContinuousClock.now - lastExpiry > .seconds(1) {
                    lastExpiry = .now
                    closeIdleSessions()
                }
                // Results the next hop has not taken: read nothing more until they go, retrying every 1 ms.
                let backlog = loaded?.outbox.isEmpty == false
                let polling = ContinuousClock.now - lastData < window
                let timeout: Duration = backlog ? .milliseconds(1) : polling || !inbox.isEmpty ? .zero : .milliseconds(100)
                let readable = try ZMQPoller.readable(backlog ? [link] : [link, inlet.socket], timeout: timeout)
                if readable[0] { try serveControl(link: link) }
                let dataReadable = !backlog && readable[1]
                if dataReadable || !inbox.isEmpty || backlog {
                    try serveData(inlet.socket, readable: dataReadable)
                    lastData = .now
                } else if polling && !readable[0] {
                    sched_yield()
                } else if !polling {
                    freeSessionsOfAQuietCoordinator(lastData: lastData)
                }
            } catch {
                logger.error("compute loop", metadata: ["error": "\(error)"])
            }
        }
        loaded = nil
    }

    /// With no data message and no control request for `coordinatorTimeout`, the coordinator that opened the
    /// sessions has crashed or lost the network (a live one sends a heartbeat every 250 ms): free their KV.
    private func freeSessionsOfAQuietCoordinator(lastData: ContinuousClock.Instant) {
        let timeout = server.options.coordinatorTimeout
        guard timeout > .zero, let loaded, loaded.engine.sessionCount > 0 else { return }
        let heard = max(lastData, server.lastControl.withLock { $0 })
        guard ContinuousClock.now - heard > timeout else { return }
        let freed = loaded.engine.closeAll()
        logger.warning("freed every session: no word from the coordinator", metadata: ["sessions": "\(freed)", "for": "\(timeout)"])
        publishStatus()
    }

    /// Closes the sessions without a forward pass for `--session-idle-timeout`, even while the coordinator beats:
    /// whoever opened them holds memory and a session slot for nothing.
    private func closeIdleSessions() {
        let timeout = server.options.sessionIdleTimeout
        guard timeout > .zero, let loaded, loaded.engine.sessionCount > 0 else { return }
        let closed = loaded.engine.closeIdle(since: .now - timeout)
        guard !closed.isEmpty else { return }
        logger.notice("closed idle sessions", metadata: ["sessions": "\(closed)", "idle_for": "\(timeout)"])
        publishStatus()
    }

    /// One stage request from the IO thread: [peer, sender key, envelope] in, [peer, reply envelope] out.
    private func serveControl(link: ZMQSocket) throws {
        let frames = try link.receive(timeout: .zero)
        guard frames.count == 3 else { return }
        let sender = frames[1].isEmpty ? nil : String(decoding: frames[1], as: UTF8.self)
        let envelope = try Envelope.decode(frames[2], maxSize: Envelope.defaultMaxSize)
        let reply = reply(to: envelope.message, sender: sender)
        try link.send([frames[0], Envelope(requestID: envelope.requestID, message: reply).encode()], timeout: .seconds(5))
    }

    /// The compute thread's answer to one stage request from `sender`, the key that sent it (nil without CURVE).
    /// SocketlessWorker drives it without the link.
    func reply(to message: WireMessage, sender: String? = nil) -> WireMessage {
        let reply: WireMessage
        if let refusal = authorize(message, sender: sender) {
            reply = .error(refusal)
        } else { reply = stageReply(message, sender: sender) }
        publishStatus()
        return reply
    }

    private func stageReply(_ message: WireMessage, sender: String?) -> WireMessage {
        switch message {
        case .loadStage(let request): load(request, owner: sender)
        case .openSession(let request): open(request)
        case .reusePrefix(let request): reuse(request)
        case .closeSession(let request): close(request)
        case .weightOffer, .weightChunk, .weightDone: receiver.handle(message)
        default: .error(ErrorMessage(code: .badRequest, message: "\(message.kind) is not a stage request"))
        }
    }

    /// Reads what waits on the ring (up to a batch's rows), computes the next batch and sends its results on.
    /// Unreadable bytes are dropped with a log line (there is no session to blame); an Error from an earlier
    /// stage is passed on so it reaches the coordinator.
    private func serveData(_ data: ZMQSocket, readable: Bool) throws {
        guard let loaded else {
            if readable { _ = try data.receive(timeout: .zero) }
            inbox.removeAll()
            junkLog.warning(logger, "data message before any stage was loaded: dropped")
            return
        }
        guard flush(loaded) else { return }
        var rows = inbox.reduce(0) { $0 + $1.rows }             // of the Forwards read and not computed yet
        var sender: String?
        while readable, inbox.count < Self.inboxLimit, rows < Self.readAheadBatches * loaded.engine.stage.maxBatch,
              let frames = try waiting(data, sender: &sender) {
            let read = admits(dataFrom: sender, stage: loaded) ? items(in: frames) : []
            inbox += read
            rows += read.reduce(0) { $0 + $1.rows }
        }
        loaded.outbox += computeNextBatch(&inbox, stage: loaded).map { Envelope(requestID: 0, message: $0).encode() }
        flush(loaded)
        publishStatus()
    }

    /// Sends what waits for the next hop without blocking; false when some of it must wait (its queue is full:
    /// it is slow, or down). Nothing more is computed meanwhile, so the outbox holds one batch's results at most
    /// and a dead next hop costs nothing but the stage's own stall — control requests are answered on.
    @discardableResult
    private func flush(_ loaded: LoadedStage) -> Bool {
        while let bytes = loaded.outbox.first {
            guard deliver(bytes, loaded) else {
                stallLog.warning(logger, "the next hop takes no more data: holding results until it does",
                                 metadata: ["next": "\(loaded.request.nextHop)", "waiting": "\(loaded.outbox.count)"])
                return false
            }
            loaded.outbox.removeFirst()
        }
        return true
    }

    /// Sends one message without waiting; false when the next hop's queue is full. Any other failure drops it.
    private func deliver(_ bytes: [UInt8], _ loaded: LoadedStage) -> Bool {
        do {
            try loaded.next.send(bytes, timeout: .zero)
            loaded.bytesSent += UInt64(bytes.count)
            loaded.messagesSent += 1
        } catch WireError.timeout {
            return false
        } catch {
            logger.error("next hop unreachable: result dropped", metadata: ["next": "\(loaded.request.nextHop)", "error": "\(error)"])
        }
        return true
    }

    /// The next data message waiting on the socket; nil when none waits.
    private func waiting(_ data: ZMQSocket, sender: inout String?) throws -> [[UInt8]]? {
        do { return try data.receive(timeout: .zero, sender: &sender) } catch WireError.timeout { return nil }
    }

    /// What one data message makes `loaded` send to its next hop, computed batch by batch (SocketlessWorker).
    func outputs(for frames: [[UInt8]], stage loaded: LoadedStage) -> [WireMessage] {
        var pending = items(in: frames)
        var out: [WireMessage] = []
        while !pending.isEmpty { out += computeNextBatch(&pending, stage: loaded) }
        return out
    }

    private func publishStatus() {
        var health = HealthReply()
        health.weightBytesReceived = receiver.totalReceived
        health.weightBytesFromCache = bytesFromCache
        if let loaded {
            health.loaded = true
            health.stageIndex = loaded.request.stageIndex
            health.layerBegin = loaded.request.layerBegin
            health.layerEnd = loaded.request.layerEnd
            health.sessions = UInt32(loaded.engine.sessionCount)
            health.maxSessions = UInt32(loaded.engine.maxSessions)
            health.forwardsDone = loaded.forwardsDone
            health.dataBytesSent = loaded.bytesSent
            health.dataMessagesSent = loaded.messagesSent
            let prefix = loaded.engine.prefixCacheStatus
            health.prefixCacheEntries = UInt32(clamping: prefix.entries)
            health.prefixCacheBytes = UInt64(prefix.bytes)
            health.prefixReuses = prefix.reuses
        }
        server.status.withLock { $0 = health }
    }
}
