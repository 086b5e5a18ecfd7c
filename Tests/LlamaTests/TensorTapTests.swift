import Foundation
import Llama
import TestSupport
import XCTest

/// The tap sees every step of every layer under llama.cpp's names, in forward order, with the values the pass
/// computed (the last layer's l_out is the hidden state a stage hands on), and costs nothing when unset.
final class TensorTapTests: XCTestCase {
    final class Seen: @unchecked Sendable {  // written by the one thread driving the stage
        var names: [String] = []
        var values: [String: [Float]] = [:]
    }

    func testTapNamesEveryStepInOrderWithTheComputedValues() throws {
        let config = try ModelFixture.load().config
        let stage = try ModelFixture.stage(StageSpec(layers: 3..<5, hasEmbedding: true, hasHead: false))
        let seen = Seen()
        stage.tap = TensorTap(wants: { _ in true }, observe: { name, values, rowLength in
            seen.names.append(name)
            seen.values[name] = Array(values)
            XCTAssertEqual(values.count % rowLength, 0, name)
        })
        let cache = try XCTUnwrap(stage.makeCache())
        let hidden = Array(try stage.forward(.tokens([504, 3575, 282]), cache: cache))
        XCTAssertEqual(seen.names, TensorTap.layerNames(3) + TensorTap.layerNames(4))
        XCTAssertEqual(seen.values["l_out-4"], hidden)
        XCTAssertEqual(seen.values["Qcur-3"]?.count, 3 * config.queryDimension)
        XCTAssertEqual(seen.values["Kcur-3"]?.count, 3 * config.kvDimension)
        XCTAssertEqual(seen.values["ffn_swiglu-4"]?.count, 3 * config.feedForwardLength)

        let filtered = Seen()
        stage.tap = TensorTap(wants: { $0.hasPrefix("attn_out") }, observe: { name, _, _ in filtered.names.append(name) })
        _ = try stage.forward(.tokens([13]), cache: cache)
        XCTAssertEqual(filtered.names, ["attn_out-3", "attn_out-4"])
    }

    func testDumpTensorsPrintsLlamaCppsLayoutAndRefusesWorkers() throws {
        try XCTSkipUnless(TestPaths.modelAvailable, "test model missing: run scripts/fetch-model.sh")
        let run = try BatonRun.run(["generate", "-m", TestPaths.model, "-p", "The capital of France is", "-n", "1",
                                    "--temperature", "0", "--dump-tensors", "l_out-29,result_norm"])
        XCTAssertEqual(run.status, 0, run.stderr)
        XCTAssertTrue(run.stderr.contains("tensor l_out-29 = {576, 5}\n    [\n        ["), run.stderr)
        XCTAssertTrue(run.stderr.contains("tensor result_norm = {576, 1}"), run.stderr)
        XCTAssertTrue(run.stderr.contains("    sum = "), run.stderr)
        XCTAssertFalse(run.stderr.contains("tensor l_out-28"), run.stderr)
        let refused = try BatonRun.run(["generate", "-m", TestPaths.model, "-p", "x", "--dump-tensors", "all",
                                        "--workers", "tcp://127.0.0.1:1"])
        XCTAssertNotEqual(refused.status, 0)
        XCTAssertTrue(refused.stderr.contains("--dump-tensors runs the model in this process"), refused.stderr)
    }
}
