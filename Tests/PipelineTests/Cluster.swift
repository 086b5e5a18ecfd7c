import Coordinator
import GGUF
import Llama
import Sampling
import TestSupport
import Tokenizer
import Wire
import Engine
import XCTest

/// Real `baton worker` processes on 127.0.0.1 plus the coordinator pieces, shared by the pipeline tests.
final class Cluster: @unchecked Sendable {
    let modelPath: String
    let file: GGUFFile
    let config: LlamaConfig
    let tokenizer: Tokenizer
    private(set) var workers: [WorkerProcess] = []

    /// Workers for `model` (default: the test model); worker `i` also gets `perWorker(i)` (e.g. its own key).
    init(workers count: Int, extra: [String] = [], perWorker: (Int) -> [String] = { _ in [] },
         model: String = TestPaths.model) throws {
        guard TestPaths.modelAvailable else { throw XCTSkip("test model missing: run scripts/fetch-model.sh") }
        modelPath = model
        file = try GGUFFile(path: model)
        config = try LlamaConfig(gguf: file)
        tokenizer = try Tokenizer(gguf: file)
        workers = try (0..<count).map { try WorkerProcess(extra: extra + perWorker($0)) }
    }

    /// A connected pipeline over the first `plan.ranges.count` workers.
    func pipeline(_ plan: StagePlan, context: Int = 512, configure: (inout RemotePipelineOptions) -> Void = { _ in })
        async throws -> RemotePipeline
    {
        var options = RemotePipelineOptions(modelPath: modelPath,
                                            workers: workers.prefix(plan.ranges.count).map(\.controlEndpoint),
                                            plan: plan, contextLength: context)
        configure(&options)
        let pipeline = try RemotePipeline(options: options)
        try await pipeline.connect()
        return pipeline
    }

    func evenPlan(_ stages: Int) throws -> StagePlan {
        try StagePlan.even(file: file, config: config, stages: stages)
    }

    /// Replaces worker `i` with a fresh process listening on the same control endpoint, started with the same
    /// extra arguments unless `extra` is given.
    func restart(_ i: Int, extra: [String]? = nil) throws {
        let endpoint = workers[i].controlEndpoint
        let arguments = extra ?? workers[i].extra
        workers[i].kill()
        workers[i] = try WorkerProcess(listen: endpoint, extra: arguments)
    }

    func generate(_ pipeline: any Pipeline, prompt: [Int32], maxTokens: Int, sampler: SamplerParameters = .greedy)
        async throws -> [Int32]
    {
        let result = try await Generator(tokenizer: tokenizer, pipeline: pipeline)
            .generate(GenerationRequest(prompt: prompt, maxTokens: maxTokens, sampler: sampler))
        return result.tokens.map(\.id)
    }

    /// The single-process engine over the same model, for reference outputs.
    /// The model in this process (with `config` in place of the file's, e.g. another rope scaling).
    func localPipeline(context: Int = 512, config: LlamaConfig? = nil) throws -> LocalPipeline {
        let config = config ?? self.config
        let weights = try StageWeights(file: file, config: config, spec: .whole(config))
        let stage = LlamaStage(weights: weights, pool: sharedPool, maxBatch: 256, maxContext: context)
        return LocalPipeline(stages: [StageEngine(stage: stage)])
    }

    deinit { workers.forEach { $0.stop() } }
}

import Kernels
let sharedPool = ThreadPool(threads: 1)

/// Each stage's open session count, read until it equals `expected` or `within` has passed: a failed request's
/// sessions are closed behind its error (Generator.stream), so a test reading them at once would race the close.
func sessions(on pipeline: RemotePipeline, settlingTo expected: [Int], within: Duration = .seconds(3)) async throws -> [Int] {
    let deadline = ContinuousClock.now + within
    while true {
        let counts = try await pipeline.stageHealth().map { Int($0.sessions) }
        if counts == expected || ContinuousClock.now >= deadline { return counts }
        try await Task.sleep(for: .milliseconds(50))
    }
}

/// XCTAssertThrowsError for an async expression.
func assertThrowsAsync<T>(_ expression: @autoclosure () async throws -> T, file: StaticString = #filePath, line: UInt = #line,
                          _ check: (any Error) -> Void = { _ in }) async {
    do {
        _ = try await expression()
        XCTFail("no error was thrown", file: file, line: line)
    } catch {
        check(error)
    }
}
