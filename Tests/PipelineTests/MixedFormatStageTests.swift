import Coordinator
import Foundation
import TestSupport
import XCTest

/// A mixed-format file split over 1, 2 and 3 worker processes gives the single process's tokens: llama-quantize's
/// Q4_K_M mix on the test model's shape (Q5_0 and Q8_0 where rows are 576 wide, Q4_K and Q6_K in ffn_down, a
/// Q8_0 embedding that is also the head), written by `baton synth --type q4_k_m`.
final class MixedFormatStageTests: XCTestCase {
    func testQ4_K_MFileGivesTheSameTokensOverOneTwoAndThreeStages() async throws {
        guard TestPaths.modelAvailable else { throw XCTSkip("test model missing: run scripts/fetch-model.sh") }
        let synth = try SyntheticFile(["--shape", "135m", "--type", "q4_k_m", "--layers", "6"])
        defer { synth.remove() }
        let cluster = try Cluster(workers: 3, model: synth.path)
        XCTAssertEqual(Set(cluster.file.tensors.map(\.type)), [.f32, .q5_0, .q8_0, .q4_K, .q6_K])
        let prompts = ["The capital of France is", "def fibonacci(n):"].map { cluster.tokenizer.encode($0) }
        let local = try cluster.localPipeline()
        for prompt in prompts {
            let expected = try await cluster.generate(local, prompt: prompt, maxTokens: 24)
            XCTAssertEqual(expected.count, 24)
            for stages in 1...3 {
                let got = try await cluster.generate(try await cluster.pipeline(try cluster.evenPlan(stages)), prompt: prompt, maxTokens: 24)
                XCTAssertEqual(got, expected, "\(stages) stages")
            }
        }
    }
}
