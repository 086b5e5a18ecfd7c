import Llama
import TestSupport
import XCTest

/// The pipeline's foundation: running layers 0..<15 then 15..<30 and passing the hidden state gives exactly the
/// logits of running 0..<30 at once.
final class StageSplitTests: XCTestCase {
    func testTwoStagesGiveBitIdenticalLogits() throws {
        let config = try ModelFixture.load().config
        let whole = try ModelFixture.stage()
        let front = try ModelFixture.stage(StageSpec(layers: 0..<15, hasEmbedding: true, hasHead: false))
        let back = try ModelFixture.stage(StageSpec(layers: 15..<config.blockCount, hasEmbedding: false, hasHead: true))
        let prompt = try GreedyReference.load().results[0].prompt_ids
        guard let wholeCache = whole.makeCache(), let frontCache = front.makeCache(), let backCache = back.makeCache() else {
            return XCTFail("no KV cache")
        }
        var next: [Int32] = prompt
        for step in 0..<4 {   // the prompt as a batch, then three single-token decodes
            let expected = Array(try whole.forward(.tokens(next), cache: wholeCache, logits: .all))
            let hidden = try front.forward(.tokens(next), cache: frontCache)
            let actual = Array(try back.forward(.hidden(hidden), cache: backCache, logits: .all))
            XCTAssertEqual(expected.count, actual.count)
            XCTAssertTrue(expected == actual, "step \(step): split logits differ")
            next = [argmax(expected[(expected.count - config.vocabularySize)...])]
        }
    }
}
