import Foundation
import GGUF
import Quantization
import TestSupport
import XCTest

/// Every refusal names what is wrong, exits nonzero, and leaves nothing at OUT (nor OUT.part); an existing OUT
/// survives a refused run untouched.
final class RefusalTests: XCTestCase {
    private var dir: URL!
    private var input: String { dir.appendingPathComponent("in.gguf").path }
    private var output: String { dir.appendingPathComponent("out.gguf").path }

    override func setUpWithError() throws { dir = try temporaryDirectory() }
    override func tearDown() { try? FileManager.default.removeItem(at: dir) }

    /// Runs `baton quantize` and checks the refusal: nonzero, `message` on stderr, no output or .part file.
    private func refused(_ arguments: [String], _ message: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let run = try BatonRun.run(["quantize"] + arguments)
        XCTAssertNotEqual(run.status, 0, file: file, line: line)
        XCTAssertTrue(run.stderr.contains(message), "stderr: \(run.stderr)", file: file, line: line)
        XCTAssertFalse(FileManager.default.fileExists(atPath: output), file: file, line: line)
        XCTAssertFalse(FileManager.default.fileExists(atPath: output + ".part"), file: file, line: line)
    }

    func testUnknownTypeIsRefusedNamingIt() throws {
        try TinyModel.write(to: input, tensors: TinyModel.standard())
        try refused([input, output, "Q7_K"], "unknown quantization type 'Q7_K': choose one of F32, F16, Q4_0")
        try refused([input, output, "IQ2_XXS"], "unknown quantization type 'IQ2_XXS'")
    }

    func testWritingOverTheInputIsRefused() throws {
        try TinyModel.write(to: input, tensors: TinyModel.standard())
        let before = try Data(contentsOf: URL(fileURLWithPath: input))
        let link = dir.appendingPathComponent("link.gguf").path
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: input)
        for target in [input, link, dir.appendingPathComponent("./in.gguf").path] {
            let run = try BatonRun.run(["quantize", input, target, "Q4_0"])
            XCTAssertNotEqual(run.status, 0, target)
            XCTAssertTrue(run.stderr.contains("is the input file"), run.stderr)
        }
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: input)), before)
        XCTAssertFalse(FileManager.default.fileExists(atPath: input + ".part"))
    }

    /// A tensor that must be converted but whose type Baton cannot dequantize (IQ2_XXS here); the existing
    /// OUT is left as it was.
    func testUnsupportedInputTensorTypeIsRefusedNamingTheTensor() throws {
        var tensors = TinyModel.standard()
        tensors[2].2 = .iq2_xxs
        try TinyModel.write(to: input, tensors: tensors)
        try refused([input, output, "Q8_0"], "tensor 'blk.0.ffn_down.weight' is IQ2_XXS, which Baton cannot dequantize")
        try Data("keep".utf8).write(to: URL(fileURLWithPath: output))
        let run = try BatonRun.run(["quantize", input, output, "Q8_0"])
        XCTAssertNotEqual(run.status, 0)
        XCTAssertEqual(try String(contentsOfFile: output, encoding: .utf8), "keep")
    }

    func testOtherArchitecturesAreRefused() throws {
        try TinyModel.write(to: input, tensors: TinyModel.standard(), arch: "falcon")
        try refused([input, output, "Q4_K_M"], "architecture 'falcon' is not supported")
    }

    func testAnUnwritableOutputLeavesNothingBehind() throws {
        try TinyModel.write(to: input, tensors: TinyModel.standard())
        let missing = dir.appendingPathComponent("no-such-dir/out.gguf").path
        let run = try BatonRun.run(["quantize", input, missing, "Q4_0"])
        XCTAssertNotEqual(run.status, 0)
        XCTAssertTrue(run.stderr.contains("cannot write '\(missing)'"), run.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: missing + ".part"))
    }
}
