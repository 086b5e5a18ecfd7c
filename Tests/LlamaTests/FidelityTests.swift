import Foundation
import Llama
import TestSupport
import XCTest

/// How close the test model's numbers sit to llama.cpp's, on 64-token greedy runs of the reference prompts
/// (Tests/Fixtures/llamacpp/README.md): teacher-forced logits of llama.cpp's top-10 at every step, and the greedy
/// tokens agreeing before the first divergence, beside llama.cpp's own flash-attention-off run.
final class FidelityTests: XCTestCase {
    func testLogitsAndGreedyAgreementAgainstLlamaCppsDefaultPath() throws {
        let stage = try ModelFixture.stage(maxBatch: 128)
        let ref = try Self.load("greedy-64.json"), off = try Self.load("greedy-64-flash-attn-off.json")
        var diffs: [Float] = [], ours = 0, theirs = 0
        for (test, other) in zip(ref.results, off.results) {
            let rows = try stage.teacherForced(test)
            diffs += topTenDifferences(rows, test)
            // Teacher-forced argmax equals greedy decoding up to the first divergence (one-token and batched
            // passes are bit-identical), so the agreeing prefix is read off the same rows.
            ours += zip(rows.map(argmax), test.generated_ids).prefix { $0 == $1 }.count
            theirs += zip(other.generated_ids, test.generated_ids).prefix { $0 == $1 }.count
        }
        diffs.sort()
        let median = diffs[diffs.count / 2], p95 = diffs[diffs.count * 95 / 100], largest = diffs.last ?? 0
        print(String(format: "fidelity: teacher-forced |Δlogit| median %.4f p95 %.4f max %.4f; greedy agreement %d of %d (llama.cpp flash-attn off: %d)",
                     median, p95, largest, ours, ref.results.count * 64, theirs))
        // llama.cpp's own flash-attention-off path sits at median 0.117, p95 0.385, max 0.825 from its default
        // (over the steps both runs share): this model turns ulp-level differences into ~0.1 logits by layer 3
        // (int8 activations flip roundings), so that is the floor any other arithmetic reaches.
        XCTAssertLessThan(median, 0.2)
        XCTAssertLessThan(p95, 0.6)
        XCTAssertLessThan(largest, 1.5)
    }

    static func load(_ name: String) throws -> QuantizedGreedyReference {
        try JSONDecoder().decode(QuantizedGreedyReference.self, from: Data(contentsOf: TestPaths.refs.appendingPathComponent(name)))
    }
}
