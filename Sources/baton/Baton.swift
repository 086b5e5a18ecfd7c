import ArgumentParser
import Llama
import Logging

@main
struct Baton: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "baton",
        abstract: "Pipeline-parallel Llama inference: one model, split by layers across worker processes.",
        subcommands: [GenerateCommand.self, ServeCommand.self, WorkerCommand.self, PlanCommand.self, TokenizeCommand.self,
                      BenchCommand.self, SynthCommand.self, QuantizeCommand.self])

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

    @Option(help: "Log level: trace, debug, info, notice, warning, error (default: warning; serve: info).")
    var logLevel: Logger.Level?

    func validate() throws {
        if let threads, threads < 1 || threads > 512 { throw ValidationError("--threads must be between 1 and 512, got \(threads)") }
        if let contextSize, contextSize < 1 { throw ValidationError("--ctx-size must be positive, got \(contextSize)") }
        guard batchSize >= 1 && batchSize <= 8192 else { throw ValidationError("--batch-size must be between 1 and 8192, got \(batchSize)") }
    }
}

extension ModelOptions {
    /// The context per session: --ctx-size, else the model's training context (at most 4096); refused past what
    /// the model's positions cover (its training context, or what its rope scaling extends that to).
    func contextLength(for config: LlamaConfig) throws -> Int {
        let context = contextSize ?? min(config.contextLength, 4096)
        try config.checkContext(context)
        return context
    }
}

extension Logger.Level: @retroactive ExpressibleByArgument {}
