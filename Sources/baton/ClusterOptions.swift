import ArgumentParser
import Coordinator
import GGUF
import Llama
import Logging

/// Flags that point the coordinator at its workers.
struct ClusterOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Comma-separated worker control endpoints, e.g. tcp://10.0.0.2:7101,tcp://10.0.0.3:7101. Without it the model runs in this process.",
                               discussion: "With --key, pin each worker's public key as tcp://HOST:PORT#KEY (or list it in --known-workers)."))
    var workers: String?

    @Option(help: "Layer split: 'even' (balance weight bytes), 'auto' (balance within each worker's --max-memory, counting KV caches for --ctx-size and --max-sessions) or inclusive ranges per worker, e.g. 0-9,10-19,20-29.")
    var split: String = "even"

    @Option(name: .customLong("max-sessions"), help: "Sessions each worker keeps KV caches for at once.")
    var maxSessions: Int = 16

    @Option(help: "Host the last worker reaches this coordinator at (default: the local address facing the workers).")
    var advertise: String?

    @Option(name: .customLong("step-timeout"), help: "Seconds a step may wait for its result before its request fails (a stage that is alive but never answers).")
    var stepTimeout: Double = 120

    @Option(name: .customLong("recover-timeout"), help: "Seconds a request that lost a worker waits for it to come back, then re-evaluates its tokens there and goes on (0: fail at once).")
    var recoverTimeout: Double = 0

    @Option(help: ArgumentHelp("Comma-separated standby worker endpoints: they load nothing until a stage's worker dies, then one takes its stage and the requests in flight resume on it.",
                               discussion: "With --key, pin each standby's public key as tcp://HOST:PORT#KEY (or list it in --known-workers), as for --workers."))
    var standby: String?

    @Option(name: .customLong("prefill-chunk"), help: ArgumentHelp(
        "Prompt tokens per chunk of a pipelined prefill: chunks go down the ring one behind the other, so the stages work on consecutive chunks at once (0: batches of --batch-size, one at a time).",
        discussion: "Also the most a long prompt holds up other streams' next tokens at each stage: chunks share batches with them."))
    var prefillChunk: Int = RemotePipelineOptions.defaultPrefillChunk

    @OptionGroup var security: CoordinatorSecurityOptions

    /// The standby endpoints, without their pinned keys.
    var standbyList: [String] { Self.endpoints(pinnedStandbys) }

    /// The --standby entries as given.
    var pinnedStandbys: [String] { Self.entries(standby) }

    /// The worker endpoints, without their pinned keys.
    var workerList: [String] { Self.endpoints(pinnedWorkers) }

    /// The --workers entries as given (`tcp://HOST:PORT` or `tcp://HOST:PORT#KEY`).
    var pinnedWorkers: [String] { Self.entries(workers) }

    private static func entries(_ list: String?) -> [String] {
        (list ?? "").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }

    private static func endpoints(_ pinned: [String]) -> [String] {
        pinned.map { $0.split(separator: "#", maxSplits: 1).first.map(String.init) ?? $0 }
    }

    func validate() throws {
        for w in workerList + standbyList where !(w.hasPrefix("tcp://") || w.hasPrefix("ipc://")) {
            throw ValidationError("worker endpoint '\(w)' must look like tcp://HOST:PORT")
        }
        guard maxSessions >= 1 else { throw ValidationError("--max-sessions must be at least 1") }
        guard stepTimeout.isFinite, stepTimeout >= 0.1, stepTimeout <= 86_400 else {
            throw ValidationError("--step-timeout must be between 0.1 and 86400 seconds")
        }
        guard prefillChunk >= 0, prefillChunk <= 8192 else { throw ValidationError("--prefill-chunk must be between 0 and 8192") }
        guard recoverTimeout.isFinite, recoverTimeout >= 0, recoverTimeout <= 86_400 else {
            throw ValidationError("--recover-timeout must be between 0 and 86400 seconds")
        }
    }

    /// Plans the split from the model's metadata (never its weights) and connects to the workers.
    func connect(model: ModelOptions, file: GGUFFile, config: LlamaConfig, contextLength: Int, logger: Logger) async throws
        -> RemotePipeline
    {
        let pipeline = try makePipeline(model: model, file: file, config: config, contextLength: contextLength, logger: logger)
        try await pipeline.connect { logger.notice("\($0)") }
        return pipeline
    }

    /// The pipeline over the workers, planned but not connected yet.
    func makePipeline(model: ModelOptions, file: GGUFFile, config: LlamaConfig, contextLength: Int, logger: Logger,
                      configure: (inout RemotePipelineOptions) -> Void = { _ in }) throws -> RemotePipeline {
        let workers = workerList
        let plan = split == "even" || split == "auto"
            ? try StagePlan.even(file: file, config: config, stages: workers.count)
            : try StagePlan.parse(split, blockCount: config.blockCount, stages: workers.count)
        var options = RemotePipelineOptions(modelPath: model.model, workers: workers, plan: plan, contextLength: contextLength)
        options.maxSessions = maxSessions
        options.maxBatch = model.batchSize
        options.prefillChunk = prefillChunk
        options.advertiseHost = advertise
        options.stepTimeout = .milliseconds(Int64(stepTimeout * 1000))
        options.recoverTimeout = .milliseconds(Int64(recoverTimeout * 1000))
        options.standbys = standbyList
        options.security = try security.load(workers: pinnedWorkers, standbys: pinnedStandbys)
        options.insecure = security.insecure
        options.ropeScaling = try model.ropeOverride(config)
        if split == "auto" {
            options.autoSplit = try footprint(model: model, file: file, config: config, contextLength: contextLength)
        }
        configure(&options)
        let pipeline = try RemotePipeline(options: options)
        if options.autoSplit == nil { logger.notice("split \(plan) over \(workers.count) workers") }
        return pipeline
    }

    /// The model's memory by layer for this context, session count and batch size.
    func footprint(model: ModelOptions, file: GGUFFile, config: LlamaConfig, contextLength: Int) throws -> ModelFootprint {
        try ModelFootprint(file: file, config: config, contextLength: contextLength, sessions: maxSessions,
                           kvType: .f16, maxBatch: model.batchSize)
    }
}
