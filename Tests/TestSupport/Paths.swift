import Foundation

/// Locations of the test model and llama.cpp's reference data, relative to the package root.
public enum TestPaths {
    public static let packageRoot: URL = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url
    }()

    public static let model = packageRoot.appendingPathComponent("models/SmolLM2-135M-Instruct.Q4_1.gguf").path
    /// llama.cpp's reference data for the test model, committed (Tests/Fixtures/llamacpp/README.md says how it was made).
    public static let refs = packageRoot.appendingPathComponent("Tests/Fixtures/llamacpp")
    /// llama.cpp's greedy runs on the test model requantized by llama-quantize (Tests/Fixtures/quantized/README.md).
    public static let quantizedRefs = packageRoot.appendingPathComponent("Tests/Fixtures/quantized")

    public static var modelAvailable: Bool { FileManager.default.fileExists(atPath: model) }
}

extension TestPaths {
    /// The directory `variable` names, else `fallback` under the package root.
    static func directory(_ variable: String, else fallback: String) -> URL {
        if let dir = ProcessInfo.processInfo.environment[variable] { return URL(fileURLWithPath: dir) }
        return packageRoot.appendingPathComponent(fallback)
    }

    /// Where the requantized test models are looked for: $BATON_QUANTIZED_DIR, else models/quantized/.
    public static var quantizedModels: URL { directory("BATON_QUANTIZED_DIR", else: "models/quantized") }

    /// smollm2-TYPE.gguf in `quantizedModels`, as named in Tests/Fixtures/quantized/README.md.
    public static func quantizedModel(_ type: String) -> String {
        quantizedModels.appendingPathComponent("smollm2-\(type).gguf").path
    }
}

extension TestPaths {
    /// llama.cpp's tokenizer test vocabularies, fetched by scripts/fetch-vocab.sh: $BATON_VOCAB_DIR, else models/vocab/.
    public static var vocabularies: URL { directory("BATON_VOCAB_DIR", else: "models/vocab") }

    /// ggml-vocab-NAME.gguf in `vocabularies` (NAME: llama-spm, llama-bpe, qwen2, gpt-2, …); its cases are beside it
    /// with .inp / .out appended.
    public static func vocabulary(_ name: String) -> String {
        vocabularies.appendingPathComponent("ggml-vocab-\(name).gguf").path
    }
}
