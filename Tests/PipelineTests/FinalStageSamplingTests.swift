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

    /// A session whose client wants no log-probabilities (OpenSession.skip_logprobs, 1.5) gets the same tokens
    /// with logprob 0: the last stage skipped the log-sum-exp over the vocabulary. One that wants them gets them.
    func testASessionWithoutLogprobsGetsTheSameTokensAndNoLogprob() async throws {
        let cluster = try Cluster(workers: 2)
        let pipeline = try await cluster.pipeline(try cluster.evenPlan(2))
        var tokens: [Bool: [Int32]] = [:]
        for (session, wanted) in [(UInt64(11), true), (UInt64(12), false)] {
            try await pipeline.open(session, options: SessionOptions(contextLength: 64, sampler: .greedy, logprobs: wanted))
            var input = cluster.tokenizer.encode("The capital of France is")
            for _ in 0..<6 {
                guard let t = try await pipeline.step(session, tokens: input, sample: true, promptLogprobs: false) else {
                    return XCTFail("no token")
                }
                if wanted { XCTAssertLessThan(t.logprob, 0) } else { XCTAssertEqual(t.logprob, 0) }
                tokens[wanted, default: []].append(t.id)
                input = [t.id]
            }
            await pipeline.close(session)
        }
        XCTAssertEqual(tokens[true], tokens[false])
    }
}
