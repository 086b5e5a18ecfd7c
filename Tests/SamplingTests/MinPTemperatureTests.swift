import Foundation
import XCTest
@testable import Sampling

final class MinPTemperatureTests: XCTestCase {
    // Logits 3, 2, 1, 0: probabilities relative to the top are e^0, e^-1, e^-2, e^-3 = 1, 0.368, 0.135, 0.050.
    let logits: [Float] = [3, 2, 1, 0]

    private func minP(_ p: Float, _ list: Candidates) -> Candidates {
        var c = list
        SamplingSteps.minP(&c, p: p)
        return c
    }

    func testKeepsTokensWithinPOfTheTop() {
        XCTAssertEqual(minP(0.3, candidates(logits)).ids, [0, 1])       // 0.368 ≥ 0.3 > 0.135
        XCTAssertEqual(minP(0.1, candidates(logits)).ids, [0, 1, 2])    // 0.135 ≥ 0.1 > 0.050
        XCTAssertEqual(minP(0.04, candidates(logits)).ids, [0, 1, 2, 3])
    }

    func testZeroIsOffAndOneKeepsOnlyTheTopTies() {
        let c = candidates(logits)
        XCTAssertEqual(minP(0, c), c)
        XCTAssertEqual(minP(1, candidates([2, 5, 5, 1])).ids, [1, 2])  // ratio 1 only for the tied maxima
    }

    /// Unsorted input keeps its order (min-p needs no sort), and sortedness is preserved when present.
    func testPreservesOrder() {
        let kept = minP(0.3, candidates([1, 3, 0, 2]))
        XCTAssertEqual(kept.ids, [1, 3])
        XCTAssertFalse(kept.isSorted)
        let sortedKept = minP(0.3, candidates(logits, sorted: true))
        XCTAssertTrue(sortedKept.isSorted)
    }

    func testTemperatureDividesLogits() {
        var c = candidates([2, -1, 0.5])
        SamplingSteps.temperature(&c, t: 0.5)
        XCTAssertEqual(c.logits, [4, -2, 1])
        c = candidates([2, -1, 0.5])
        SamplingSteps.temperature(&c, t: 2)
        XCTAssertEqual(c.logits, [1, -0.5, 0.25])
        XCTAssertEqual(c.ids, [0, 1, 2])
    }

    /// Temperature reshapes the distribution: p ∝ exp(l / t). Logits ln 0.8 and ln 0.2 at t = 0.5 become
    /// 2 ln 0.8, 2 ln 0.2, i.e. 0.64 : 0.04 → 0.941, 0.059.
    func testTemperatureSharpensTheSoftmax() {
        var c = candidates([ln(0.8), ln(0.2)])
        SamplingSteps.temperature(&c, t: 0.5)
        let weights = c.logits.map { exp(Double($0)) }
        let p = weights.map { $0 / weights.reduce(0, +) }
        XCTAssertEqual(p[0], 0.64 / 0.68, accuracy: 1e-5)
        XCTAssertEqual(p[1], 0.04 / 0.68, accuracy: 1e-5)
    }
}
