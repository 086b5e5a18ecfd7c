import Coordinator
import Sampling
import TestSupport
import Engine
import XCTest

/// Sampling happens on the last stage: what comes back per token is its id and at most the requested top-N
/// log-probabilities, never the logit vector.
final class FinalStageSamplingTests: XCTestCase {
    func testOnlyTokensAndTopNLogprobsComeBack() async throws {
        let cluster = try Cluster(workers: 2)
        let pipeline = try await cluster.pipeline(try cluster.evenPlan(2))
        let session: UInt64 = 7
        try await pipeline.open(session, options: SessionOptions(contextLength: 64, sampler: .greedy, topLogprobs: 5))
        let before = try await pipeline.stageHealth()
        var token = try await pipeline.step(session, tokens: cluster.tokenizer.encode("The capital of France is"),
                                            sample: true, promptLogprobs: false)
        for _ in 0..<7 {
            guard let t = token else { return XCTFail("no token") }
            XCTAssertEqual(t.top.count, 5, "exactly the requested top-5")
            XCTAssertEqual(t.top.first?.id, t.id, "greedy picks the most likely token")
            token = try await pipeline.step(session, tokens: [t.id], sample: true, promptLogprobs: false)
        }
        await pipeline.close(session)
        let after = try await pipeline.stageHealth()
        // The last stage's sends are the results: 8 of them, each a few dozen bytes (a logit vector is 196 KB).
        let messages = after[1].dataMessagesSent - before[1].dataMessagesSent
        let bytes = after[1].dataBytesSent - before[1].dataBytesSent
        XCTAssertEqual(messages, 8)
        XCTAssertLessThan(bytes / messages, 200, "\(bytes / messages) bytes per result")
        // Stage 0 sends hidden states: 576 floats per token.
        XCTAssertGreaterThan(after[0].dataBytesSent - before[0].dataBytesSent, 8 * 576 * 4)
    }
}
