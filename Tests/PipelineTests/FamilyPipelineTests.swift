import Coordinator
import Llama
import Sampling
import TestSupport
import XCTest

/// Each architecture over real worker processes: Qwen 3 (Q/K norms, 128-wide heads), Qwen 2.5 (Q/K/V biases,
/// NeoX rope) and Llama 3.2 (rope_freqs.weight, which every stage reads) give one process's tokens over 2 and
/// 3 stages. Seeded sampling at temperature 1 rather than greedy: random weights make greedy text repeat one
/// token, while a draw depends on the whole distribution.
final class FamilyPipelineTests: XCTestCase {
    func testEveryFamilyGivesTheSameTokensOverTwoAndThreeWorkers() async throws {
        for shape in ["qwen3-0.6b", "qwen2.5-0.5b", "1b"] {
            let synth = try SyntheticFile(["--shape", shape, "--type", "q8_0", "--layers", "3", "--seed", "7"])
            defer { synth.remove() }
            let cluster = try Cluster(workers: 3, model: synth.path)
            let prompt = cluster.tokenizer.encode("The capital of France is")
            let sampler = SamplerParameters(temperature: 1, topK: 0, topP: 1, minP: 0, seed: 11)
            let expected = try await cluster.generate(try cluster.localPipeline(), prompt: prompt, maxTokens: 12, sampler: sampler)
            XCTAssertEqual(expected.count, 12, shape)
            XCTAssertGreaterThan(Set(expected).count, 6, "\(shape): \(expected)")
            for stages in [2, 3] {
                let pipeline = try await cluster.pipeline(try cluster.evenPlan(stages))
                let got = try await cluster.generate(pipeline, prompt: prompt, maxTokens: 12, sampler: sampler)
                XCTAssertEqual(got, expected, "\(shape) over \(stages) stages")
            }
        }
    }

    /// --rope-scaling's override travels in LoadStage: every worker rotates as the coordinator's own engine does,
    /// and differently from the file's plain rope.
    func testRopeScalingOverrideReachesEveryStage() async throws {
        let cluster = try Cluster(workers: 2)
        let scaling = RopeScaling.yarn(factor: 4, originalContext: 64)
        let local = try cluster.localPipeline(config: try cluster.config.overridingRopeScaling(scaling))
        let prompt = cluster.tokenizer.encode("Once upon a time, in a small village at the edge of a great forest,")
        let sampler = SamplerParameters(temperature: 1, topK: 0, topP: 1, minP: 0, seed: 5)
        let expected = try await cluster.generate(local, prompt: prompt, maxTokens: 16, sampler: sampler)
        let plain = try await cluster.generate(try cluster.localPipeline(), prompt: prompt, maxTokens: 16, sampler: sampler)
        XCTAssertNotEqual(expected, plain, "the override changes nothing: the test proves nothing")
        let pipeline = try await cluster.pipeline(try cluster.evenPlan(2)) { $0.ropeScaling = scaling }
        let got = try await cluster.generate(pipeline, prompt: prompt, maxTokens: 16, sampler: sampler)
        XCTAssertEqual(got, expected)
    }
}
