import ArgumentParser
import Coordinator
import Foundation
import GGUF
import Llama
import Logging
import Tokenizer
import Engine

struct GenerateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "generate",
        abstract: "Generate text from a prompt (no chat template; special tokens in the prompt are parsed).")

    @OptionGroup var model: ModelOptions
    @OptionGroup var sampling: SamplerOptions
    @OptionGroup var cluster: ClusterOptions

    @Option(name: .shortAndLong, help: "The prompt text.") var prompt: String
    @Option(name: [.customLong("max-tokens"), .customShort("n")], help: "Most tokens to generate.") var maxTokens: Int = 128
    @Flag(help: "Print one JSON object with prompt_tokens, tokens, text and timings instead of streaming text.")
    var json = false
    @Option(name: .customLong("dump-tensors"), help: ArgumentHelp(
        "Print intermediate tensors to standard error, named and laid out as llama.cpp's llama-eval-callback does: "
            + "'all' or comma-separated pieces of names (l_out,Qcur-3). Single process only.", valueName: "FILTER"))
    var dumpTensors: String?

    func validate() throws {
        guard maxTokens >= 0 else { throw ValidationError("--max-tokens must be 0 or more, got \(maxTokens)") }
        if dumpTensors != nil && !cluster.workerList.isEmpty {
            throw ValidationError("--dump-tensors runs the model in this process: leave out --workers")
        }
    }

    func run() async throws {
        Baton.bootstrapLogging(model.logLevel ?? .warning)
        let logger = Logger(label: "baton.generate")
        let sampler = try sampling.parameters()
        let generator = try await makeGenerator(logger: logger)
        var request = GenerationRequest(prompt: generator.tokenizer.encode(prompt), maxTokens: maxTokens, sampler: sampler)
        request.logprobs = false   // it prints none
        let stdout = FileHandle.standardOutput
        let result = try await generator.generate(request) { _, text in
            if !json { stdout.write(Data(text.utf8)) }
        }
        if json {
            var output = GenerationJSON(result)
            output.peak_rss_bytes = SystemMemory.resident().peak
            output.worker_peak_rss_bytes = await (generator.pipeline as? RemotePipeline)?.stageStatus().map(\.peakResidentBytes)
            stdout.write(try output.encoded())
        } else {
            stdout.write(Data("\n".utf8))
        }
        let t = result.timings
        logger.info("done", metadata: [
            "prompt_tokens": "\(t.promptTokens)", "prompt_tps": "\(Int(t.promptTokensPerSecond))",
            "generated": "\(t.generatedTokens)", "decode_tps": "\(Int(t.decodeTokensPerSecond))",
        ])
    }
}

extension GenerateCommand {
    /// In-process when no workers are given; otherwise a coordinator that holds only metadata and tokenizer.
    func makeGenerator(logger: Logger) async throws -> Generator {
        guard !cluster.workerList.isEmpty else {
            let local = try LocalModel(model, logger: logger)
            local.stage.tap = dumpTensors.map(TensorDump.tap(filter:))
            return Generator(tokenizer: local.tokenizer, pipeline: local.pipeline())
        }
        let file = try GGUFFile(path: model.model)
        let config = try model.config(file)
        let tokenizer = try Tokenizer(gguf: file)
        let context = try model.contextLength(for: config)
        let pipeline = try await cluster.connect(model: model, file: file, config: config, contextLength: context, logger: logger)
        return Generator(tokenizer: tokenizer, pipeline: pipeline)
    }
}

/// The `--json` output of `baton generate`.
struct GenerationJSON: Encodable {
    struct Timings: Encodable {
        let prompt_ms: Double
        let prompt_tokens_per_second: Double
        let decode_ms: Double
        let decode_tokens_per_second: Double
    }
    let prompt_tokens: [Int32]
    let tokens: [Int32]
    let text: String
    let finish_reason: String
    let timings: Timings
    /// This process's peak resident set (VmHWM): the coordinator's when workers run the model.
    var peak_rss_bytes: UInt64 = 0
    /// Each stage's worker process's peak resident set, in stage order (only with --workers).
    var worker_peak_rss_bytes: [UInt64]?

    init(_ r: GenerationResult) {
        prompt_tokens = r.promptTokens
        tokens = r.tokens.map(\.id)
        text = r.text
        finish_reason = r.finishReason.rawValue
        timings = Timings(prompt_ms: r.timings.promptMilliseconds, prompt_tokens_per_second: r.timings.promptTokensPerSecond,
                          decode_ms: r.timings.decodeMilliseconds, decode_tokens_per_second: r.timings.decodeTokensPerSecond)
    }

    func encoded() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes]
        return try encoder.encode(self) + Data("\n".utf8)
    }
}
