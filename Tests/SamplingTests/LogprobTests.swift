import Foundation
import XCTest
@testable import Sampling

final class LogprobTests: XCTestCase {
    /// Logits 0 and ln 3 → probabilities 1/4 and 3/4 → log-probs ln 0.25 = -1.386294, ln 0.75 = -0.287682.
    func testLogSoftmaxOfAHandComputedPair() {
        let logits: [Float] = [0, ln(3)]
        XCTAssertEqual(Sampler.logprob(of: 0, logits: logits), -1.386294, accuracy: 1e-5)
        XCTAssertEqual(Sampler.logprob(of: 1, logits: logits), -0.287682, accuracy: 1e-5)
        let top = Sampler.topLogprobs(logits: logits, count: 1)
        XCTAssertEqual(top.map(\.id), [1])
        XCTAssertEqual(top[0].logprob, -0.287682, accuracy: 1e-5)
    }

    func testTopIsOrderedWithTiesToLowerIdAndClampedToTheVocabulary() {
        let top = Sampler.topLogprobs(logits: [1, 2, 2, 0], count: 10)
        XCTAssertEqual(top.map(\.id), [1, 2, 0, 3])
        XCTAssertEqual(top[0].logprob, top[1].logprob)
        XCTAssertTrue(Sampler.topLogprobs(logits: [1, 2], count: 0).isEmpty)
        XCTAssertTrue(Sampler.topLogprobs(logits: [], count: 3).isEmpty)
    }

    /// Huge logits must not overflow: two equal logits of 1000 are each ln ½.
    func testStableForLargeLogits() {
        XCTAssertEqual(Sampler.logprob(of: 1, logits: [1000, 1000]), -0.693147, accuracy: 1e-5)
    }

    func testOutOfRangeIdIsMinusInfinity() {
        XCTAssertEqual(Sampler.logprob(of: 2, logits: [1, 2]), -.infinity)
        XCTAssertEqual(Sampler.logprob(of: -1, logits: [1, 2]), -.infinity)
    }

    /// Over a whole vocabulary the probabilities sum to 1, and top-k log-probs agree with `logprob(of:)`.
    func testNormalizedOverTheWholeVocabulary() {
        let logits = randomLogits(count: 49152, seed: 5, lo: -20, hi: 20)
        let all = Sampler.topLogprobs(logits: logits, count: logits.count)
        XCTAssertEqual(all.map(\.id), fullySorted(logits))
        XCTAssertEqual(all.reduce(0.0) { $0 + exp(Double($1.logprob)) }, 1, accuracy: 1e-4)
        for t in all.prefix(5) { XCTAssertEqual(t.logprob, Sampler.logprob(of: t.id, logits: logits), accuracy: 1e-6) }
    }

    /// The 16-lane maximum and log-sum-exp against plain Double arithmetic, for lengths around the lane width
    /// and with NaNs (which count as -∞) placed in the lanes and in the tail.
    func testLogSumExpMatchesADoubleReferenceWithNaNsAndTails() {
        for count in [1, 15, 16, 17, 33, 49152] {
            var logits = randomLogits(count: count, seed: UInt64(count), lo: -30, hi: 30)
            for i in stride(from: count / 3, to: count, by: max(1, count / 4)) where count > 2 { logits[i] = .nan }
            let kept = logits.filter { !$0.isNaN }.map(Double.init)
            let top = kept.max() ?? -.infinity
            let reference = top + Foundation.log(kept.reduce(0) { $0 + Foundation.exp($1 - top) })
            logits.withUnsafeBufferPointer { buffer in
                XCTAssertEqual(Double(Sampler.maximum(buffer)), top, "count \(count)")
                XCTAssertEqual(Sampler.logSumExp(buffer), reference, accuracy: 1e-5, "count \(count)")
            }
        }
        [Float.nan, .nan].withUnsafeBufferPointer { XCTAssertEqual(Sampler.maximum($0), -.infinity) }
    }
}

/// The vectorized exponential behind log-sum-exp against libm over the whole range it is used on.
final class FastExponentialTests: XCTestCase {
    func testMatchesLibmWithin4e6Relative() {
        var x: Float = -87
        while x <= 0 {
            let exact = Foundation.exp(Double(x))
            XCTAssertEqual(Double(exponentialOfNonPositive(x)), exact, accuracy: exact * 4e-6, "x = \(x)")
            x += 0.000_913
        }
        XCTAssertEqual(exponentialOfNonPositive(0), 1)
        XCTAssertLessThan(exponentialOfNonPositive(-.infinity), 1e-37)
        XCTAssertLessThan(exponentialOfNonPositive(-1e6), 1e-37)
    }
}
