import Foundation
import TestSupport
import XCTest

/// /tokenize, /detokenize, /health and /metrics.
final class EndpointTests: XCTestCase {
    static let fixture = ClusterFixture { try ServedCluster(workers: 2) }
    override class func tearDown() { fixture.shutdown() }

    /// llama-server's shapes, with the ids llama.cpp's tokenizer gives.
    func testTokenizeAndDetokenize() throws {
        let api = try Self.fixture.api()
        for reference in try TokenizeReference.load().prompts {
            let tokens = try XCTUnwrap(try api.ok("/tokenize", ["content": reference.prompt])["tokens"] as? [Int])
            XCTAssertEqual(tokens, reference.ids_default.map(Int.init))
            let back = try api.ok("/detokenize", ["tokens": tokens])
            XCTAssertEqual(back["content"] as? String, reference.prompt)
        }
        let pieces = try XCTUnwrap(try api.ok("/tokenize", ["content": "Hello world", "with_pieces": true])["tokens"] as? [[String: Any]])
        XCTAssertEqual(pieces.compactMap { $0["piece"] as? String }.joined(), "Hello world")
        XCTAssertEqual(try api.post("/detokenize", ["tokens": [-1]]).status, 400)
    }

    /// The stage map, and Prometheus text with every metric family the issue lists.
    func testHealthAndMetrics() throws {
        let api = try Self.fixture.api()
        let health = try api.get("/health")
        XCTAssertEqual(health.status, 200)
        let stages = try XCTUnwrap(try health.json()["stages"] as? [[String: Any]])
        XCTAssertEqual(stages.count, 2)
        XCTAssertEqual(stages.map { $0["layers"] as? [Int] ?? [] }.first?.first, 0)
        XCTAssertTrue(stages.allSatisfy { $0["loaded"] as? Bool == true })
        XCTAssertEqual(stages.compactMap { $0["liveness"] as? String }, ["alive", "alive"])

        _ = try api.complete("The quick brown fox", maxTokens: 4)
        let metrics = try api.get("/metrics")
        XCTAssertEqual(metrics.status, 200)
        XCTAssertTrue(metrics.headers["content-type"]?.hasPrefix("text/plain") ?? false)
        for family in ["baton_requests_total{endpoint=\"/v1/completions\",status=\"200\"}", "baton_prompt_tokens_total",
                       "baton_generated_tokens_total", "baton_time_to_first_token_seconds_bucket",
                       "baton_token_latency_seconds_bucket", "baton_stage_forward_seconds_bucket{stage=\"0\"",
                       "baton_stage_forward_seconds_bucket{stage=\"1\"", "baton_active_sessions",
                       "baton_stage_liveness{stage=\"1\",state=\"alive\"} 1", "baton_stage_liveness{stage=\"1\",state=\"dead\"} 0"] {
            XCTAssertTrue(metrics.text.contains(family), "/metrics lacks \(family)")
        }
    }
}
