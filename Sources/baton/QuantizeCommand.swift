import ArgumentParser
import Foundation
import GGUF
import Kernels
import Quantization

struct QuantizeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "quantize",
        abstract: "Requantize a GGUF model as llama-quantize --allow-requantize does (same tensor types, same bytes).",
        discussion: """
        Every tensor is dequantized to f32 and quantized again with llama.cpp's choice of type for the mix \
        (llama_tensor_get_type: a Q6_K head, more bits for some attn_v / ffn_down layers, Q8_0/Q5_0/… where a row \
        is not a whole number of 256-value super-blocks); tensors already of their new type, and norms, are \
        copied. Metadata is copied in order, general.file_type and general.quantization_version set. Types: \
        \(LlamaFileType.allCases.map(\.description).joined(separator: ", ")) (and the aliases Q3_K, Q4_K, Q5_K).
        """)

    @Argument(help: "The GGUF model to read.")
    var input: String

    @Argument(help: "The GGUF file to write (through OUT.part, renamed when complete).")
    var output: String

    @Argument(help: "The quantization type, as llama-quantize spells it (e.g. Q4_K_M).")
    var type: String

    @Option(name: .shortAndLong, help: "Threads quantizing rows (default: physical cores); the bytes do not depend on it.")
    var threads: Int?

    func validate() throws {
        if let threads, threads < 1 || threads > 512 { throw ValidationError("--threads must be between 1 and 512, got \(threads)") }
    }

    func run() throws {
        guard let fileType = LlamaFileType(name: type) else { throw QuantizationError.unknownType(type) }
        let file = try GGUFFile(path: input)
        let plan = try QuantizationPlan(file: file, fileType: fileType)
        let quantizer = Quantizer(file: file, plan: plan, pool: ThreadPool(threads: threads ?? ThreadPool.physicalCores))
        let progress = ProgressBar(label: "quantizing to \(fileType)")
        let start = ContinuousClock.now
        try quantizer.write(to: output) { progress.update($0, $1) }
        progress.finish()
        let seconds = (ContinuousClock.now - start).seconds
        var counts: [String: Int] = [:]
        for entry in plan.entries { counts[entry.outputType.description, default: 0] += 1 }
        let types = counts.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
        print(String(format: "wrote %@: %@, %.1f MB in %.1f s (tensors: %@)", output, fileType.description,
                     Double(plan.fileSize) / 1_048_576, seconds, types))
    }
}
