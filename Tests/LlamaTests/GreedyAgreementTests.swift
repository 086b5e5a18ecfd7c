import Llama
import TestSupport
import XCTest

/// Greedy decoding against llama.cpp's continuations, judged the way the issue says: token for token up to the
/// first step where the reference's best-vs-second gap is below 0.3.
final class GreedyAgreementTests: XCTestCase {
    func testGreedyContinuationsMatchLlamaCpp() throws {
        let stage = try ModelFixture.stage()
        for ref in try GreedyReference.load().results {
            guard let cache = stage.makeCache() else { return XCTFail("no KV cache") }
            var logits = try stage.forward(.tokens(ref.prompt_ids), cache: cache)
            var generated: [Int32] = []
            for _ in ref.generated_ids {
                let next = argmax(logits)
                generated.append(next)
                logits = try stage.forward(.tokens([next]), cache: cache)
            }
            let exact = ref.exactPrefix(margin: 0.3)
            let agree = zip(generated, ref.generated_ids).prefix { $0 == $1 }.count
            print("prompt \(ref.prompt.debugDescription): agrees for \(agree)/\(generated.count) tokens (must: \(exact))")
            XCTAssertGreaterThanOrEqual(agree, exact, """
                \(ref.prompt.debugDescription)
                expected \(ref.generated_ids)
                actual   \(generated)
                """)
        }
    }
}

/// Index of the largest logit, relative to the collection's start (ties: the lower id, as llama.cpp).
func argmax<C: RandomAccessCollection>(_ logits: C) -> Int32 where C.Element == Float, C.Index == Int {
    var best = logits.startIndex
    for i in logits.indices where logits[i] > logits[best] { best = i }
    return Int32(best - logits.startIndex)
}
