import ArgumentParser
import Foundation
import Kernels
import Logging
import Synchronization
import Engine
import Worker

/// Set by the first SIGINT/SIGTERM: the worker drains (see `WorkerServer.run`). A second one sets `stopNow`.
let stopRequested = Atomic<Bool>(false)
let stopNow = Atomic<Bool>(false)

func installStopSignals() {
    for sig in [SIGINT, SIGTERM] {
        signal(sig) { _ in
            if stopRequested.exchange(true, ordering: .relaxed) { stopNow.store(true, ordering: .relaxed) }
        }
    }
}

struct WorkerCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "worker",
        abstract: "Serve one pipeline stage: the coordinator tells it which layers of which model to load.")

    @Option(help: "Control endpoint to bind, e.g. tcp://0.0.0.0:7101.") var listen: String
    @Option(name: .customLong("data-listen"), help: "Data endpoint to bind (default: the control host, any free port).")
    var dataListen: String?
    @Option(name: .shortAndLong, help: "Threads for the math (default: physical cores).") var threads: Int?
    @Option(name: .customLong("batch-size"), help: "Most tokens per forward pass.") var batchSize: Int = 256
    @Option(help: "Name in logs and HelloReply (default: hostname:pid).") var name: String?
    @Option(name: .customLong("max-memory"),
            help: "Memory offered for the stage (weights + KV caches + scratch), e.g. 6G or 512M (default: available memory minus 10%, at least 512 MiB).")
    var maxMemory: String?
    @Option(help: ArgumentHelp("This machine's copy of the model (default: the coordinator's path, if it exists here).",
                               discussion: "Without a local copy the coordinator streams the stage's weights into the cache."))
    var model: String?
    @Option(name: .customLong("cache-dir"),
            help: ArgumentHelp("Cache for streamed weights (default: $XDG_CACHE_HOME/baton/weights or ~/.cache/baton/weights).",
                               discussion: "Given without --model, the worker never reads the coordinator's path: its "
                                   + "weights always come from the cache or are streamed from the coordinator."))
    var cacheDir: String?
    @Option(name: .customLong("model-dir"),
            help: "The only directory a model path sent by the coordinator may lie in (default: any regular .gguf file).")
    var modelDir: String?
    @Option(name: .customLong("cache-max-gb"),
            help: "Disk the streamed-weights cache may take; its least recently used entries are evicted past it (0: no limit).")
    var cacheMaxGB: Double = 0
    @Option(name: .customLong("prefix-cache-mb"),
            help: ArgumentHelp("MiB of closed sessions' KV caches kept so that a request whose prompt starts the same way (a chat's next turn, a shared system prompt) starts from them (0: off).",
                               discussion: "Within --max-memory: only what the loaded stage (weights, every session's KV, scratch) leaves free is used, so a stage is never offered less. Least recently used first out."))
    var prefixCacheMB = 256
    @Option(help: "Log level: trace, debug, info, notice, warning, error.") var logLevel: Logger.Level = .info
    @Option(help: ArgumentHelp("Milliseconds to busy-wait for the next hidden states after each before sleeping (0: never spin).",
                               discussion: "Keeps the core awake between tokens, as llama.cpp's --poll does for its threads: here 2-stage decode ran ~10% faster and each hop ~90 µs shorter, at the price of a core spinning while a generation runs. Use 0 on machines with other busy work."))
    var poll = WorkerOptions.defaultPollMilliseconds
    @Option(name: .customLong("coordinator-timeout"),
            help: ArgumentHelp("Seconds without a word from the coordinator (no control request, no data) after which the worker frees every session (0: never).",
                               discussion: "A coordinator that lives sends a heartbeat at least every 250 ms; one that crashed or lost the network leaves sessions holding KV memory until this frees them."))
    var coordinatorTimeout = 60
    @Option(name: .customLong("session-idle-timeout"),
            help: ArgumentHelp("Seconds a session may go without a forward pass before the worker closes it (0: never).",
                               discussion: "A session lives for one request, whose tokens come milliseconds apart; one left idle was leaked, or opened only to hold a session slot and its KV memory."))
    var sessionIdleTimeout = WorkerOptions.defaultSessionIdleSeconds
    @Option(name: .customLong("drain-timeout"),
            help: "Seconds SIGTERM waits for the coordinator to close or move this worker's sessions before it exits (a second SIGTERM exits at once).")
    var drainTimeout = 30
    @Flag(name: .customLong("exit-with-parent"), help: "Exit when the process that started this one exits (tests, benchmarks).")
    var exitWithParent = false
    @OptionGroup var security: WorkerSecurityOptions

    func validate() throws {
        if let threads, threads < 1 || threads > 512 { throw ValidationError("--threads must be between 1 and 512, got \(threads)") }
        guard listen.hasPrefix("tcp://") || listen.hasPrefix("ipc://") else {
            throw ValidationError("--listen must be a ZeroMQ endpoint like tcp://0.0.0.0:7101, got \(listen)")
        }
        guard batchSize >= 1 && batchSize <= 8192 else { throw ValidationError("--batch-size must be between 1 and 8192") }
        if let maxMemory { _ = try budget(maxMemory) }
        if let model, !FileManager.default.isReadableFile(atPath: model) {
            throw ValidationError("--model \(model) is not a readable file on this machine")
        }
        try Self.validatePoll(poll)
        guard (0...86_400).contains(drainTimeout) else {
            throw ValidationError("--drain-timeout must be between 0 and 86400 seconds, got \(drainTimeout)")
        }
        guard (0...86_400).contains(coordinatorTimeout) else {
            throw ValidationError("--coordinator-timeout must be between 0 and 86400 seconds, got \(coordinatorTimeout)")
        }
        guard (0...86_400).contains(sessionIdleTimeout) else {
            throw ValidationError("--session-idle-timeout must be between 0 and 86400 seconds, got \(sessionIdleTimeout)")
        }
        if let cacheDir, cacheDir.isEmpty { throw ValidationError("--cache-dir must not be empty") }
        guard (0...1 << 30).contains(prefixCacheMB) else { throw ValidationError("--prefix-cache-mb must be between 0 and \(1 << 30)") }
        guard cacheMaxGB.isFinite, (0...1_000_000).contains(cacheMaxGB) else {
            throw ValidationError("--cache-max-gb must be between 0 and 1000000, got \(cacheMaxGB)")
        }
        if let modelDir {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: modelDir, isDirectory: &isDirectory), isDirectory.boolValue else {
                throw ValidationError("--model-dir \(modelDir) is not a directory on this machine")
            }
        }
        guard (security.key == nil) == (security.authorizedKeys == nil) else {
            throw ValidationError("--key and --authorized-keys go together: the worker proves its key and admits only the listed coordinators")
        }
    }

    /// `--poll` of a worker, or of the workers `baton bench` starts: up to a minute.
    static func validatePoll(_ milliseconds: Int) throws {
        guard (0...60_000).contains(milliseconds) else {
            throw ValidationError("--poll must be between 0 and 60000 milliseconds, got \(milliseconds)")
        }
    }

    private func budget(_ text: String) throws -> Int {
        do { return try MemoryBudget.parse(text) } catch { throw ValidationError("--max-memory: \(error)") }
    }

    func run() throws {
        Baton.bootstrapLogging(logLevel)
        installStopSignals()
        let id = name ?? "\(ProcessInfo.processInfo.hostName):\(getpid())"
        var options = WorkerOptions(
            listen: listen, dataListen: dataListen, threads: threads ?? ThreadPool.physicalCores,
            workerID: id, maxBatch: batchSize, memoryBudget: try maxMemory.map(budget) ?? MemoryBudget.machineDefault(),
            modelPath: model, cacheDirectory: cacheDir, pollWindow: .milliseconds(poll), coordinatorTimeout: .seconds(coordinatorTimeout), security: try security.load(),
            insecure: security.insecure, modelDirectory: modelDir, cacheLimitBytes: UInt64(cacheMaxGB * 1_073_741_824),
            drainTimeout: .seconds(drainTimeout))
        options.prefixCacheBytes = prefixCacheMB << 20
        options.sessionIdleTimeout = .seconds(sessionIdleTimeout)
        let server = try WorkerServer(options: options)
        let parent = getppid()
        let orphaned: @Sendable () -> Bool = { [exitWithParent] in exitWithParent && getppid() != parent }
        try server.run(shouldStop: { stopNow.load(ordering: .relaxed) || orphaned() },
                       shouldDrain: { stopRequested.load(ordering: .relaxed) }) { control, data in
            // One line on stdout so scripts and tests can wait for readiness and learn the ports.
            FileHandle.standardOutput.write(Data("ready control=\(control) data=\(data)\n".utf8))
        }
    }
}
