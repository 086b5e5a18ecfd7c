import Coordinator
import Sampling
import TestSupport
import XCTest

/// Splitting the model across N worker processes never changes the tokens.
final class StageCountTests: XCTestCase {
    func testGreedyOutputIsIdenticalForEveryStageCount() async throws {
        let cluster = try Cluster(workers: 5)
        let refs = try GreedyReference.load().results
        let local = try cluster.localPipeline()
        var expected: [[Int32]] = []
        for ref in refs { expected.append(try await cluster.generate(local, prompt: ref.prompt_ids, maxTokens: 32)) }

        let uneven = try StagePlan.parse("0-3,4-28,29-29", blockCount: 30, stages: 3)
        for plan in [try cluster.evenPlan(1), try cluster.evenPlan(2), try cluster.evenPlan(3), try cluster.evenPlan(5), uneven] {
            let pipeline = try await cluster.pipeline(plan)
            for (ref, want) in zip(refs, expected) {
                let got = try await cluster.generate(pipeline, prompt: ref.prompt_ids, maxTokens: 32)
                XCTAssertEqual(got, want, "split \(plan), prompt \(ref.prompt.debugDescription)")
            }
        }
    }

    func testSeededSamplingIsIdenticalForOneTwoAndThreeStages() async throws {
        let cluster = try Cluster(workers: 3)
        let sampler = SamplerParameters(temperature: 0.8, topK: 40, topP: 0.95, minP: 0.05, repeatPenalty: 1.1, seed: 42)
        let prompt = cluster.tokenizer.encode("Once upon a time")
        let local = try await cluster.generate(try cluster.localPipeline(), prompt: prompt, maxTokens: 64, sampler: sampler)
        XCTAssertEqual(local.count, 64)
        for stages in 1...3 {
            let pipeline = try await cluster.pipeline(try cluster.evenPlan(stages))
            let got = try await cluster.generate(pipeline, prompt: prompt, maxTokens: 64, sampler: sampler)
            XCTAssertEqual(got, local, "\(stages) stages")
        }
    }

    func testConcurrentSessionsDoNotMix() async throws {
        let cluster = try Cluster(workers: 2)
        let pipeline = try await cluster.pipeline(try cluster.evenPlan(2))
        let prompts = try GreedyReference.load().results.prefix(2).map(\.prompt_ids)
        var alone: [[Int32]] = []
        for p in prompts { alone.append(try await cluster.generate(pipeline, prompt: p, maxTokens: 24)) }
        async let a = cluster.generate(pipeline, prompt: prompts[0], maxTokens: 24)
        async let b = cluster.generate(pipeline, prompt: prompts[1], maxTokens: 24)
        let together = try await [a, b]
        XCTAssertEqual(together, alone)
    }
}
