import Foundation
import TestSupport
import XCTest

/// /v1/completions against a real server over two real workers (acceptance 1).
final class CompletionTests: XCTestCase {
    /// Batches of 16 so that the 37-token scoring prompts span three chunks.
    static let fixture = ClusterFixture { try ServedCluster(workers: 2, serverArguments: ["--batch-size", "16"]) }
    override class func tearDown() { fixture.shutdown() }

    /// Greedy text for the 6 reference prompts equals what `baton generate` prints, with correct usage.
    func testGreedyCompletionsMatchGenerate() throws {
        let api = try Self.fixture.api()
        for reference in try TokenizeReference.load().prompts {
            let expected = try GenerateOutput.run(prompt: reference.prompt, maxTokens: 12)
            let reply = try api.ok("/v1/completions", ["prompt": reference.prompt, "max_tokens": 12, "temperature": 0])
            XCTAssertEqual(API.text(reply), expected.text, reference.prompt)
            XCTAssertEqual(reply.choice["finish_reason"] as? String, expected.finish_reason)
            XCTAssertEqual(reply.usage, ["prompt_tokens": reference.ids_default.count, "completion_tokens": expected.tokens.count,
                                         "total_tokens": reference.ids_default.count + expected.tokens.count])
            XCTAssertEqual(reply["object"] as? String, "text_completion")
            XCTAssertTrue((reply["id"] as? String)?.hasPrefix("cmpl-") ?? false)
        }
    }

    /// The same prompt as token ids gives the same text.
    func testTokenPromptEqualsTextPrompt() throws {
        let api = try Self.fixture.api()
        let reference = try TokenizeReference.load().prompts[0]
        XCTAssertEqual(try api.complete(reference.ids_default.map(Int.init), maxTokens: 8),
                       try api.complete(reference.prompt, maxTokens: 8))
    }

    /// SSE framing byte for byte: `data: {json}\n\n` per chunk, one id throughout, `"usage":null` on every
    /// chunk, the finish reason on the last choice chunk, then a usage chunk with no choices, then `[DONE]`.
    func testStreamingFramingAndUsage() throws {
        let api = try Self.fixture.api()
        let prompt = "The capital of France is"
        let whole = try api.complete(prompt, maxTokens: 10)
        let (reply, events) = try api.stream("/v1/completions", ["prompt": prompt, "max_tokens": 10, "temperature": 0,
                                                                 "stream_options": ["include_usage": true]])
        XCTAssertEqual(reply.headers["content-type"], "text/event-stream")
        XCTAssertEqual(events.last, "[DONE]")
        let chunks = try events.dropLast().map(SSE.json)
        XCTAssertGreaterThanOrEqual(chunks.count, 3)
        XCTAssertEqual(Set(chunks.compactMap { $0["id"] as? String }).count, 1)
        for chunk in chunks {
            XCTAssertEqual(chunk["object"] as? String, "text_completion")
            XCTAssertTrue(chunk.keys.contains("usage"))
        }
        let usageChunk = try XCTUnwrap(chunks.last)
        XCTAssertEqual((usageChunk["choices"] as? [Any])?.count, 0)
        XCTAssertEqual(usageChunk.usage, ["prompt_tokens": 5, "completion_tokens": 10, "total_tokens": 15])
        let choiceChunks = chunks.dropLast()
        XCTAssertEqual(choiceChunks.last?.choice["finish_reason"] as? String, "length")
        for chunk in choiceChunks.dropLast() {
            XCTAssertTrue(chunk.choice["finish_reason"] is NSNull)
            XCTAssertTrue(chunk["usage"] is NSNull)
        }
        XCTAssertEqual(choiceChunks.map { $0.choice["text"] as? String ?? "" }.joined(), whole)

        let (_, plain) = try api.stream("/v1/completions", ["prompt": prompt, "max_tokens": 3, "temperature": 0])
        XCTAssertFalse(try plain.dropLast().map(SSE.json).contains { $0.keys.contains("usage") })
    }

    /// A stop string made of the end of one token and the start of the next ends the text before it, in
    /// both modes, and no streamed chunk ever carries any of it.
    func testStopStringAcrossTokensNeverLeaks() throws {
        let api = try Self.fixture.api()
        let prompt = "Once upon a time"
        let full = try api.ok("/v1/completions", ["prompt": prompt, "max_tokens": 16, "temperature": 0, "logprobs": 0])
        let pieces = try XCTUnwrap((full.choice["logprobs"] as? [String: Any])?["tokens"] as? [String])
        let k = try XCTUnwrap((1..<(pieces.count - 2)).first { pieces[$0].count >= 2 && !pieces[$0 + 1].isEmpty })
        let stop = String(pieces[k].suffix(2)) + String(pieces[k + 1].prefix(1))
        let text = API.text(full)
        let expected = String(text[..<(try XCTUnwrap(text.range(of: stop))).lowerBound])

        let stopped = try api.ok("/v1/completions", ["prompt": prompt, "max_tokens": 16, "temperature": 0, "stop": [stop, "never seen"]])
        XCTAssertEqual(API.text(stopped), expected)
        XCTAssertEqual(stopped.choice["finish_reason"] as? String, "stop")

        let (_, events) = try api.stream("/v1/completions", ["prompt": prompt, "max_tokens": 16, "temperature": 0, "stop": stop])
        let deltas = try events.dropLast().map { try SSE.json($0).choice["text"] as? String ?? "" }
        XCTAssertEqual(deltas.joined(), expected)
        XCTAssertFalse(deltas.joined().contains(stop))

        let unmatched = try api.ok("/v1/completions", ["prompt": prompt, "max_tokens": 16, "temperature": 0, "stop": "zzzz"])
        XCTAssertEqual(API.text(unmatched), text)
        XCTAssertEqual(unmatched.choice["finish_reason"] as? String, "length")
    }

    /// Generated tokens' log-probabilities: N alternatives each, the greedy token is the most likely one.
    func testGeneratedTokenLogprobs() throws {
        let api = try Self.fixture.api()
        let reply = try api.ok("/v1/completions", ["prompt": "1, 2, 3, 4,", "max_tokens": 6, "temperature": 0, "logprobs": 3])
        let logprobs = try XCTUnwrap(reply.choice["logprobs"] as? [String: Any])
        let tokens = try XCTUnwrap(logprobs["tokens"] as? [String])
        let values = try XCTUnwrap(logprobs["token_logprobs"] as? [Double])
        let tops = try XCTUnwrap(logprobs["top_logprobs"] as? [[String: Double]])
        XCTAssertEqual(tokens.count, 6)
        XCTAssertEqual(tokens.joined(), API.text(reply))
        for (i, top) in tops.enumerated() {
            XCTAssertEqual(top.count, 3)
            XCTAssertLessThanOrEqual(values[i], 0)
            XCTAssertEqual(values[i], try XCTUnwrap(top.values.max()), accuracy: 1e-4)
        }
    }
}
