import ArgumentParser
import GGUF
import Llama
import Logging

@main
struct Baton: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "baton",
        abstract: "Pipeline-parallel Llama inference: one model, split by layers across worker processes.",
        subcommands: [GenerateCommand.self, ServeCommand.self, WorkerCommand.self, PlanCommand.self, TokenizeCommand.self,
                      BenchCommand.self, SynthCommand.self, QuantizeCommand.self, KeygenCommand.self])

    static func bootstrapLogging(_ level: Logger.Level) {
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
    }
}

/// Options every subcommand that loads a model shares.
struct ModelOptions: ParsableArguments {
    @Option(name: .shortAndLong, help: "Path to a GGUF model file.")
    var model: String

    @Option(name: .shortAndLong, help: "Threads for the math (default: physical cores).")
    var threads: Int?

    @Option(name: [.customLong("ctx-size"), .customShort("c")], help: "Context length per session (default: the model's, at most 4096).")
    var contextSize: Int?

    @Option(name: .customLong("batch-size"), help: "Most tokens evaluated in one forward pass.")
    var batchSize: Int = 256

    @Option(name: .customLong("rope-scaling"), help: "Override the file's rope scaling, as llama.cpp's flag: none, linear or yarn.")
    var ropeScaling: String?

    @Option(name: .customLong("rope-scale"), help: "The override's factor (positions covered = trained length × F).")
    var ropeScale: Float = 1

    @Option(name: .customLong("yarn-orig-ctx"), help: "yarn: the trained context it extends (default: the file's context_length).")
    var yarnOriginalContext: Int?

    @Option(help: "Log level: trace, debug, info, notice, warning, error (default: warning; serve: info).")
    var logLevel: Logger.Level?

    func validate() throws {
        if let threads, threads < 1 || threads > 512 { throw ValidationError("--threads must be between 1 and 512, got \(threads)") }
        if let contextSize, contextSize < 1 { throw ValidationError("--ctx-size must be positive, got \(contextSize)") }
        guard batchSize >= 1 && batchSize <= 8192 else { throw ValidationError("--batch-size must be between 1 and 8192, got \(batchSize)") }
        if let ropeScaling, !RopeScaling.names.contains(ropeScaling) {
            throw ValidationError("--rope-scaling must be one of \(RopeScaling.names.joined(separator: ", ")), got \(ropeScaling)")
        }
        guard ropeScale.isFinite && ropeScale > 0 else { throw ValidationError("--rope-scale must be positive, got \(ropeScale)") }
        if let yarnOriginalContext, yarnOriginalContext < 1 || yarnOriginalContext > Int(UInt32.max) {
            throw ValidationError("--yarn-orig-ctx must be between 1 and \(UInt32.max), got \(yarnOriginalContext)")
        }
    }
}

extension ModelOptions {
    /// The model's configuration from its file, with --rope-scaling's override when given.
    func config(_ file: GGUFFile) throws -> LlamaConfig {
        let config = try LlamaConfig(gguf: file)
        guard let override = try ropeOverride(config) else { return config }
        return try config.overridingRopeScaling(override)
    }

    /// The rope scaling --rope-scaling asks for, or nil to keep the file's.
    func ropeOverride(_ config: LlamaConfig) throws -> RopeScaling? {
        try ropeScaling.map {
            try RopeScaling(name: $0, factor: ropeScale, originalContext: yarnOriginalContext,
                            trainingContext: config.contextLength)
        }
    }

    /// The context per session: --ctx-size, else the model's training context (at most 4096); refused past what
    /// the model's positions cover (its training context, or what its rope scaling extends that to).
    func contextLength(for config: LlamaConfig) throws -> Int {
        let context = contextSize ?? min(config.contextLength, 4096)
        try config.checkContext(context)
        return context
    }
}

extension Logger.Level: @retroactive ExpressibleByArgument {}
