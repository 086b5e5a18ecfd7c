import GGUF
import Llama
import Tokenizer

/// What Baton does with a GGUF file's bytes, for libFuzzer: parse the header and tensor directory, then — as far
/// as each step accepts the file — build the model configuration, the tokenizer and a stage's weights. Bad bytes
/// must be refused with a thrown error; the finding is a trap, or a tensor the parser placed outside the bytes.
public enum GGUFHarness {
    /// A description of what went wrong without trapping, or nil.
    public static func run(_ bytes: UnsafeRawBufferPointer) -> String? {
        guard let file = try? GGUFFile(bytes: bytes) else { return nil }
        for tensor in file.tensors {
            let range = file.fileRange(of: tensor)
            guard range.lowerBound >= file.dataOffset, range.upperBound <= bytes.count else {
                return "tensor \(tensor.name) at \(range) lies outside the \(bytes.count) bytes"
            }
        }
        _ = try? Tokenizer(gguf: file)
        guard let config = try? LlamaConfig(gguf: file) else { return nil }
        let spec = StageSpec(layers: 0..<config.blockCount, hasEmbedding: true, hasHead: true)
        _ = try? StageWeights(file: file, config: config, spec: spec)
        return nil
    }

    /// The seed corpus (Fuzz/Corpus/gguf): a narrow tiny model with and without a vocabulary, its first half, and an
    /// empty file of each version.
    public static func seeds() -> [[UInt8]] {
        let narrow = TinyModel(width: 8, heads: 2, kvHeads: 1, feedForward: 16)
        let model = narrow.bytes(tokenizer: true)
        var versions: [[UInt8]] = []
        for version: UInt32 in [2, 3] {
            var writer = GGUFWriter()
            writer.version = version
            writer.set(GGUFKey.name, .string("seed"))
            writer.set("seed.array", .array(.array, [.array(.uint8, [.uint8(1)])]))
            versions.append(writer.bytes())
        }
        return [model, narrow.bytes(), Array(model.prefix(model.count / 2))] + versions
    }
}
