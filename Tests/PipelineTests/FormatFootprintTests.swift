import Coordinator
import GGUF
import Kernels
import Llama
import TestSupport
import XCTest

/// The planner prices every format as it is held once loaded: for a mixed Q4_K_M file (Q4_K, Q6_K, Q5_0 and
/// Q8_0 matrices, some interleaved where the CPU has those kernels, f32 norms) every stage's planned weight
/// bytes equal what the loaded stage holds.
final class FormatFootprintTests: XCTestCase {
    func testPlannedStageWeightsEqualLoadedBytesForAMixedK_QuantFile() throws {
        guard TestPaths.modelAvailable else { throw XCTSkip("test model missing: run scripts/fetch-model.sh") }
        let synth = try SyntheticFile(["--shape", "1b", "--type", "q4_k_m", "--layers", "4"])
        defer { synth.remove() }
        let file = try GGUFFile(path: synth.path)
        let types = Set(file.tensors.map(\.type))
        XCTAssertEqual(types, [.f32, .q4_K, .q6_K], "1b rows are 2048 wide: every matrix is a K-quant")
        let config = try LlamaConfig(gguf: file)
        let footprint = try ModelFootprint(file: file, config: config, contextLength: 256, sessions: 1)
        for ranges in [[0..<4], [0..<2, 2..<4], [0..<1, 1..<3, 3..<4]] {
            for (index, layers) in ranges.enumerated() {
                let planned = footprint.stage(layers, index: index, of: ranges.count)
                let spec = StageSpec(layers: layers, hasEmbedding: index == 0, hasHead: index == ranges.count - 1)
                let weights = try StageWeights(file: file, config: config, spec: spec)
                XCTAssertEqual(planned.weightBytes, weights.residentBytes, "\(ranges) stage \(index)")
                XCTAssertEqual(planned.weightBytes, weights.byteCount, "\(ranges) stage \(index)")
            }
        }
    }

    /// A matrix whose rows are not a whole number of 16-row groups costs its padded interleaved size.
    func testInterleavedPaddingIsPriced() {
        XCTAssertEqual(WeightMatrix.residentBytes(format: .q4_K, rows: 17, cols: 256), 32 * 144)
        XCTAssertEqual(WeightMatrix.residentBytes(format: .q4_K, rows: 32, cols: 256), 32 * 144)
        XCTAssertEqual(WeightMatrix.residentBytes(format: .q5_0, rows: 17, cols: 64), 17 * 44)
        XCTAssertEqual(WeightMatrix.residentBytes(format: .q8_0, rows: 1, cols: 64), 68)
        XCTAssertEqual(WeightMatrix.residentBytes(format: .q8_0, rows: .max, cols: 64), .max)
    }
}
