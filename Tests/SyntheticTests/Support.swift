import Foundation
import Kernels
import Synthetic
import TestSupport
import XCTest

/// Writes synthetic models into a per-test temporary directory (removed by the caller's `defer`).
enum Synth {
    nonisolated(unsafe) private static var cachedTokenizer: TokenizerMetadata?
    static let pool = ThreadPool(threads: ThreadPool.physicalCores)

    /// The SmolLM2 tokenizer every synthetic model copies (skips the test when the model is not fetched).
    static func tokenizer() throws -> TokenizerMetadata {
        guard TestPaths.modelAvailable else {
            throw XCTSkip("test model missing at \(TestPaths.model): run scripts/fetch-model.sh")
        }
        if let cachedTokenizer { return cachedTokenizer }
        let tokenizer = try TokenizerMetadata(path: TestPaths.model)
        cachedTokenizer = tokenizer
        return tokenizer
    }

    static func model(_ shape: String, _ type: SyntheticType, seed: UInt64 = 1, layers: Int? = nil) throws -> SyntheticModel {
        let shape = try XCTUnwrap(ModelShape.named(shape))
        return try SyntheticModel(spec: try SyntheticSpec(shape: shape, type: type, seed: seed, layers: layers),
                              tokenizer: try tokenizer())
    }

    /// Writes the model to `dir/name` with `pool` and returns the path.
    @discardableResult
    static func write(_ model: SyntheticModel, in dir: URL, name: String, pool: ThreadPool = pool) throws -> String {
        let path = dir.appendingPathComponent(name).path
        try model.write(to: path, pool: pool)
        return path
    }

    static func temporaryDirectory() throws -> URL {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("synth-tests-\(UUID())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return dir
    }

    /// The file's bytes, memory-mapped (the files are hundreds of MB).
    static func contents(_ path: String) throws -> Data {
        try Data(contentsOf: URL(fileURLWithPath: path), options: .alwaysMapped)
    }
}

/// The exit status and output of a finished `baton` run.
/// Whether two byte ranges are equal, without copying them.
func sameBytes(_ a: UnsafeRawBufferPointer, _ b: UnsafeRawBufferPointer) -> Bool {
    guard a.count == b.count else { return false }
    guard let x = a.baseAddress, let y = b.baseAddress else { return true }  // both empty
    return memcmp(x, y, a.count) == 0
}
