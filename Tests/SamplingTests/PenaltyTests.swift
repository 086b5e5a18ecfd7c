import XCTest
@testable import Sampling

final class PenaltyTests: XCTestCase {
    private func penalized(_ logits: [Float], _ counts: [Int32: Int],
                           repeat r: Float = 1, frequency f: Float = 0, presence p: Float = 0) -> [Float] {
        var l = logits
        l.withUnsafeMutableBufferPointer {
            SamplingSteps.applyPenalties($0, counts: counts, repeatPenalty: r, frequency: f, presence: p)
        }
        return l
    }

    /// Repeat 2, frequency 0.1, presence 0.5; counts: id0 ×2, id1 ×1, id2 ×3, id3 unseen.
    ///   id0:  2   > 0 → 2/2 = 1,      − (2·0.1 + 0.5) = 0.3
    ///   id1: -2  ≤ 0 → -2·2 = -4,    − (1·0.1 + 0.5) = -4.6
    ///   id2:  0.5 > 0 → 0.25,        − (3·0.1 + 0.5) = -0.55
    ///   id3:  unseen → 1 unchanged
    func testLlamaCppFormula() {
        let out = penalized([2, -2, 0.5, 1], [0: 2, 1: 1, 2: 3], repeat: 2, frequency: 0.1, presence: 0.5)
        XCTAssertEqual(out[0], 0.3, accuracy: 1e-6)
        XCTAssertEqual(out[1], -4.6, accuracy: 1e-6)
        XCTAssertEqual(out[2], -0.55, accuracy: 1e-6)
        XCTAssertEqual(out[3], 1)
    }

    func testRepeatPenaltyAloneAndZeroLogit() {
        // 0 takes the multiply branch (≤ 0) and stays 0; a penalty < 1 raises a repeated token instead.
        XCTAssertEqual(penalized([4, 0, -3], [0: 1, 1: 1, 2: 1], repeat: 2), [2, 0, -6])
        XCTAssertEqual(penalized([4, -3], [0: 1, 1: 1], repeat: 0.5), [8, -1.5])
    }

    func testNegativeOpenAIPenaltiesRaiseLogits() {
        XCTAssertEqual(penalized([1], [0: 2], frequency: -0.5, presence: -1), [1 + 1 + 1])
    }

    func testOutOfVocabularyIdsAreIgnored() {
        XCTAssertEqual(penalized([1, 2], [-1: 1, 2: 4, 99: 1], repeat: 3, presence: 1), [1, 2])
    }

    func testWindowKeepsTheLastNTokensWithCounts() {
        var h = TokenHistory(window: 3)
        for t: Int32 in [5, 6, 5, 7] { h.append(t) }
        XCTAssertEqual(h.counts, [6: 1, 5: 1, 7: 1])    // window 6, 5, 7: the first 5 fell out
        h.append(8)
        XCTAssertEqual(h.counts, [5: 1, 7: 1, 8: 1])
        h.append(8)
        h.append(8)
        XCTAssertEqual(h.counts, [8: 3])
    }

    func testWholeContextAndOffWindows() {
        var all = TokenHistory(window: -1)
        var off = TokenHistory(window: 0)
        for t: Int32 in [1, 1, 2, 1] {
            all.append(t)
            off.append(t)
        }
        XCTAssertEqual(all.counts, [1: 3, 2: 1])
        XCTAssertEqual(off.counts, [:])
    }

    /// Through the sampler, greedy: token 0 (logit 5) is penalized by 10 → 0.5 while in the 2-token
    /// window, so 1 (logit 4) wins; once two newer tokens push it out, 0 wins again. Prompt tokens go
    /// through `accept` like generated ones.
    func testSamplerAppliesPenaltiesOverItsWindowEvenWhenGreedy() throws {
        let logits: [Float] = [5, 4, 3]
        var s = try Sampler(parameters: SamplerParameters(temperature: 0, repeatPenalty: 10, repeatLastN: 2))
        XCTAssertEqual(s.sample(logits: logits), 0)
        s.accept(0)
        XCTAssertEqual(s.sample(logits: logits), 1)
        s.accept(2)
        XCTAssertEqual(s.sample(logits: logits), 1)  // window [0, 2]: 0 still penalized, 4 > 3/10
        s.accept(2)
        XCTAssertEqual(s.sample(logits: logits), 0)  // window [2, 2]
    }

    func testSampleModifiesTheBufferButNotTheArray() throws {
        var s = try Sampler(parameters: SamplerParameters(temperature: 0, repeatPenalty: 2, repeatLastN: -1))
        s.accept(0)
        let array: [Float] = [4, 3]
        XCTAssertEqual(s.sample(logits: array), 1)
        XCTAssertEqual(array, [4, 3])
        var buffer: [Float] = [4, 3]
        _ = buffer.withUnsafeMutableBufferPointer { s.sample(logits: $0) }
        XCTAssertEqual(buffer, [2, 3])
    }
}
