import ArgumentParser
import Coordinator
import Foundation
import GGUF
import Llama
import Logging
import Sampling
import Tokenizer

/// Decode with N sessions at once over a pipeline: each stream generates greedily from its own prompt of exactly
/// `promptTokens` tokens, all submitted at the same instant. Each token's arrival is timed through the
/// Generator's streaming callback, which gives time to first token, inter-token latency and llama-batched-bench's
/// S_TG. With S stages a single stream keeps only one stage busy at a time, so more streams should approach S×
/// the single-stream rate.
struct ConcurrencyBench {
    let generator: Generator
    let promptTokens: Int
    let genTokens: Int

    struct Row {
        let concurrency: Int
        /// llama-batched-bench's S_TG: the tokens that arrive within T_TG over T_TG, where T_TG runs from the moment
        /// every stream has its first token to the last token of the last stream.
        let decode: Double
        /// All generated tokens over the round's wall time (prefill included).
        let aggregate: Double
        let perStreamMean: Double
        let perStreamMin: Double
        /// Seconds from submitting all streams to a stream's first token: median over streams.
        let firstTokenP50: Double
        /// Seconds between consecutive tokens of one stream, pooled over all streams of the round.
        let interTokenP50: Double
        let interTokenP99: Double
        let wallSeconds: Double
        /// Streams that ended (end-of-generation token) before `genTokens`.
        let shortStreams: Int
    }

    /// Openings whose first tokens differ (in SmolLM2's vocabulary, which adds no BOS), so prompts cut to a few
    /// tokens still differ between the first 16 streams; later ones differ by their part number.
    static let openings = [
        "Once upon a time", "History of the Roman Empire:", "def quicksort(items):", "Tomorrow's weather will be",
        "In a distant galaxy", "Bread recipe:", "Dear diary,", "Einstein's theory of relativity",
        "Photosynthesis is", "My favourite football team", "SELECT name FROM users", "Stock markets fell",
        "Volcanoes erupt when", "Jazz musicians often", "How to tie a knot:", "Quantum computers",
    ]
    /// Appended (repeatedly) to openings that tokenize shorter than the prompt length.
    static let filler = " Then the story went on, one sentence after another, about places, people and what they did."

    /// Stream `index`'s prompt: its opening (with a part number once the openings run out) and filler, tokenized
    /// as one text so it reads naturally, then cut to exactly `promptTokens` tokens.
    func prompt(stream index: Int) throws -> [Int32] {
        var text = Self.openings[index % Self.openings.count]
            + (index >= Self.openings.count ? " (part \(index / Self.openings.count + 1))" : "")
        var tokens = generator.tokenizer.encode(text)
        while tokens.count < promptTokens {
            text += Self.filler
            let longer = generator.tokenizer.encode(text)
            guard longer.count > tokens.count else { throw ValidationError("the tokenizer does not lengthen the prompt text") }
            tokens = longer
        }
        return Array(tokens.prefix(promptTokens))
    }

    /// One round of `concurrency` streams.
    func run(concurrency: Int) async throws -> Row {
        let prompts = try (0..<concurrency).map { try prompt(stream: $0) }
        let start = ContinuousClock.now
        let traces = try await withThrowingTaskGroup(of: StreamTrace.self) { group in
            for prompt in prompts {
                group.addTask { [generator, genTokens] in
                    var arrivals: [ContinuousClock.Instant] = []
                    var request = GenerationRequest(prompt: prompt, maxTokens: genTokens, sampler: .greedy)
                    request.logprobs = false   // as an API client that asks for none (llama-batched-bench computes none)
                    // A nil token is the decoder's held-back text at the end, not a token: not timed.
                    let result = try await generator.stream(request) { token, _ in
                        if token != nil { arrivals.append(.now) }
                        return .proceed
                    }
                    return StreamTrace(arrivals: arrivals, decodeRate: result.timings.decodeTokensPerSecond)
                }
            }
            return try await group.reduce(into: [StreamTrace]()) { $0.append($1) }
        }
        let wall = (ContinuousClock.now - start).seconds
        let firsts = traces.compactMap(\.arrivals.first), lasts = traces.compactMap(\.arrivals.last)
        // Only tokens that arrive inside the window count: a stream that got its first token early decodes while
        // others still prefill, and llama-batched-bench (which prefills every sequence first) has no such tokens.
        var decodeSpan = 0.0, decodeTokens = 0
        if let allStarted = firsts.max(), let allDone = lasts.max() {
            decodeSpan = (allDone - allStarted).seconds
            decodeTokens = traces.reduce(0) { $0 + $1.arrivals.filter { $0 > allStarted }.count }
        }
        let gaps = traces.flatMap { t in zip(t.arrivals.dropFirst(), t.arrivals).map { ($0 - $1).seconds } }
        let perStream = traces.map(\.decodeRate)
        return Row(concurrency: concurrency,
                   decode: decodeSpan > 0 ? Double(decodeTokens) / decodeSpan : 0,
                   aggregate: Double(traces.reduce(0) { $0 + $1.arrivals.count }) / max(wall, 1e-9),
                   perStreamMean: perStream.reduce(0, +) / Double(max(perStream.count, 1)),
                   perStreamMin: perStream.min() ?? 0,
                   firstTokenP50: percentile(firsts.map { ($0 - start).seconds }, 0.5),
                   interTokenP50: percentile(gaps, 0.5), interTokenP99: percentile(gaps, 0.99),
                   wallSeconds: wall, shortStreams: traces.filter { $0.arrivals.count < genTokens }.count)
    }

    struct StreamTrace: Sendable {
        let arrivals: [ContinuousClock.Instant]
        let decodeRate: Double
    }

    /// Each column's median over `rounds` of one level (so a column may come from a different round than its
    /// neighbours, as in BenchTable's median column).
    static func median(_ rounds: [Row]) -> Row? {
        guard let first = rounds.first else { return nil }
        func m(_ value: (Row) -> Double) -> Double { percentile(rounds.map(value), 0.5) }
        return Row(concurrency: first.concurrency, decode: m(\.decode), aggregate: m(\.aggregate),
                   perStreamMean: m(\.perStreamMean), perStreamMin: m(\.perStreamMin),
                   firstTokenP50: m(\.firstTokenP50), interTokenP50: m(\.interTokenP50),
                   interTokenP99: m(\.interTokenP99), wallSeconds: m(\.wallSeconds),
                   shortStreams: rounds.map(\.shortStreams).max() ?? 0)
    }

    /// `llama`: llama-batched-bench's S_TG per level (median over its repetitions), when it ran.
    static func render(_ rows: [Row], title: String, llama: [Int: Double]?) -> String {
        let single = rows.first { $0.concurrency == 1 }?.aggregate
        var table = [["streams", "S_TG t/s", "aggregate t/s", "per-stream t/s (mean)", "per-stream min", "TTFT p50 ms",
                      "ITL p50 ms", "ITL p99 ms", "wall s", "vs 1 stream"] + (llama == nil ? [] : ["llama.cpp S_TG t/s", "S_TG baton/llama.cpp"])]
        for r in rows {
            let ratio = single.map { $0 > 0 ? String(format: "%.2fx", r.aggregate / $0) : "-" } ?? "-"
            var cells = ["\(r.concurrency)", r.decode > 0 ? String(format: "%.1f", r.decode) : "-",
                         String(format: "%.1f", r.aggregate), String(format: "%.1f", r.perStreamMean),
                         String(format: "%.1f", r.perStreamMin), String(format: "%.1f", r.firstTokenP50 * 1e3),
                         String(format: "%.2f", r.interTokenP50 * 1e3), String(format: "%.2f", r.interTokenP99 * 1e3),
                         String(format: "%.2f", r.wallSeconds), ratio]
            if let llama {
                let theirs = llama[r.concurrency]
                cells += [theirs.map { String(format: "%.1f", $0) } ?? "-",
                          theirs.flatMap { $0 > 0 && r.decode > 0 ? String(format: "%.2fx", r.decode / $0) : nil } ?? "-"]
            }
            table.append(cells)
        }
        var notes = [
            "S_TG = decode tokens / T_TG as llama-batched-bench reports it: T_TG runs from the moment every stream has its "
                + "first token to the last token of the last stream, and only tokens inside it count; aggregate = all "
                + "tokens / wall time (prefill included)",
            "TTFT: from submitting all streams at once to a stream's first token (median over streams); ITL: gaps "
                + "between consecutive tokens of one stream, pooled over all streams of the round",
        ]
        let short = rows.filter { $0.shortStreams > 0 }.map { "\($0.concurrency)" }
        if !short.isEmpty {
            notes.append("some streams hit an end-of-generation token before their budget at levels "
                         + short.joined(separator: ", ") + " (S_TG counts the tokens they did generate)")
        }
        return ([title, alignedColumns(table, leftAligned: 0)] + notes).joined(separator: "\n")
    }
}

/// The `p` quantile by nearest rank (0 for no samples): the smallest sample with at least p of them at or below it.
func percentile(_ samples: [Double], _ p: Double) -> Double {
    let sorted = samples.sorted()
    guard !sorted.isEmpty else { return 0 }
    return sorted[min(sorted.count - 1, max(0, Int((p * Double(sorted.count)).rounded(.up)) - 1))]
}

extension BenchCommand {
    /// `--concurrency 1,4,8`: a pipeline over --workers (or `--stages` local workers), each level run
    /// `--repetitions` times, each column the median; with --llama-bench also llama-batched-bench at the same
    /// total thread count, after the local workers have stopped so it has the cores to itself.
    func runConcurrency(_ list: String) async throws {
        let levels = list.split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard !levels.isEmpty, levels.allSatisfy({ $0 >= 1 && $0 <= cluster.maxSessions }) else {
            throw ValidationError("--concurrency takes a list like 1,4,8 of values between 1 and --max-sessions (\(cluster.maxSessions))")
        }
        let loadBefore = loadAverage()
        let file = try GGUFFile(path: model.model)
        let promptLength = promptTokens ?? Self.streamPromptTokens
        let (rows, stageCount, title) = try await concurrencyRounds(levels: levels, promptLength: promptLength, file: file)
        let threads = stageCount * (model.threads ?? 1)
        var llama: [Int: Double]?
        var llamaSingle: [Double] = []
        var lines = [title]
        if let llamaBench {
            // B = 1 is always run: the warning below judges llama.cpp's health by its single-stream rate.
            let runLevels = Array(Set(levels + [1])).sorted()
            let reference = LlamaCppBench(path: llamaBench)
            var samples: [Int: [Double]] = [:]
            for _ in 0..<repetitions {
                let rates = try reference.runBatched(model: model.model, threads: threads, promptTokens: promptLength,
                                                     genTokens: genTokens, levels: runLevels)
                for (level, rate) in rates { samples[level, default: []].append(rate) }
            }
            llama = samples.mapValues { percentile($0, 0.5) }
            llamaSingle = samples[1] ?? []
            lines.append("llama.cpp: llama-batched-bench -t \(threads) (\(stageCount) stages × -t \(model.threads ?? 1)) "
                         + "-npp \(promptLength) -ntg \(genTokens) -npl \(runLevels.map(String.init).joined(separator: ",")), "
                         + "S_TG median of \(repetitions)")
        }
        print(ConcurrencyBench.render(rows, title: lines.joined(separator: "\n"), llama: llama))
        let bandwidth = llamaBench == nil ? 0 : KernelBench(threadCounts: [threads], bytes: 256 << 20).readBandwidth(threads: threads)
        if let warning = benchmarkWarning(loadBefore: loadBefore, llamaDecode: llamaSingle,
                                          weightBytes: file.tensors.reduce(0) { $0 + $1.byteCount }, bandwidth: bandwidth) {
            print(warning)
        }
    }

    /// The baton side: connects (starting local workers unless --workers names some), warms up with one stream,
    /// then the rounds. The local workers are stopped on return. Returns the median rows, the stage count and the title.
    private func concurrencyRounds(levels: [Int], promptLength: Int,
                                   file: GGUFFile) async throws -> ([ConcurrencyBench.Row], Int, String) {
        let config = try model.config(file)
        let context = try model.contextLength(for: config)
        guard promptLength + genTokens <= context else {
            throw ValidationError("--prompt-tokens \(promptLength) + --gen-tokens \(genTokens) exceed the context (\(context))")
        }
        var local: [SpawnedWorker] = []
        var options = cluster
        if options.workerList.isEmpty {
            let count = stages.flatMap { $0.split(separator: ",").first.flatMap { Int($0) } } ?? 2
            local = try (0..<count).map { _ in try SpawnedWorker(threads: model.threads ?? 1, batch: model.batchSize, poll: poll) }
            options.workers = local.map(\.control).joined(separator: ",")
        }
        defer { local.forEach { $0.stop() } }
        let logger = Logger(label: "baton.bench")
        let pipeline = try await options.connect(model: model, file: file, config: config, contextLength: context, logger: logger)
        let bench = ConcurrencyBench(generator: Generator(tokenizer: try Tokenizer(gguf: file), pipeline: pipeline),
                                     promptTokens: promptLength, genTokens: genTokens)
        _ = try await bench.run(concurrency: 1)                      // warm-up
        var rows: [ConcurrencyBench.Row] = []
        for level in levels {
            var rounds: [ConcurrencyBench.Row] = []
            for _ in 0..<repetitions { rounds.append(try await bench.run(concurrency: level)) }
            if let row = ConcurrencyBench.median(rounds) { rows.append(row) }
        }
        let title = "baton: \(model.model), \(pipeline.stageCount) stages (\(options.workerList.joined(separator: ","))), "
            + (local.isEmpty ? "" : "-t \(model.threads ?? 1) per worker, ") + "\(promptLength)-token prompts, \(genTokens) tokens per stream, "
            + "median of \(repetitions)"
        let most = levels.max() ?? 1
        let repeated = Set(try (0..<most).map { try bench.prompt(stream: $0) }).count < most
        return (rows, pipeline.stageCount, title + (repeated ? "\nnote: some streams share a prompt at this --prompt-tokens" : ""))
    }
}
