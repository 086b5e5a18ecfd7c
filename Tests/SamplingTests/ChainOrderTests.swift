import XCTest
@testable import Sampling

/// Each case is built so that the documented order (penalties → top-k → top-p → min-p → temperature →
/// draw) gives a different set of reachable tokens than the neighbouring steps swapped would. Each runs
/// over 200 seeds, so "never" and "sometimes" are checked on a fixed, reproducible sample.
final class ChainOrderTests: XCTestCase {
    private func reachable(_ logits: [Float], _ params: SamplerParameters, accepting history: [Int32] = []) throws -> Set<Int32> {
        var seen = Set<Int32>()
        for seed: UInt64 in 0..<200 {
            var p = params
            p.seed = seed
            var s = try Sampler(parameters: p)
            for t in history { s.accept(t) }
            seen.insert(s.sample(logits: logits))
        }
        return seen
    }

    /// Logits 5, 4, 0 and token 0 seen once with repeat penalty 100: 5 → 0.05. Penalties first, top-k 1
    /// keeps token 1 only. (Top-k first would keep token 0 and always return it.)
    func testPenaltiesComeBeforeTopK() throws {
        let p = SamplerParameters(temperature: 1, topK: 1, topP: 1, minP: 0, repeatPenalty: 100, repeatLastN: 64)
        XCTAssertEqual(try reachable([5, 4, 0], p, accepting: [0]), [1])
    }

    /// Probabilities 0.4, 0.3, 0.2, 0.1. Top-k 2 then top-p 0.5: renormalized 0.571, 0.429, so top-p keeps
    /// token 0 alone. (Top-p first: 0.4 < 0.5, keeps 0 and 1, and top-k 2 keeps both.)
    func testTopKComesBeforeTopP() throws {
        let p = SamplerParameters(temperature: 1, topK: 2, topP: 0.5, minP: 0)
        XCTAssertEqual(try reachable([ln(0.4), ln(0.3), ln(0.2), ln(0.1)], p), [0])
    }

    /// Same distribution, top-p 0.5 then min-p 0.6: top-p keeps 0.4, 0.3 (0.7 ≥ 0.5), min-p keeps both
    /// (0.3/0.4 = 0.75 ≥ 0.6), so 0 and 1 are both drawn. (Min-p first keeps 0 and 1, then top-p on the
    /// renormalized 0.571, 0.429 would keep token 0 alone.)
    func testTopPComesBeforeMinP() throws {
        let p = SamplerParameters(temperature: 1, topK: 0, topP: 0.5, minP: 0.6)
        XCTAssertEqual(try reachable([ln(0.4), ln(0.3), ln(0.2), ln(0.1)], p), [0, 1])
    }

    /// Logits 10, 0, 0 at temperature 100. Min-p 0.5 on the raw logits keeps token 0 only
    /// (e^-10 ≪ 0.5). (Temperature first would flatten them to 0.1, 0, 0, all within 0.5 of the top.)
    func testMinPComesBeforeTemperature() throws {
        let p = SamplerParameters(temperature: 100, topK: 0, topP: 1, minP: 0.5)
        XCTAssertEqual(try reachable([10, 0, 0], p), [0])
    }

    /// Logits 10, 0, 0 at temperature 100 with no filters: 0.1, 0, 0 → probabilities 0.356, 0.322,
    /// 0.322, so temperature really reaches the draw and every token is drawn.
    func testTemperatureReachesTheDraw() throws {
        let p = SamplerParameters(temperature: 100, topK: 0, topP: 1, minP: 0)
        XCTAssertEqual(try reachable([10, 0, 0], p), [0, 1, 2])
        let cold = SamplerParameters(temperature: 1, topK: 0, topP: 1, minP: 0)
        XCTAssertEqual(try reachable([10, 0, 0], cold), [0])  // e^-10 = 4.5e-5 each: not in 200 draws
    }
}
