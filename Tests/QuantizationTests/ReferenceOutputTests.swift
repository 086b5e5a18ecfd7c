import Digest
import Foundation
import GGUF
import Kernels
import Quantization
import TestSupport
import XCTest

/// `baton quantize` writes exactly llama-quantize's bytes: the test model requantized to every reference type
/// has the size and sha256 of llama-quantize's file (Tests/Fixtures/quantized/outputs.txt, README.md there).
/// All types take about a minute at 2 threads (the IQ4 searches most of it), so CI runs them all.
final class ReferenceOutputTests: XCTestCase {
    private func expected() throws -> [(type: String, bytes: Int, sha256: String)] {
        let text = try String(contentsOf: TestPaths.quantizedRefs.appendingPathComponent("outputs.txt"), encoding: .utf8)
        return try text.split(separator: "\n").filter { !$0.hasPrefix("#") }.map { line in
            let fields = line.split(separator: " ").map(String.init)
            guard fields.count == 3, let bytes = Int(fields[1]) else { throw FixtureError(description: "bad line in outputs.txt: \(line)") }
            return (fields[0], bytes, fields[2])
        }
    }

    private func requireModel() throws {
        guard TestPaths.modelAvailable else { throw XCTSkip("test model missing at \(TestPaths.model): run scripts/fetch-model.sh") }
    }

    func testEveryReferenceTypeIsByteIdenticalToLlamaQuantize() throws {
        try requireModel()
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let input = try GGUFFile(path: TestPaths.model)
        let pool = ThreadPool(threads: 2)
        let refs = try expected()
        XCTAssertEqual(refs.count, 12)
        for ref in refs {
            let type = try XCTUnwrap(LlamaFileType(name: ref.type), ref.type)
            let path = dir.appendingPathComponent("smollm2-\(ref.type).gguf").path
            let start = Date()
            let plan = try QuantizationPlan(file: input, fileType: type)
            try Quantizer(file: input, plan: plan, pool: pool).write(to: path)
            let seconds = Date().timeIntervalSince(start)
            XCTAssertEqual(plan.fileSize, ref.bytes, ref.type)
            XCTAssertEqual(Int(try FileDigest.size(path: path)), ref.bytes, ref.type)
            XCTAssertEqual(try FileDigest.sha256(path: path).hexString, ref.sha256, ref.type)
            print(String(format: "%@: %.1f s at 2 threads", ref.type, seconds))
            try FileManager.default.removeItem(atPath: path)
        }
    }

    /// Rows are quantized independently, so one thread gives the two-thread bytes; and the command line
    /// writes what the library does.
    func testOneThreadAndTheCommandLineGiveTheSameBytes() throws {
        try requireModel()
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let refs = Dictionary(uniqueKeysWithValues: try expected().map { ($0.type, $0.sha256) })
        let input = try GGUFFile(path: TestPaths.model)
        let path = dir.appendingPathComponent("one-thread.gguf").path
        try Quantizer(file: input, plan: QuantizationPlan(file: input, fileType: .q3_K_M), pool: ThreadPool(threads: 1)).write(to: path)
        XCTAssertEqual(try FileDigest.sha256(path: path).hexString, refs["Q3_K_M"])

        let out = dir.appendingPathComponent("cli.gguf").path
        let run = try BatonRun.run(["quantize", TestPaths.model, out, "q5_0", "--threads", "2"])
        XCTAssertEqual(run.status, 0, run.stderr)
        XCTAssertTrue(run.stdout.contains("Q5_0"), run.stdout)
        XCTAssertEqual(try FileDigest.sha256(path: out).hexString, refs["Q5_0"])
        XCTAssertFalse(FileManager.default.fileExists(atPath: out + ".part"))
    }
}
