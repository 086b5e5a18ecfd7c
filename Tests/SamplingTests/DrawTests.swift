import XCTest
@testable import Sampling

final class DrawTests: XCTestCase {
    private func argmax(_ logits: [Float]) -> Int32 {
        logits.withUnsafeBufferPointer { SamplingSteps.argmax($0) }
    }

    func testGreedyTiesGoToTheLowestId() {
        XCTAssertEqual(argmax([1, 3, 3, 2]), 1)
        XCTAssertEqual(argmax([7, 7, 7]), 0)
        XCTAssertEqual(argmax([-1, -0.5, -0.5]), 1)
    }

    func testGreedyIgnoresNaNAndHandlesDegenerateVectors() {
        XCTAssertEqual(argmax([.nan, -1, .nan]), 1)
        XCTAssertEqual(argmax([-.infinity, -.infinity]), 0)
        XCTAssertEqual(argmax([]), -1)
    }

    func testSamplerAtTemperatureZeroIsArgmaxWhateverTheSeedAndFilters() throws {
        for seed: UInt64 in 0..<20 {
            var p = SamplerParameters(temperature: 0, topK: 1, topP: 0.1, minP: 0.9)
            p.seed = seed
            var s = try Sampler(parameters: p)
            XCTAssertEqual(s.sample(logits: [0.5, 2, 9, 9, 1]), 2)
        }
    }

    /// Probabilities 0.5, 0.3, 0.2 → cumulative 0.5, 0.8, 1.0: the draw inverts that CDF at `uniform`.
    func testDrawInvertsTheCumulativeDistribution() {
        let c = candidates([ln(0.5), ln(0.3), ln(0.2)], ids: [10, 11, 12])
        let expected: [(Double, Int32)] = [(0, 10), (0.49, 10), (0.51, 11), (0.79, 11), (0.81, 12), (0.999999, 12)]
        for (u, id) in expected {
            XCTAssertEqual(SamplingSteps.draw(c, uniform: u), id, "u = \(u)")
        }
    }

    /// A -∞ logit has probability 0 and can never be drawn, not even by u = 0 when it comes first.
    func testZeroProbabilityIsNeverDrawn() {
        let c = candidates([-.infinity, 0, -.infinity], ids: [0, 1, 2])
        for u in [0.0, 0.5, 0.9999999] {
            XCTAssertEqual(SamplingSteps.draw(c, uniform: u), 1)
        }
    }

    func testDrawOnDegenerateLists() {
        XCTAssertEqual(SamplingSteps.draw(candidates([3], ids: [42]), uniform: 0.7), 42)
        XCTAssertEqual(SamplingSteps.draw(candidates([]), uniform: 0.7), -1)
        var s = try? Sampler(parameters: SamplerParameters())
        XCTAssertEqual(s?.sample(logits: []), -1)
    }
}
