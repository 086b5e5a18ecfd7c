import XCTest
@testable import Sampling

final class TopPTests: XCTestCase {
    // softmax(ln p) = p: ids 0, 1, 2 carry 0.5, 0.3, 0.2; cumulative in best-first order 0.5, 0.8, 1.0.
    let logits: [Float] = [ln(0.5), ln(0.3), ln(0.2)]

    private func topP(_ p: Float, _ list: Candidates) -> Candidates {
        var c = list
        SamplingSteps.topP(&c, p: p)
        return c
    }

    func testKeepsTheSmallestPrefixReachingP() {
        XCTAssertEqual(topP(0.45, candidates(logits)).ids, [0])        // 0.5 ≥ 0.45
        XCTAssertEqual(topP(0.79, candidates(logits)).ids, [0, 1])     // 0.5 < 0.79 ≤ 0.8
        XCTAssertEqual(topP(0.81, candidates(logits)).ids, [0, 1, 2])  // 0.8 < 0.81
    }

    func testOrderOfInputDoesNotMatter() {
        // Same distribution listed worst-first: ids 2, 1, 0.
        let reversed = candidates(logits.reversed(), ids: [2, 1, 0])
        XCTAssertEqual(Set(topP(0.79, reversed).ids), [0, 1])
    }

    /// Exactly-representable case: two equal logits give probabilities exactly 0.5 each, so with p = 0.5
    /// the first token alone reaches p (the test is ≥, not >); the tie goes to the lower id.
    func testThresholdIsInclusive() {
        XCTAssertEqual(topP(0.5, candidates([0, 0], ids: [7, 3])).ids, [3])
    }

    func testOneIsOffAndAtLeastOneTokenIsKept() {
        let c = candidates(logits)
        XCTAssertEqual(topP(1, c), c)
        XCTAssertEqual(topP(0.000001, candidates(logits)).ids, [0])
    }

    /// Probabilities are computed over the list as it stands (after top-k), not the vocabulary.
    func testProbabilitiesAreRenormalizedOverTheCurrentList() {
        // 0.4, 0.3, 0.2, 0.1 with top-k 2 → 0.4/0.7 = 0.571 and 0.429: p = 0.5 keeps one token,
        // although over the full list 0.4 < 0.5 would have needed two.
        var c = candidates([ln(0.4), ln(0.3), ln(0.2), ln(0.1)])
        XCTAssertEqual(topP(0.5, c).ids, [0, 1])
        SamplingSteps.topK(&c, k: 2)
        XCTAssertEqual(topP(0.5, c).ids, [0])
    }

    /// 2048 equal logits: each probability is exactly 2^-11, so the nucleus for 0.5 is exactly 1024
    /// tokens, ids 0..<1024 (ties to lower id). All fall in one bin, so this exercises the sort of the
    /// crossing bin.
    func testLargeUnsortedListGrowsItsSortedPrefix() {
        let kept = topP(0.5, candidates([Float](repeating: 1, count: 2048)))
        XCTAssertEqual(kept.ids, (0..<1024).map { Int32($0) })
    }

    /// On a random vocabulary-sized list the result equals a brute-force nucleus over a full sort,
    /// computed with the arithmetic each path documents: the binned path (unsorted input) sums in Double;
    /// the sorted path accumulates Float probabilities in list order, like llama.cpp. The two can differ
    /// near the boundary (20 000 Float additions drift by ~1e-4), hence two references.
    func testMatchesBruteForceOnWholeVocabulary() {
        let big = randomLogits(count: 49152, seed: 11, lo: -5, hi: 5)
        let order = fullySorted(big)
        let maxLogit = big.max() ?? 0
        let weights = order.map { exponential(big[Int($0)] - maxLogit) }
        let doubleSum = weights.reduce(0.0) { $0 + Double($1) }
        let floatSum = weights.reduce(Float(0), +)
        for p: Float in [0.1, 0.5, 0.95] {
            var exact = 0.0, n = 0
            while exact < Double(p) * doubleSum { exact += Double(weights[n]); n += 1 }
            XCTAssertEqual(Set(topP(p, candidates(big)).ids), Set(order.prefix(n)), "p = \(p)")

            var cumulative: Float = 0, m = 0
            while cumulative < p { cumulative += weights[m] / floatSum; m += 1 }
            let sortedList = candidates(order.map { big[Int($0)] }, ids: order, sorted: true)
            XCTAssertEqual(topP(p, sortedList).ids, Array(order.prefix(m)), "p = \(p), sorted")
        }
    }
}
