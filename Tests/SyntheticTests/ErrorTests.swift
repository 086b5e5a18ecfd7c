import Foundation
import Synthetic
import TestSupport
import XCTest

/// Bad input gets a message that says what to do, from the library and from `baton synth`, never a crash.
final class ErrorTests: XCTestCase {
    func testUnwritableOutputThrowsAndLeavesNothing() throws {
        let model = try Synth.model("135m", .q4_0, layers: 1)
        let path = "/nonexistent-dir-\(UUID())/m.gguf"
        XCTAssertThrowsError(try model.write(to: path, pool: Synth.pool)) { error in
            guard case SyntheticError.cannotWrite(let reported, _) = error else { return XCTFail("\(error)") }
            XCTAssertEqual(reported, path)
            XCTAssertTrue("\(error)".contains("writable directory"), "\(error)")
        }
    }

    func testLayerCountOutOfRange() throws {
        let shape = try XCTUnwrap(ModelShape.named("1b"))
        for layers in [0, -3, 100_000] {
            XCTAssertThrowsError(try SyntheticSpec(shape: shape, type: .q4_1, layers: layers)) { error in
                XCTAssertEqual(error as? SyntheticError, .invalidLayerCount(layers, limit: SyntheticSpec.maxLayers))
            }
        }
    }

    func testMissingTokenizerModel() {
        XCTAssertThrowsError(try TokenizerMetadata(path: "/nonexistent.gguf")) { error in
            XCTAssertTrue("\(error)".contains("--tokenizer-model"), "\(error)")
        }
    }

    func testCommandLineErrors() throws {
        _ = try Synth.tokenizer()
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("synth-err-\(UUID()).gguf").path
        defer { try? FileManager.default.removeItem(atPath: out) }
        let cases: [(arguments: [String], message: String)] = [
            (["--shape", "2b", "--type", "q4_1", "--out", out], "unknown shape '2b': choose one of \(ModelShape.names.joined(separator: ", "))"),
            (["--shape", "7b", "--type", "iq2_xxs", "--out", out], "unknown weight type 'iq2_xxs': choose one of f16, bf16, q4_0, q4_1, q5_0, q5_1, q8_0, iq4_nl, q2_k, q3_k, q4_k, q5_k, q6_k, iq4_xs, q3_k_s, q3_k_m, q3_k_l, q4_k_s, q4_k_m, q5_k_s, q5_k_m"),
            (["--shape", "135m", "--type", "q4_1", "--out", "/nonexistent-dir/m.gguf"],
             "cannot write '/nonexistent-dir/m.gguf': No such file or directory"),
            (["--shape", "135m", "--type", "q4_1", "--out", out, "--layers", "0"], "--layers 0 is out of range"),
            (["--shape", "135m", "--type", "q4_1", "--out", out, "--tokenizer-model", "/nonexistent.gguf"],
             "cannot read the tokenizer model '/nonexistent.gguf'"),
            (["--shape", "135m", "--type", "q4_1"], "Missing expected argument '--out <out>'"),
        ]
        for (arguments, message) in cases {
            let run = try BatonRun.run(["synth"] + arguments)
            XCTAssertTrue(run.exitedNormally, "\(arguments): killed by a signal")
            XCTAssertNotEqual(run.status, 0, "\(arguments) succeeded")
            XCTAssertTrue(run.stderr.contains(message), "\(arguments): stderr is \(run.stderr)")
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: out))
    }

    /// And the success path of the command: a small model, its summary line on stdout.
    func testCommandLineWritesAModel() throws {
        _ = try Synth.tokenizer()
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("synth-ok-\(UUID()).gguf").path
        defer { try? FileManager.default.removeItem(atPath: out) }
        let run = try BatonRun.run(["synth", "--shape", "135m", "--type", "f16", "--layers", "2", "--out", out])
        XCTAssertEqual(run.status, 0, run.stderr)
        XCTAssertTrue(run.stdout.hasPrefix("wrote \(out): Baton synthetic llama 135m f16 seed 1"), run.stdout)
        let library = try Synth.model("135m", .f16, layers: 2)
        XCTAssertEqual(try FileManager.default.attributesOfItem(atPath: out)[.size] as? Int, library.fileSize)
    }
}
