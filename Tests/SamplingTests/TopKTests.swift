import XCTest
@testable import Sampling

final class TopKTests: XCTestCase {
    // logits by id: 0→1, 1→5, 2→3, 3→5, 4→2. Best-first with ties to the lower id: 1, 3, 2, 4, 0.
    let logits: [Float] = [1, 5, 3, 5, 2]

    func testKeepsTheKHighestSortedWithTiesToLowerId() {
        var c = candidates(logits)
        SamplingSteps.topK(&c, k: 2)
        XCTAssertEqual(c.ids, [1, 3])
        XCTAssertEqual(c.logits, [5, 5])
        XCTAssertTrue(c.isSorted)

        c = candidates(logits)
        SamplingSteps.topK(&c, k: 3)
        XCTAssertEqual(c.ids, [1, 3, 2])
    }

    func testZeroAndKAtLeastTheListSizeAreOff() {
        for k in [0, 5, 10] {
            var c = candidates(logits)
            SamplingSteps.topK(&c, k: k)
            XCTAssertEqual(c, candidates(logits), "k = \(k)")
        }
        var c = candidates(logits)
        SamplingSteps.topK(&c, k: 4)
        XCTAssertEqual(c.ids, [1, 3, 2, 4])
        XCTAssertEqual(c.logits, [5, 5, 3, 2])
    }

    func testOnAnAlreadySortedListItTruncates() {
        var c = candidates([9, 7, 4], ids: [30, 10, 20], sorted: true)
        SamplingSteps.topK(&c, k: 2)
        XCTAssertEqual(c.ids, [30, 10])
    }

    func testTiesBetweenArbitraryIdsGoToTheLowerId() {
        var c = candidates([2, 2, 2], ids: [9, 4, 6])
        SamplingSteps.topK(&c, k: 2)
        XCTAssertEqual(c.ids, [4, 6])
    }

    func testNaNLogitsNeverWin() {
        var c = candidates([.nan, 1, .nan, 0])
        SamplingSteps.topK(&c, k: 2)
        XCTAssertEqual(c.ids, [1, 3])
    }

    /// The heap selection agrees with a full sort on a vocabulary-sized vector full of ties
    /// (values on a 0.25 grid over [-10, 10): 80 distinct values for 49152 entries).
    func testPartialSelectionMatchesFullSortOnWholeVocabulary() {
        let big = randomLogits(count: 49152, seed: 3, step: 0.25)
        let reference = fullySorted(big)
        for k in [1, 40, 1000, 49152] {
            let selected = big.withUnsafeBufferPointer { Candidates(top: k, of: $0) }
            XCTAssertEqual(selected.ids, Array(reference.prefix(k)), "k = \(k)")
            XCTAssertEqual(selected.logits, reference.prefix(k).map { big[Int($0)] })
        }
    }
}
