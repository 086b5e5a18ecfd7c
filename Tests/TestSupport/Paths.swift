import Foundation

/// Locations of the test model and llama.cpp's reference data, relative to the package root.
public enum TestPaths {
    public static let packageRoot: URL = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url
    }()

    public static let model = packageRoot.appendingPathComponent("models/SmolLM2-135M-Instruct.Q4_1.gguf").path
    public static let refs = packageRoot.appendingPathComponent("../shared/refs/llamacpp").standardized

    public static var modelAvailable: Bool { FileManager.default.fileExists(atPath: model) }
}
