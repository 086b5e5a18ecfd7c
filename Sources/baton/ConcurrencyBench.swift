import ArgumentParser
import Coordinator
import Foundation
import GGUF
import Llama
import Logging
import Sampling
import Tokenizer

/// Decode throughput with N sessions at once over a pipeline: each stream generates greedily from its own short
/// prompt; aggregate = all streams' generated tokens over the round's wall time (prompts are a few tokens, so
/// this is decode), per stream = each stream's own decode tokens/s. With S stages a single stream keeps only one stage busy at a time, so more
/// streams should approach S× the single-stream aggregate.
struct ConcurrencyBench {
    let generator: Generator
    let genTokens: Int

    struct Row {
        let concurrency: Int
        let aggregate: Double
        let perStreamMean: Double
        let perStreamMin: Double
        let wallSeconds: Double
    }

    static let prompts = [
        "Once upon a time", "The history of the Roman Empire", "def quicksort(items):", "The weather today is",
        "In a distant galaxy", "The recipe for bread", "Dear diary,", "The theory of relativity",
    ]

    /// One round of `concurrency` streams.
    func run(concurrency: Int) async throws -> Row {
        let start = ContinuousClock.now
        let results = try await withThrowingTaskGroup(of: GenerationResult.self) { group in
            for i in 0..<concurrency {
                let prompt = generator.tokenizer.encode(Self.prompts[i % Self.prompts.count] + " (\(i))")
                group.addTask {
                    try await generator.generate(GenerationRequest(prompt: prompt, maxTokens: genTokens, sampler: .greedy))
                }
            }
            return try await group.reduce(into: [GenerationResult]()) { $0.append($1) }
        }
        let wall = ContinuousClock.now - start
        let generated = results.reduce(0) { $0 + $1.tokens.count }
        let perStream = results.map(\.timings.decodeTokensPerSecond)
        return Row(concurrency: concurrency, aggregate: Double(generated) / max(wall.seconds, 1e-9),
                   perStreamMean: perStream.reduce(0, +) / Double(max(perStream.count, 1)),
                   perStreamMin: perStream.min() ?? 0, wallSeconds: wall.seconds)
    }

    static func render(_ rows: [Row], title: String) -> String {
        let single = rows.first { $0.concurrency == 1 }?.aggregate
        var lines = [title, "streams  aggregate t/s  per-stream t/s (mean)  per-stream min  wall s  vs 1 stream"]
        for r in rows {
            let ratio = single.map { $0 > 0 ? String(format: "%.2fx", r.aggregate / $0) : "-" } ?? "-"
            lines.append(String(format: "%7d  %13.1f  %21.1f  %14.1f  %6.1f  %11@", r.concurrency, r.aggregate, r.perStreamMean,
                                r.perStreamMin, r.wallSeconds, ratio as NSString))
        }
        return lines.joined(separator: "\n")
    }
}

extension BenchCommand {
    /// `--concurrency 1,4,8`: a pipeline over --workers (or `--stages` local workers), each level run
    /// `--repetitions` times; the row with the median aggregate is printed.
    func runConcurrency(_ list: String) async throws {
        let levels = list.split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard !levels.isEmpty, levels.allSatisfy({ $0 >= 1 && $0 <= cluster.maxSessions }) else {
            throw ValidationError("--concurrency takes a list like 1,4,8 of values between 1 and --max-sessions (\(cluster.maxSessions))")
        }
        let logger = Logger(label: "baton.bench")
        var local: [SpawnedWorker] = []
        var options = cluster
        if options.workerList.isEmpty {
            let count = stages.flatMap { $0.split(separator: ",").first.flatMap { Int($0) } } ?? 2
            local = try (0..<count).map { _ in try SpawnedWorker(threads: model.threads ?? 1, batch: model.batchSize, poll: poll) }
            options.workers = local.map(\.control).joined(separator: ",")
        }
        defer { local.forEach { $0.stop() } }
        let file = try GGUFFile(path: model.model)
        let config = try model.config(file)
        let context = try model.contextLength(for: config)
        let pipeline = try await options.connect(model: model, file: file, config: config, contextLength: context, logger: logger)
        let bench = ConcurrencyBench(generator: Generator(tokenizer: try Tokenizer(gguf: file), pipeline: pipeline), genTokens: genTokens)
        _ = try await bench.run(concurrency: 1)                      // warm-up
        var rows: [ConcurrencyBench.Row] = []
        for level in levels {
            var rounds: [ConcurrencyBench.Row] = []
            for _ in 0..<repetitions { rounds.append(try await bench.run(concurrency: level)) }
            rounds.sort { $0.aggregate < $1.aggregate }
            rows.append(rounds[rounds.count / 2])
        }
        let title = "baton: \(model.model), \(pipeline.stageCount) stages (\(options.workerList.joined(separator: ","))), "
            + "\(genTokens) tokens per stream, median of \(repetitions)"
        print(ConcurrencyBench.render(rows, title: title))
    }
}
