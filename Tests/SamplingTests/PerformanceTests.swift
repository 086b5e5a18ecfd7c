import XCTest
@testable import Sampling

/// Time per `sample` on a SmolLM2-sized (49152) logit vector. Bounds are generous (a decode step takes
/// ~7 ms on this machine class) and only enforced in optimized builds.
final class PerformanceTests: XCTestCase {
    private func microsecondsPerSample(_ params: SamplerParameters, iterations: Int = 200) throws -> Double {
        let logits = randomLogits(count: 49152, seed: 77, lo: -5, hi: 15)
        var s = try Sampler(parameters: params)
        for t: Int32 in 0..<64 { s.accept(t * 700) }
        // One reused buffer, refilled each time (sampling modifies it), as the engine reuses its logits.
        let buffer = UnsafeMutableBufferPointer<Float>.allocate(capacity: logits.count)
        defer { buffer.deallocate() }
        var sink: Int32 = 0
        let clock = ContinuousClock()
        let elapsed = clock.measure {
            for _ in 0..<iterations {
                logits.withUnsafeBytes { UnsafeMutableRawBufferPointer(buffer).copyMemory(from: $0) }
                sink &+= s.sample(logits: buffer)
            }
        }
        XCTAssertGreaterThanOrEqual(sink, 0)
        let c = elapsed.components
        return (Double(c.seconds) * 1e6 + Double(c.attoseconds) * 1e-12) / Double(iterations)
    }

    func testSampleSpeedOnWholeVocabulary() throws {
        let cases: [(String, SamplerParameters, Double)] = [
            ("default (top-k 40)", SamplerParameters(), 500),
            ("default + penalties", SamplerParameters(repeatPenalty: 1.1, presencePenalty: 0.3), 500),
            ("greedy", .greedy, 500),
            ("top-k off, top-p 0.95", SamplerParameters(topK: 0), 5000),
            ("all filters off", SamplerParameters(topK: 0, topP: 1, minP: 0), 5000),
        ]
        for (name, params, bound) in cases {
            let us = try microsecondsPerSample(params)
            print("sample [\(name)]: \(String(format: "%.1f", us)) µs")
            #if !DEBUG
            XCTAssertLessThan(us, bound, name)
            #endif
        }
    }
}
