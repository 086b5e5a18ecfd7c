import Foundation
import FuzzHarness
import GGUF
import Llama
import TestSupport
import XCTest

/// The committed fuzz corpus (Fuzz/Corpus: the seeds, and every input that once crashed a harness, named
/// `crash-…`) replayed through the harnesses scripts/fuzz.sh runs, without libFuzzer: a fixed bug stays fixed in
/// every test run, and the harnesses stay buildable and meaningful.
final class CorpusTests: XCTestCase {
    static let corpus = TestPaths.packageRoot.appendingPathComponent("Fuzz/Corpus")
    static let seedModelPath = "/models/tiny.gguf"

    func testEnvelopeCorpusLeavesBothWorkersServing() throws {
        let harness = try EnvelopeHarness(directory: scratch())
        XCTAssertNil(harness.baselineProblem(), "before the corpus")
        let inputs = try Self.inputs("envelope")
        XCTAssertGreaterThanOrEqual(inputs.count, EnvelopeHarness.seeds(modelPath: Self.seedModelPath).count)
        for (name, bytes) in inputs {
            bytes.withUnsafeBytes { harness.run($0) }
            XCTAssertNil(harness.baselineProblem(), "after \(name)")
        }
    }

    func testGGUFCorpusIsRefusedOrParsedInsideTheBytes() throws {
        for (name, bytes) in try Self.inputs("gguf") {
            XCTAssertNil(bytes.withUnsafeBytes { GGUFHarness.run($0) }, name)
        }
        // The first seed is a model the whole chain accepts, so the fuzzer starts from inputs that reach the loader.
        let model = GGUFHarness.seeds()[0]
        try model.withUnsafeBytes { bytes in
            let config = try LlamaConfig(gguf: try GGUFFile(bytes: bytes))
            XCTAssertEqual(config.blockCount, 2)
        }
    }

    func testHTTPCorpusGetsOnlyAPIErrors() throws {
        for (name, bytes) in try Self.inputs("http") {
            XCTAssertNil(bytes.withUnsafeBytes { HTTPHarness.run($0) }, name)
        }
    }

    /// The seeds each harness defines are the committed `seed-NN` files (BATON_WRITE_FUZZ_SEEDS=1 rewrites them).
    func testSeedsAreCommitted() throws {
        let sets = [("envelope", EnvelopeHarness.seeds(modelPath: Self.seedModelPath)), ("gguf", GGUFHarness.seeds()),
                    ("http", HTTPHarness.seeds())]
        let write = ProcessInfo.processInfo.environment["BATON_WRITE_FUZZ_SEEDS"] == "1"
        for (name, seeds) in sets {
            let directory = Self.corpus.appendingPathComponent(name)
            for (index, seed) in seeds.enumerated() {
                let url = directory.appendingPathComponent(String(format: "seed-%02d", index))
                if write {
                    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
                    try Data(seed).write(to: url)
                }
                XCTAssertEqual(try? Data(contentsOf: url), Data(seed), "\(url.path) is stale: BATON_WRITE_FUZZ_SEEDS=1")
            }
        }
    }

    static func inputs(_ name: String) throws -> [(String, [UInt8])] {
        let directory = corpus.appendingPathComponent(name)
        let names = try FileManager.default.contentsOfDirectory(atPath: directory.path).sorted()
        return try names.map { ($0, Array(try Data(contentsOf: directory.appendingPathComponent($0)))) }
    }

    private func scratch() -> String {
        let path = NSTemporaryDirectory() + "/baton-corpus-\(UUID().uuidString)"
        addTeardownBlock { try? FileManager.default.removeItem(atPath: path) }
        return path
    }
}
