import Llama
import TestSupport
import XCTest

/// Continuous batching's foundation: several sessions' rows in one forward pass (one weight pass, each session
/// attending over its own cache) give every session the logits it gets alone.
final class BatchedSessionsTests: XCTestCase {
    /// The six reference prompts prefilled together (segments of different lengths), then decoded together one
    /// token each for 12 steps, against each prompt run alone.
    func testSessionsInOneBatchGetTheirLoneLogits() throws {
        let stage = try ModelFixture.stage(maxBatch: 128)
        let vocab = stage.config.vocabularySize
        let prompts = try GreedyReference.load().results.map(\.prompt_ids)
        let steps = 12
        let alone = try prompts.map { prompt in try Self.greedyAlone(stage, prompt: prompt, steps: steps) }

        let caches = try prompts.map { _ in try XCTUnwrap(stage.makeCache()) }
        var inputs = prompts
        var worst: Float = 0
        for step in 0...steps {
            let logits = try stage.forward(zip(inputs, caches).map { BatchSegment(.tokens($0), cache: $1) })
            XCTAssertEqual(logits.count, prompts.count * vocab)
            for s in prompts.indices {
                let row = Array(logits[(s * vocab)..<((s + 1) * vocab)])
                worst = max(worst, zip(row, alone[s].logits[step]).map { abs($0 - $1) }.max() ?? 0)
                inputs[s] = [argmax(row[...])]
                XCTAssertEqual(inputs[s][0], alone[s].tokens[step], "prompt \(s), step \(step)")
            }
        }
        print("batched vs alone, largest logit difference: \(worst)")
        XCTAssertLessThan(worst, 1e-3)
    }

    /// A long prompt's chunk shares the pass with another session's one-token decode; the decode still gets its
    /// lone logits, and a batch naming one cache twice is refused.
    func testAPrefillChunkAndADecodeShareOnePass() throws {
        let stage = try ModelFixture.stage(maxBatch: 128)
        let vocab = stage.config.vocabularySize
        let prompts = try GreedyReference.load().results.map(\.prompt_ids)
        let alone = try Self.greedyAlone(stage, prompt: prompts[0], steps: 2)
        let decoding = try XCTUnwrap(stage.makeCache()), prefilling = try XCTUnwrap(stage.makeCache())
        _ = try stage.forward(.tokens(prompts[0]), cache: decoding)
        let both = try stage.forward([BatchSegment(.tokens([alone.tokens[0]]), cache: decoding),
                                      BatchSegment(.tokens(prompts[1] + prompts[2]), cache: prefilling, logits: .none)])
        XCTAssertEqual(both.count, vocab, "only the decode asked for logits")
        XCTAssertEqual(Array(both), alone.logits[1])
        XCTAssertEqual(prefilling.length, prompts[1].count + prompts[2].count)
        XCTAssertThrowsError(try stage.forward([BatchSegment(.tokens([1]), cache: decoding),
                                                BatchSegment(.tokens([2]), cache: decoding)]))
    }

    /// Greedy decoding of one prompt alone: the logits and argmax of the prompt and of each next token.
    static func greedyAlone(_ stage: LlamaStage, prompt: [Int32], steps: Int) throws -> (logits: [[Float]], tokens: [Int32]) {
        guard let cache = stage.makeCache() else { throw XCTSkip("no KV cache") }
        var logits: [[Float]] = [], tokens: [Int32] = []
        var input = prompt
        for _ in 0...steps {
            let row = Array(try stage.forward(.tokens(input), cache: cache))
            logits.append(row)
            tokens.append(argmax(row[...]))
            input = [tokens.last ?? 0]
        }
        return (logits, tokens)
    }
}
