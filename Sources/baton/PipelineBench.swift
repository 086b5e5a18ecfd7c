import Coordinator
import Foundation
import GGUF
import Llama
import Logging
import Engine
import Worker

/// `baton bench --stages 1,2,3`: starts local `baton worker` processes and measures the pipeline per stage
/// count against the single-process engine, in one run.
struct PipelineBench {
    let model: ModelOptions
    let stageCounts: [Int]
    let threadsPerWorker: Int
    let promptTokens: Int
    let genTokens: Int
    let repetitions: Int
    /// Workers start with an empty `--cache-dir` and no model, so their weights are streamed at load.
    var streamWeights = false
    /// The workers' `--poll` window in milliseconds; nil = the worker's default.
    var workerPoll: Int?
    /// Also measures llama.cpp's RPC pipeline over as many `ggml-rpc-server`s as stages.
    var llamaCpp: LlamaCppBench?

    struct Row {
        var name: String
        var prefill: [Double]
        var decode: [Double]
        var hopMicroseconds: Double?
        var bytesPerToken: Double?
        /// Wall time until every stage was loaded (the single process: its own model load).
        var loadSeconds: Double?
        /// Peak resident set of each process holding weights (VmHWM), in stage order.
        var peakResident: [UInt64] = []
        /// Weight bytes streamed from this coordinator at load (with --stream).
        var bytesStreamed: UInt64?
        /// Decode tokens/s of llama.cpp's RPC pipeline with as many servers as this row has stages.
        var llamaRPCDecode: [Double]?
        /// Single-process decode tokens/s of a repetition run just before each of `decode`'s: this machine's
        /// speed drifts by more than the pipeline's cost within one run, and the two of a pair drift together.
        var decodeAlone: [Double]?
    }

    /// `singleProcess` has already loaded the model, in `singleLoadSeconds`, in this process.
    func run(singleProcess: EngineBench, singleLoadSeconds: Double) async throws -> [Row] {
        let file = try GGUFFile(path: model.model)
        let config = try model.config(file)
        var rows = [Row(name: "1 process", prefill: try (0..<repetitions).map { _ in try singleProcess.prefill(tokens: promptTokens) },
                        decode: try (0..<repetitions).map { _ in try singleProcess.decode(tokens: genTokens) },
                        loadSeconds: singleLoadSeconds, peakResident: [SystemMemory.resident().peak])]
        for stages in stageCounts {
            var row = try await measureFreshWorkers(stages: stages, file: file, config: config, singleProcess: singleProcess)
            // After this stage count's workers are gone, so the two pipelines never share the cores.
            row.llamaRPCDecode = try llamaCpp?.runRPC(servers: stages, model: model.model, threads: threadsPerWorker,
                                                      genTokens: genTokens, repetitions: repetitions)
            rows.append(row)
        }
        return rows
    }

    /// Fresh workers per stage count, so each one's peak resident set is that of its own stage.
    private func measureFreshWorkers(stages: Int, file: GGUFFile, config: LlamaConfig, singleProcess: EngineBench)
        async throws -> Row
    {
        let cache = FileManager.default.temporaryDirectory.appendingPathComponent("baton-bench-cache-\(UUID().uuidString)")
        let extra = streamWeights ? ["--cache-dir", cache.path] : []
        let workers = try (0..<stages).map { _ in
            try SpawnedWorker(threads: threadsPerWorker, batch: model.batchSize, poll: workerPoll, extra: extra)
        }
        defer {
            workers.forEach { $0.stop() }
            try? FileManager.default.removeItem(at: cache)
        }
        var options = RemotePipelineOptions(modelPath: model.model, workers: workers.map(\.control),
                                            plan: try StagePlan.even(file: file, config: config, stages: stages),
                                            contextLength: promptTokens + genTokens + 8)
        options.maxBatch = model.batchSize
        let pipeline = try RemotePipeline(options: options)
        let start = ContinuousClock.now
        try await pipeline.connect()
        let loadSeconds = start.duration(to: .now).seconds
        var row = try await measure(pipeline, stages: stages, vocabulary: config.vocabularySize, singleProcess: singleProcess)
        row.loadSeconds = loadSeconds
        if streamWeights { row.bytesStreamed = pipeline.stageLoads.withLock { $0.values.reduce(0) { $0 + $1.bytesStreamed } } }
        row.peakResident = workers.map { SystemMemory.resident(pid: "\($0.process.processIdentifier)").peak }
        return row
    }

    private func measure(_ pipeline: RemotePipeline, stages: Int, vocabulary: Int, singleProcess: EngineBench) async throws -> Row {
        let tokens = (0..<max(promptTokens, genTokens)).map { Int32(($0 &* 7919 &+ 17) % vocabulary) }
        var row = Row(name: "\(stages) stage\(stages > 1 ? "s" : "") × \(threadsPerWorker) thread", prefill: [], decode: [])
        _ = try await timeSession(pipeline) { s in _ = try await pipeline.step(s, tokens: Array(tokens.prefix(8)), sample: true, promptLogprobs: false) }
        for _ in 0..<repetitions {
            let seconds = try await timeSession(pipeline) { s in
                for from in stride(from: 0, to: promptTokens, by: pipeline.maxBatch) {
                    let chunk = Array(tokens[from..<min(from + pipeline.maxBatch, promptTokens)])
                    _ = try await pipeline.step(s, tokens: chunk, sample: true, promptLogprobs: false)
                }
            }
            row.prefill.append(Double(promptTokens) / seconds)
        }
        let before = try await traffic(pipeline)
        let statsBefore = pipeline.stats.withLock { $0 }
        var alone: [Double] = []
        for _ in 0..<repetitions {
            // Once the workers have stopped spinning for the last step (their --poll window), so the single
            // process runs alone.
            try await Task.sleep(for: .milliseconds(min(workerPoll ?? WorkerOptions.defaultPollMilliseconds, 1000) + 20))
            alone.append(try singleProcess.decode(tokens: genTokens))
            let seconds = try await timeSession(pipeline) { s in
                for token in tokens.prefix(genTokens) { _ = try await pipeline.step(s, tokens: [token], sample: true, promptLogprobs: false) }
            }
            row.decode.append(Double(genTokens) / seconds)
        }
        row.decodeAlone = alone
        let stats = pipeline.stats.withLock { $0 }
        let steps = Double(stats.steps - statsBefore.steps)
        let overhead = Double((stats.latencyMicroseconds - statsBefore.latencyMicroseconds) - (stats.computeMicroseconds - statsBefore.computeMicroseconds))
        row.hopMicroseconds = overhead / steps / Double(stages + 1)
        row.bytesPerToken = Double(try await traffic(pipeline) - before) / steps
        return row
    }

    /// Bytes on the ring so far: what the coordinator sent to stage 0 plus what every stage sent on (the last
    /// stage's are the results coming back).
    private func traffic(_ pipeline: RemotePipeline) async throws -> Int {
        try await pipeline.stageHealth().reduce(0) { $0 + Int($1.dataBytesSent) } + pipeline.stats.withLock { $0.bytesSent }
    }

    private func timeSession(_ pipeline: RemotePipeline, _ body: (UInt64) async throws -> Void) async throws -> Double {
        let session = UInt64.random(in: 1..<(1 << 62))
        try await pipeline.open(session, options: SessionOptions(contextLength: pipeline.maxContext))
        let start = ContinuousClock.now
        do { try await body(session) } catch {
            await pipeline.close(session)
            throw error
        }
        let seconds = (ContinuousClock.now - start).seconds
        await pipeline.close(session)
        return seconds
    }
}

/// A `baton worker` child process of this same executable on 127.0.0.1.
final class SpawnedWorker {
    let process = Process()
    private(set) var control = ""

    /// `poll`: the worker's `--poll` window in milliseconds; nil = its default.
    init(threads: Int, batch: Int, poll: Int? = nil, extra: [String] = []) throws {
        process.executableURL = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        process.arguments = ["worker", "--listen", "tcp://127.0.0.1:*", "--threads", "\(threads)",
                             "--batch-size", "\(batch)", "--log-level", "warning", "--exit-with-parent"]
            + (poll.map { ["--poll", "\($0)"] } ?? []) + extra
        let out = Pipe()
        process.standardOutput = out
        try process.run()
        let line = String(decoding: out.fileHandleForReading.readLine(), as: UTF8.self)
        guard let field = line.split(separator: " ").first(where: { $0.hasPrefix("control=") }) else {
            process.terminate()
            throw LlamaError.missingInput("worker did not start: \(line)")
        }
        control = String(field.dropFirst("control=".count))
    }

    func stop() {
        process.terminate()
        process.waitUntilExit()
    }
}

extension FileHandle {
    /// Bytes up to the first newline (or end of file).
    func readLine() -> [UInt8] {
        var line: [UInt8] = []
        while true {
            let byte = readData(ofLength: 1)
            guard let b = byte.first, b != 10 else { return line }
            line.append(b)
        }
    }
}
