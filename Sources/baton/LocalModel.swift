import GGUF
import Kernels
import Llama
import Logging
import Tokenizer
import Engine

/// A model loaded whole into this process: the single-process engine.
struct LocalModel {
    let file: GGUFFile
    let config: LlamaConfig
    let tokenizer: Tokenizer
    let pool: ThreadPool
    let stage: LlamaStage
    let contextLength: Int

    init(_ options: ModelOptions, logger: Logger) throws {
        file = try GGUFFile(path: options.model)
        config = try options.config(file)
        tokenizer = try Tokenizer(gguf: file)
        let threads = options.threads ?? ThreadPool.physicalCores
        pool = ThreadPool(threads: threads)
        contextLength = try options.contextLength(for: config)
        let progress = ProgressBar(label: "loading \(options.model)")
        let weights = try StageWeights(file: file, config: config, spec: .whole(config)) { done, total in
            progress.update(done, total)
        }
        progress.finish()
        stage = LlamaStage(weights: weights, pool: pool, maxBatch: options.batchSize, maxContext: contextLength)
        logger.info("loaded model", metadata: [
            "layers": "\(config.blockCount)", "weights_mb": "\(weights.byteCount >> 20)",
            "threads": "\(threads)", "ctx": "\(contextLength)",
        ])
    }

    func pipeline() -> LocalPipeline {
        LocalPipeline(stages: [StageEngine(stage: stage)])
    }
}
