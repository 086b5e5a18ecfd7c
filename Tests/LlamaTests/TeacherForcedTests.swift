import Llama
import TestSupport
import XCTest

/// Prompt plus llama.cpp's continuation evaluated as one batch: every position's logits against the reference.
final class TeacherForcedTests: XCTestCase {
    func testLogitsAgreeWithLlamaCpp() throws {
        let stage = try ModelFixture.stage()
        let vocab = stage.config.vocabularySize
        var largest: Float = 0
        for ref in try GreedyReference.load().results {
            guard let cache = stage.makeCache() else { return XCTFail("no KV cache") }
            let tokens = ref.prompt_ids + ref.generated_ids.dropLast()
            let logits = try stage.forward(.tokens(tokens), cache: cache, logits: .all)
            let first = ref.prompt_ids.count - 1   // row predicting the first generated token
            for (step, expected) in ref.per_step_greedy.enumerated() {
                let row = UnsafeBufferPointer(rebasing: logits[((first + step) * vocab)..<((first + step + 1) * vocab)])
                let diff = abs(row[Int(expected.id)] - expected.logit)
                largest = max(largest, diff)
                XCTAssertLessThan(diff, 1.0, "\(ref.prompt.debugDescription) step \(step): logit of \(expected.id) is \(row[Int(expected.id)]), llama.cpp \(expected.logit)")
                if expected.margin_to_2nd >= 1.0 {
                    XCTAssertEqual(argmax(row), expected.id, "\(ref.prompt.debugDescription) step \(step): argmax")
                }
            }
            let row = UnsafeBufferPointer(rebasing: logits[(first * vocab)..<((first + 1) * vocab)])
            for top in ref.first_generated_position.top10 {
                let diff = abs(row[Int(top.id)] - top.logit)
                largest = max(largest, diff)
                XCTAssertLessThan(diff, 1.0, "\(ref.prompt.debugDescription) first position: logit of \(top.id) \(top.piece.debugDescription) is \(row[Int(top.id)]), llama.cpp \(top.logit)")
            }
        }
        print("largest logit difference from llama.cpp: \(largest)")
    }
}
