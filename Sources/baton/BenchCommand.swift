import ArgumentParser
import Foundation
import Kernels
import Llama
import Logging
import Engine
import Worker

/// Prefill and decode throughput of the single-process engine, like llama-bench's pp/tg tests, optionally with
/// llama.cpp's own llama-bench run in the same invocation so the ratio is measured under the same load.
struct BenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench", abstract: "Measure prefill and decode tokens/s (min/median/max over repetitions).")

    @OptionGroup var model: ModelOptions
    @Option(name: .customLong("prompt-tokens"), help: "Prompt batch size for the prefill test (ppN; default 128); with --concurrency, the exact prompt length of every stream (default \(BenchCommand.streamPromptTokens): short, so a round is mostly decode, as in llama-batched-bench -npp).")
    var promptTokens: Int?
    @Option(name: .customLong("gen-tokens"), help: "Tokens decoded one at a time for the decode test (tgN).") var genTokens = 128
    @Option(help: "Repetitions per test.") var repetitions = 5
    @Option(name: .customLong("llama-bench"), help: "Path to llama.cpp's llama-bench: run it with the same settings and print the ratio; with --stages, also llama.cpp's RPC pipeline over as many ggml-rpc-servers (found beside it) as stages.")
    var llamaBench: String?
    @Option(help: "Also run the pipeline over local worker processes with these stage counts, e.g. 1,2,3 (with --concurrency: the first is the stage count, default 2).")
    var stages: String?
    @Flag(help: "With --stages: start the workers without the model file (an empty --cache-dir each), so the coordinator streams their weights; the load column then includes the transfer.")
    var stream = false
    @Option(help: "The --poll window in milliseconds of the local workers that --stages or --concurrency starts (default: the worker's own, \(WorkerOptions.defaultPollMilliseconds)).")
    var poll: Int?
    @Option(help: "Measure concurrent streams over a pipeline instead, e.g. 1,4,8: S_TG (as llama-batched-bench computes it), aggregate and per-stream decode tokens/s, time to first token and inter-token latency; with --llama-bench also llama-batched-bench (beside it) at the same total threads.")
    var concurrency: String?
    @Flag(help: "Instead: every format's decode mat-vec in GB/s beside the memory-read bandwidth, at 1 thread and at -t (default: all cores).")
    var kernels = false
    @OptionGroup var cluster: ClusterOptions

    /// --prompt-tokens' default with --concurrency.
    static let streamPromptTokens = 8

    func validate() throws {
        guard (promptTokens ?? 1) >= 1, genTokens >= 1, repetitions >= 1 else {
            throw ValidationError("--prompt-tokens, --gen-tokens and --repetitions must be at least 1")
        }
        if let poll { try WorkerCommand.validatePoll(poll) }
        if concurrency == nil && cluster.workers != nil {
            throw ValidationError("--workers is used with --concurrency only; --stages starts its own local workers")
        }
    }

    func run() async throws {
        Baton.bootstrapLogging(model.logLevel ?? .warning)
        if kernels {
            let all = model.threads ?? ThreadPool.physicalCores
            print(KernelBench(threadCounts: all == 1 ? [1] : [1, all]).run())
            return
        }
        if let concurrency { return try await runConcurrency(concurrency) }
        let promptTokens = self.promptTokens ?? 128
        let loadBefore = loadAverage()
        var options = model
        options.contextSize = max(model.contextSize ?? 0, promptTokens + genTokens + 1)
        let loadStart = ContinuousClock.now
        let local = try LocalModel(options, logger: Logger(label: "baton.bench"))
        let loadSeconds = loadStart.duration(to: .now).seconds
        let runner = EngineBench(stage: local.stage, vocabulary: local.config.vocabularySize)
        try runner.warmUp()
        let pp = try (0..<repetitions).map { _ in try runner.prefill(tokens: promptTokens) }
        let tg = try (0..<repetitions).map { _ in try runner.decode(tokens: genTokens) }
        var table = BenchTable(title: "baton: \(model.model), threads \(local.pool.threads)")
        table.add("pp\(promptTokens)", pp)
        table.add("tg\(genTokens)", tg)
        if let stages {
            let counts = stages.split(separator: ",").compactMap { Int($0) }
            guard !counts.isEmpty, counts.allSatisfy({ $0 >= 1 && $0 <= local.config.blockCount }) else {
                throw ValidationError("--stages takes stage counts between 1 and \(local.config.blockCount), e.g. 1,2,3")
            }
            let bench = PipelineBench(model: options, stageCounts: counts, threadsPerWorker: local.pool.threads,
                                      promptTokens: promptTokens, genTokens: genTokens, repetitions: repetitions,
                                      streamWeights: stream, workerPoll: poll,
                                      llamaCpp: llamaBench.map(LlamaCppBench.init(path:)))
            print(PipelineTable(try await bench.run(singleProcess: runner, singleLoadSeconds: loadSeconds)).render())
        }
        if let llamaBench {
            let reference = try LlamaCppBench(path: llamaBench).run(model: model.model, threads: local.pool.threads,
                                                                    promptTokens: promptTokens, genTokens: genTokens,
                                                                    repetitions: repetitions)
            table.add("llama.cpp pp\(promptTokens)", reference.prefill)
            table.add("llama.cpp tg\(genTokens)", reference.decode)
            table.ratio("pp ratio baton/llama.cpp", pp, reference.prefill)
            table.ratio("tg ratio baton/llama.cpp", tg, reference.decode)
            let bandwidth = KernelBench(threadCounts: [local.pool.threads], bytes: 256 << 20).readBandwidth(threads: local.pool.threads)
            if let warning = benchmarkWarning(loadBefore: loadBefore, llamaDecode: reference.decode,
                                              weightBytes: local.stage.weights.byteCount, bandwidth: bandwidth) {
                table.note(warning)
            }
        }
        print(table.render())
    }
}

/// Times the engine's forward pass on fixed pseudo-random tokens.
struct EngineBench {
    let stage: LlamaStage
    let vocabulary: Int

    func tokens(_ n: Int) -> [Int32] {
        (0..<n).map { Int32(($0 &* 7919 &+ 17) % vocabulary) }
    }

    func warmUp() throws {
        _ = try prefill(tokens: min(16, stage.maxBatch, stage.maxContext))
    }

    /// Tokens per second evaluating a prompt of `n` tokens (in batches of at most maxBatch).
    func prefill(tokens n: Int) throws -> Double {
        guard let cache = stage.makeCache(capacity: n) else { throw LlamaError.missingInput("KV cache memory") }
        let prompt = tokens(n)
        let start = ContinuousClock.now
        for from in stride(from: 0, to: n, by: stage.maxBatch) {
            _ = try stage.forward(.tokens(Array(prompt[from..<min(from + stage.maxBatch, n)])), cache: cache)
        }
        return Double(n) / (ContinuousClock.now - start).seconds
    }

    /// Tokens per second decoding `n` tokens one at a time from an empty context.
    func decode(tokens n: Int) throws -> Double {
        guard let cache = stage.makeCache(capacity: n) else { throw LlamaError.missingInput("KV cache memory") }
        let input = tokens(n)
        let start = ContinuousClock.now
        for token in input { _ = try stage.forward(.tokens([token]), cache: cache) }
        return Double(n) / (ContinuousClock.now - start).seconds
    }
}
