import GGUF
import Kernels
import Llama
import TestSupport
import XCTest

/// The test model loaded once per process, as a whole-model stage.
enum ModelFixture {
    struct Loaded: @unchecked Sendable {
        let file: GGUFFile
        let config: LlamaConfig
        let pool: ThreadPool
    }

    nonisolated(unsafe) private static var cached: Loaded?

    static func load() throws -> Loaded {
        guard TestPaths.modelAvailable else {
            throw XCTSkip("test model missing at \(TestPaths.model): run scripts/fetch-model.sh")
        }
        if let cached { return cached }
        let file = try GGUFFile(path: TestPaths.model)
        let loaded = Loaded(file: file, config: try LlamaConfig(gguf: file),
                            pool: ThreadPool(threads: ThreadPool.physicalCores))
        cached = loaded
        return loaded
    }

    static func stage(_ spec: StageSpec? = nil, maxBatch: Int = 64, context: Int = 256) throws -> LlamaStage {
        let m = try load()
        let weights = try StageWeights(file: m.file, config: m.config, spec: spec ?? .whole(m.config))
        return LlamaStage(weights: weights, pool: m.pool, maxBatch: maxBatch, maxContext: context)
    }
}
