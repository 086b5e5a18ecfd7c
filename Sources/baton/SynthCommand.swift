import ArgumentParser
import Foundation
import Kernels
import Synthetic

struct SynthCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "synth",
        abstract: "Write a GGUF with a published Llama/Mistral/Qwen shape and deterministic random weights (tests, benchmarks).",
        discussion: """
        Shapes (from the published configs):
        \(SynthCommand.shapeTable)

        The tokenizer (every tokenizer.* key, chat template included) is copied from --tokenizer-model so prompts \
        tokenize. The file's vocabulary is the larger of the published one and the tokenizer's: 1b/3b pad the \
        tokenizer to 128256 with unused tokens <|synthetic_pad_N|> (they never come out of text and decode to \
        nothing); 7b/13b publish 32000 but get the tokenizer's 49152, and general.name says so.

        Each family's layers are the published ones: Llama 3.1/3.2 write rope_freqs.weight from their "llama3" rope \
        scaling, Qwen 2.5 has Q/K/V biases, Qwen 3 per-head Q/K norms and a 128-wide head. \
        Norm weights are f32 1.0; with a format as --type every matrix, token embedding included, is that format \
        (rows that are not whole blocks fall back as llama-quantize --pure does); with a K mix each matrix gets \
        the format llama-quantize would give it (the rules of baton quantize). The same shape, type, seed, layers \
        and tokenizer give the same bytes. Generated text is garbage; the logits are finite.
        """)

    @Option(help: "Published shape to copy: \(ModelShape.names.joined(separator: ", ")).")
    var shape: String

    @Option(help: "Weight format of every matrix, or a llama-quantize K mix: \(SyntheticType.allCases.map(\.rawValue).joined(separator: ", ")).")
    var type: String

    @Option(help: "Path of the GGUF file to write.")
    var out: String

    @Option(help: "Seed of the random weights.")
    var seed: UInt64 = 1

    @Option(help: "Transformer blocks to write instead of the published count (small tests).")
    var layers: Int?

    @Option(help: "context_length to write instead of the published one (with --rope-scaling: the original length).")
    var context: Int?

    @Option(name: .customLong("rope-scaling"), help: "Declare a rope scaling as a context-extended checkpoint does: linear or yarn.")
    var ropeScaling: String?

    @Option(name: .customLong("rope-scale"), help: "The rope scaling's factor (with --rope-scaling).")
    var ropeScale: Float = 4

    @Option(name: .customLong("tokenizer-model"), help: "GGUF whose tokenizer to copy.")
    var tokenizerModel = "models/SmolLM2-135M-Instruct.Q4_1.gguf"

    @Option(name: .shortAndLong, help: "Threads generating rows (default: physical cores).")
    var threads: Int?

    func validate() throws {
        if let threads, threads < 1 || threads > 512 { throw ValidationError("--threads must be between 1 and 512, got \(threads)") }
        if let context, context < 1 || context > Int(UInt32.max) { throw ValidationError("--context must be between 1 and \(UInt32.max), got \(context)") }
    }

    func run() throws {
        guard let shape = ModelShape.named(shape) else { throw SyntheticError.unknownShape(shape) }
        guard let type = SyntheticType(rawValue: type.lowercased()) else { throw SyntheticError.unknownType(type) }
        var spec = try SyntheticSpec(shape: shape, type: type, seed: seed, layers: layers)
        spec.contextLength = context
        spec.ropeScaling = try ropeScaling.map { try SyntheticRopeScaling(type: $0, factor: ropeScale) }
        let model = try SyntheticModel(spec: spec, tokenizer: try TokenizerMetadata(path: tokenizerModel))
        let pool = ThreadPool(threads: threads ?? ThreadPool.physicalCores)
        let progress = ProgressBar(label: "writing \(out)")
        let start = ContinuousClock.now
        try model.write(to: out, pool: pool) { progress.update($0, $1) }
        progress.finish()
        let seconds = (ContinuousClock.now - start).seconds
        let mb = Double(model.fileSize) / 1_048_576
        print(String(format: "wrote %@: %@, %.1f MB in %.1f s (%.0f MB/s)", out, model.name, mb, seconds,
                     seconds > 0 ? mb / seconds : 0))
    }

    /// The shape table for the help text, one row per shape.
    static var shapeTable: String {
        let header = "  shape        model           arch   n_embd head kv  n_ff  layers vocab  theta   output"
        let rows = ModelShape.published.map { s in
            func pad(_ v: Any, _ n: Int) -> String { "\(v)".padding(toLength: n, withPad: " ", startingAt: 0) }
            return "  " + pad(s.name, 13) + pad(s.publishedModel, 16) + pad(s.architecture, 7) + pad(s.embeddingLength, 7)
                + pad(s.headCount, 5) + pad(s.headCountKV, 4) + pad(s.feedForwardLength, 6) + pad(s.blockCount, 7)
                + pad(s.vocabularySize, 7) + pad(Int(s.ropeFreqBase), 8) + (s.tiedOutput ? "tied" : "separate")
        }
        return ([header] + rows).joined(separator: "\n")
    }
}
