import Foundation
import TestSupport
import XCTest

/// `echo: true, max_tokens: 0, logprobs: 1`, what lm-evaluation-harness sends to score text (acceptance 4).
final class ScoringTests: XCTestCase {
    /// Batches of 16: each 37-token prompt is scored in three chunks, so chunk boundaries are exercised.
    static let fixture = ClusterFixture { try ServedCluster(workers: 2, serverArguments: ["--batch-size", "16"]) }
    override class func tearDown() { fixture.shutdown() }

    /// One log-probability per prompt token (none for the first), and the teacher-forced argmax equals
    /// llama.cpp's greedy token wherever llama.cpp's gap to the runner-up is at least 1.0.
    func testEchoScoresEveryTokenAndAgreesWithReference() throws {
        let api = try Self.fixture.api()
        var pieces: [Int32: String] = [:]
        func piece(_ id: Int32) throws -> String {
            if let known = pieces[id] { return known }
            let text = try api.ok("/detokenize", ["tokens": [Int(id)]])["content"] as? String ?? ""
            pieces[id] = text
            return text
        }
        var compared = 0
        for reference in try GreedyReference.load().results {
            let ids = reference.prompt_ids + reference.generated_ids
            let reply = try api.ok("/v1/completions", ["prompt": ids.map(Int.init), "max_tokens": 0, "echo": true, "logprobs": 1])
            XCTAssertEqual(reply.usage["prompt_tokens"], ids.count)
            XCTAssertEqual(reply.usage["completion_tokens"], 0)
            XCTAssertEqual(reply.choice["finish_reason"] as? String, "length")
            let logprobs = try XCTUnwrap(reply.choice["logprobs"] as? [String: Any])
            let values = try XCTUnwrap(logprobs["token_logprobs"] as? [Any])
            let tops = try XCTUnwrap(logprobs["top_logprobs"] as? [Any])
            let tokens = try XCTUnwrap(logprobs["tokens"] as? [String])
            XCTAssertEqual(values.count, ids.count)
            XCTAssertEqual(tops.count, ids.count)
            XCTAssertEqual(tokens.count, ids.count)
            XCTAssertTrue(values[0] is NSNull && tops[0] is NSNull, "the first token has no prediction")
            if reference.prompt.allSatisfy(\.isASCII) {   // pieces of a split UTF-8 character read as U+FFFD
                XCTAssertEqual(API.text(reply), tokens.joined(), "echo returns the prompt text")
            }
            for position in 1..<ids.count {
                let value = try XCTUnwrap(values[position] as? Double, "position \(position)")
                XCTAssertLessThanOrEqual(value, 0)
                XCTAssertGreaterThan(value, -40, "position \(position): a real log-probability, not a placeholder")
                XCTAssertEqual((tops[position] as? [String: Double])?.count, 1)
            }
            for (step, expected) in reference.per_step_greedy.enumerated() where expected.margin_to_2nd >= 1.0 {
                let position = reference.prompt_ids.count + step
                let top = try XCTUnwrap(tops[position] as? [String: Double])
                XCTAssertEqual(top.keys.first, try piece(expected.id), "\(reference.prompt) step \(step)")
                if top.keys.first == tokens[position] {
                    XCTAssertEqual(top.values.first ?? 0, values[position] as? Double ?? 1, accuracy: 1e-4)
                }
                compared += 1
            }
        }
        XCTAssertGreaterThan(compared, 100)
    }

    /// Echo without log-probabilities puts the prompt before the generated text.
    func testEchoPrependsPrompt() throws {
        let api = try Self.fixture.api()
        let plain = try api.complete("Once upon a time", maxTokens: 4)
        let echoed = try api.complete("Once upon a time", maxTokens: 4, extra: ["echo": true])
        XCTAssertEqual(echoed, "Once upon a time" + plain)
    }
}
