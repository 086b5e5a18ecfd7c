import Foundation
import TestSupport
import XCTest

/// Many sessions at once over two workers (acceptance 3).
final class ConcurrencyTests: XCTestCase {
    static let fixture = ClusterFixture { try ServedCluster(workers: 2) }
    override class func tearDown() { fixture.shutdown() }

    static let prompts = [
        "The capital of France is", "Once upon a time", "def fibonacci(n):", "1, 2, 3, 4,", "The quick brown fox",
        "日本の首都は", "My favourite colour is", "import numpy as np\n", "The best way to learn", "Water boils at",
        "In the year 1969,", "Roses are red,", "SELECT * FROM", "The sun rises in the", "Dear Sir or Madam,",
        "To be or not to be,",
    ]

    /// 16 concurrent streams: all complete, and each equals its prompt's output when run alone (greedy).
    func testSixteenConcurrentStreamsMatchSingleRequests() throws {
        let api = try Self.fixture.api()
        let maxTokens = 10
        let alone = try Self.prompts.map { try api.complete($0, maxTokens: maxTokens) }
        let results = Locked([String?](repeating: nil, count: Self.prompts.count))
        let failures = Locked([String]())
        DispatchQueue.concurrentPerform(iterations: Self.prompts.count) { i in
            do {
                let (_, events) = try api.stream("/v1/completions", ["prompt": Self.prompts[i], "max_tokens": maxTokens, "temperature": 0])
                guard events.last == "[DONE]" else { throw HTTPTestError("stream \(i) did not end with [DONE]") }
                let text = try events.dropLast().map { try SSE.json($0).choice["text"] as? String ?? "" }.joined()
                results.update { $0[i] = text }
            } catch {
                failures.update { $0.append("stream \(i): \(error)") }
            }
        }
        XCTAssertEqual(failures.get(), [])
        for (i, text) in results.get().enumerated() {
            XCTAssertEqual(text, alone[i], "stream \(i) (\(Self.prompts[i])) differs from its single-request output")
        }
        let health = try api.get("/health").json()
        XCTAssertEqual((health["sessions"] as? [String: Int])?["active"], 0)
    }
}
