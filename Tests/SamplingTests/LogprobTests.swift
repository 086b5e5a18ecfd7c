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
        for (id, lp) in all.prefix(5) { XCTAssertEqual(lp, Sampler.logprob(of: id, logits: logits), accuracy: 1e-6) }
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
