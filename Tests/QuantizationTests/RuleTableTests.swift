import Foundation
import Kernels
import Quantization
import TestSupport
import XCTest

/// The per-tensor rules against llama-quantize's own choices (Tests/Fixtures/quantized/tensor-types.json, made
/// by scripts/quant-rule-fixtures.py): the test model under the 12 reference mixes, and --dry-run logs of a
/// 2048-wide GQA model (K-quants fit, so every "more bits" rule shows) and of an 80-block GQA model (llama.cpp's
/// 70B rule) under all 19 file types Baton writes.
final class RuleTableTests: XCTestCase {
    private struct Model: Decodable {
        struct Facts: Decodable { let blockCount: Int, headCount: Int, headCountKV: Int }
        struct Tensor: Decodable {
            let name: String, dims: [Int]
            init(from decoder: Decoder) throws {
                var c = try decoder.unkeyedContainer()
                (name, dims) = (try c.decode(String.self), try c.decode([Int].self))
            }
        }
        let facts: Facts, tensors: [Tensor], types: [String: String]
    }

    private func models() throws -> [String: Model] {
        let url = TestPaths.quantizedRefs.appendingPathComponent("tensor-types.json")
        return try JSONDecoder().decode([String: Model].self, from: Data(contentsOf: url))
    }

    func testEveryTensorOfEveryMixIsLlamaQuantizesChoice() throws {
        var checked = 0
        for (model, m) in try models().sorted(by: { $0.key < $1.key }) {
            let facts = ModelFacts(blockCount: m.facts.blockCount, headCount: m.facts.headCount, headCountKV: m.facts.headCountKV)
            let shapes = m.tensors.map { TensorShape(name: $0.name, dims: $0.dims) }
            for (mix, line) in m.types.sorted(by: { $0.key < $1.key }) {
                let type = try XCTUnwrap(LlamaFileType(name: mix), mix)
                let expected = line.split(separator: " ").map(String.init)
                XCTAssertEqual(expected.count, shapes.count, "\(model) \(mix)")
                // Kept tensors (nil) are these models' f32 norms.
                let chosen = try TensorTypeRules.choose(shapes, fileType: type, facts: facts).map { $0?.description ?? "F32" }
                for (i, (got, want)) in zip(chosen, expected).enumerated() where got != want {
                    XCTFail("\(model) \(mix) \(shapes[i].name) \(shapes[i].dims): \(got), llama-quantize \(want)")
                }
                checked += 1
            }
        }
        XCTAssertEqual(checked, 12 + 19 + 19)
    }

    /// The "more bits" counters run in llama.cpp's order (blocks numerically, names within), not the order given.
    func testChoiceDoesNotDependOnTheOrderTensorsAreGivenIn() throws {
        let m = try XCTUnwrap(models()["synth-1b-16"])
        let facts = ModelFacts(blockCount: m.facts.blockCount, headCount: m.facts.headCount, headCountKV: m.facts.headCountKV)
        let shapes = m.tensors.map { TensorShape(name: $0.name, dims: $0.dims) }
        for type in [LlamaFileType.q4_K_M, .q3_K_M, .iq4_xs] {
            let forward = try TensorTypeRules.choose(shapes, fileType: type, facts: facts)
            let backward = try TensorTypeRules.choose(shapes.reversed(), fileType: type, facts: facts)
            XCTAssertEqual(forward, backward.reversed(), "\(type)")
        }
    }

    /// tensor_type_fallback's table, and F16 when even 32-value blocks do not fit; --pure keeps the default
    /// format for every matrix but still falls back.
    func testShapeFallbacksAndPure() throws {
        let facts = ModelFacts(blockCount: 1, headCount: 4, headCountKV: 1)
        func chosen(_ type: LlamaFileType, cols: Int, pure: Bool = false, name: String = "blk.0.ffn_gate.weight") throws -> WeightFormat? {
            try TensorTypeRules.choose([TensorShape(name: name, dims: [cols, 8]), TensorShape(name: "output.weight", dims: [256, 8])],
                                       fileType: type, pure: pure, facts: facts)[0]
        }
        let table: [(LlamaFileType, WeightFormat)] = [(.q2_K, .q4_0), (.q3_K_S, .q4_0), (.q4_K_S, .q5_0), (.q5_K_S, .q5_1),
                                                      (.q6_K, .q8_0), (.iq4_xs, .iq4_nl), (.q4_1, .q4_1), (.iq4_nl, .iq4_nl)]
        for (type, fallback) in table {
            XCTAssertEqual(try chosen(type, cols: 96), fallback, "\(type)")
            XCTAssertEqual(try chosen(type, cols: 40), .f16, "\(type)")
        }
        XCTAssertEqual(try chosen(.bf16, cols: 40), .bf16)
        XCTAssertEqual(try chosen(.q4_K_M, cols: 256, pure: true, name: "output.weight"), .q4_K)
        XCTAssertEqual(try chosen(.q4_K_M, cols: 256, name: "output.weight"), .q6_K)
        XCTAssertEqual(try chosen(.q6_K, cols: 96, pure: true), .q8_0)
        XCTAssertNil(try chosen(.q4_0, cols: 256, name: "blk.0.attn_norm.weight"))
    }

    func testTypeNamesAndAliases() {
        XCTAssertEqual(LlamaFileType(name: "q4_k_m"), .q4_K_M)
        XCTAssertEqual(LlamaFileType(name: "Q4_K"), .q4_K_M)
        XCTAssertEqual(LlamaFileType(name: "Q3_K"), .q3_K_M)
        XCTAssertEqual(LlamaFileType(name: "Q5_K"), .q5_K_M)
        XCTAssertEqual(LlamaFileType(name: "IQ4_XS")?.rawValue, 30)
        XCTAssertNil(LlamaFileType(name: "Q2_K_S"))  // needs an importance matrix
        XCTAssertNil(LlamaFileType(name: "IQ2_XXS"))
    }
}
