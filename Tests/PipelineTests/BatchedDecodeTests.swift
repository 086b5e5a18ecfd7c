import Coordinator
import Sampling
import Synchronization
import TestSupport
import XCTest

/// Continuous batching over real workers (issue 17, acceptance 1): the six reference prompts as eight concurrent
/// requests give each request its lone tokens over 1, 2 and 3 stages, greedy and seeded; and the stages did
/// compute several sessions per batch (else this would test nothing new).
final class BatchedDecodeTests: XCTestCase {
    func testEightConcurrentRequestsGetTheirLoneTokensOverOneTwoAndThreeStages() async throws {
        let cluster = try Cluster(workers: 3)
        let refs = try GreedyReference.load().results
        let prompts = (0..<8).map { refs[$0 % refs.count].prompt_ids }
        let seeded = SamplerParameters(temperature: 0.9, topK: 40, topP: 0.95, minP: 0.05, repeatPenalty: 1.1, seed: 7)
        // Even requests greedy, odd ones seeded (each its own seed), so both kinds share batches.
        let samplers = prompts.indices.map { i in
            var s = i % 2 == 0 ? SamplerParameters.greedy : seeded
            s.seed = UInt64(100 + i)
            return s
        }
        let local = try cluster.localPipeline()
        var alone: [[Int32]] = []
        for (p, s) in zip(prompts, samplers) { alone.append(try await cluster.generate(local, prompt: p, maxTokens: 24, sampler: s)) }
        for stages in 1...3 {
            let largest = Atomic<Int>(0)
            let pipeline = try await cluster.pipeline(try cluster.evenPlan(stages)) {
                $0.onStageTimings = { timings in for t in timings { largest.max(t.batchSessions) } }
            }
            let together = try await withThrowingTaskGroup(of: (Int, [Int32]).self) { group in
                for i in prompts.indices {
                    group.addTask { (i, try await cluster.generate(pipeline, prompt: prompts[i], maxTokens: 24, sampler: samplers[i])) }
                }
                return try await group.reduce(into: [[Int32]](repeating: [], count: prompts.count)) { $0[$1.0] = $1.1 }
            }
            for i in prompts.indices { XCTAssertEqual(together[i], alone[i], "\(stages) stages, request \(i)") }
            XCTAssertGreaterThan(largest.load(ordering: .relaxed), 1, "\(stages) stages: no batch held two sessions")
        }
    }
}

extension Atomic<Int> {
    /// Raises the value to `x` if it is larger.
    func max(_ x: Int) {
        var current = load(ordering: .relaxed)
        while x > current {
            let (exchanged, original) = compareExchange(expected: current, desired: x, ordering: .relaxed)
            if exchanged { return }
            current = original
        }
    }
}
