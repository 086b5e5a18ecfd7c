import Digest
import Foundation
import GGUF
import Kernels
import Quantization
import TestSupport
import XCTest

/// Qwen 2.5 (Q/K/V biases) and Qwen 3 (Q/K norms, 128-wide heads) files, written by `baton synth` in f16, give
/// llama-quantize's bytes (Tests/Fixtures/quantized/family-outputs.txt): the biases and norms are copied as f32, the
/// matrices take llama's rules.
final class FamilyQuantizationTests: XCTestCase {
    func testQwenFilesAreByteIdenticalToLlamaQuantize() throws {
        let text = try String(contentsOf: TestPaths.quantizedRefs.appendingPathComponent("family-outputs.txt"), encoding: .utf8)
        let lines = text.split(separator: "\n").filter { !$0.hasPrefix("#") }.map { $0.split(separator: " ").map(String.init) }
        let pool = ThreadPool(threads: 2)
        var checked = 0
        for shape in ["qwen3-0.6b", "qwen2.5-0.5b"] {
            let synth = try SyntheticFile(["--shape", shape, "--type", "f16", "--layers", "2"])
            defer { synth.remove() }
            let input = try XCTUnwrap(lines.first { $0[0] == shape && $0[1] == "input" })
            XCTAssertEqual(try FileDigest.sha256(path: synth.path).hexString, input[2], "\(shape): synth wrote another input")
            let file = try GGUFFile(path: synth.path)
            for fields in lines where fields[0] == shape && fields.count == 4 {
                let type = try XCTUnwrap(LlamaFileType(name: fields[1]), fields[1])
                let out = synth.path + ".\(fields[1]).gguf"
                try Quantizer(file: file, plan: QuantizationPlan(file: file, fileType: type), pool: pool).write(to: out)
                XCTAssertEqual(String(try FileDigest.size(path: out)), fields[2], "\(shape) \(fields[1])")
                XCTAssertEqual(try FileDigest.sha256(path: out).hexString, fields[3], "\(shape) \(fields[1])")
                try FileManager.default.removeItem(atPath: out)
                checked += 1
            }
        }
        XCTAssertEqual(checked, 6)
    }
}
