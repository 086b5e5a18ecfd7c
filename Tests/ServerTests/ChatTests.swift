import Foundation
import TestSupport
import XCTest

/// /v1/chat/completions with the model's ChatML template (acceptance 2).
final class ChatTests: XCTestCase {
    static let fixture = ClusterFixture { try ServedCluster(workers: 2) }
    override class func tearDown() { fixture.shutdown() }

    nonisolated(unsafe) static let conversation: [[String: Any]] = [
        ["role": "system", "content": "You are a terse assistant."],
        ["role": "user", "content": "What is the capital of France?"],
    ]

    /// What SmolLM2's `tokenizer.chat_template` produces for `conversation` with add_generation_prompt: one
    /// `<|im_start|>{role}\n{content}<|im_end|>\n` per message, then `<|im_start|>assistant\n`.
    static let expectedPrompt = "<|im_start|>system\nYou are a terse assistant.<|im_end|>\n"
        + "<|im_start|>user\nWhat is the capital of France?<|im_end|>\n<|im_start|>assistant\n"

    func testRenderedPromptIsTheTemplatesChatML() throws {
        let api = try Self.fixture.api()
        let rendered = try api.ok("/apply-template", ["messages": Self.conversation])
        XCTAssertEqual(rendered["prompt"] as? String, Self.expectedPrompt)

        // Without a system message the template inserts its default one.
        let userOnly = try api.ok("/apply-template", ["messages": [["role": "user", "content": "Hi"]]])
        XCTAssertEqual(userOnly["prompt"] as? String,
                       "<|im_start|>system\nYou are a helpful AI assistant named SmolLM, trained by Hugging Face<|im_end|>\n"
                           + "<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n")

        // The chat endpoint evaluates exactly that prompt.
        let tokens = try XCTUnwrap(try api.ok("/tokenize", ["content": Self.expectedPrompt])["tokens"] as? [Int])
        let reply = try api.ok("/v1/chat/completions", ["messages": Self.conversation, "max_tokens": 4, "temperature": 0])
        XCTAssertEqual(reply.usage["prompt_tokens"], tokens.count)
        XCTAssertEqual(reply["object"] as? String, "chat.completion")
        let message = try XCTUnwrap(reply.choice["message"] as? [String: Any])
        XCTAssertEqual(message["role"] as? String, "assistant")
    }

    /// A greedy reply is the same over 1 and 2 stages, and the same twice.
    func testGreedyReplyDeterministicAcrossStageCounts() throws {
        let api = try Self.fixture.api()
        let body: [String: Any] = ["messages": Self.conversation, "max_tokens": 16, "temperature": 0]
        let twoStages = API.text(try api.ok("/v1/chat/completions", body))
        XCTAssertFalse(twoStages.isEmpty)
        XCTAssertEqual(API.text(try api.ok("/v1/chat/completions", body)), twoStages)
        let single = try ServedCluster(workers: 1)
        defer { single.shutdown() }
        XCTAssertEqual(API.text(try API(port: single.port).ok("/v1/chat/completions", body)), twoStages)
    }

    /// Streaming: a role chunk first, content deltas that add up to the non-streamed reply, an empty delta
    /// with the finish reason, the usage chunk, `[DONE]`.
    func testStreamingChatFraming() throws {
        let api = try Self.fixture.api()
        let body: [String: Any] = ["messages": Self.conversation, "max_tokens": 8, "temperature": 0]
        let whole = API.text(try api.ok("/v1/chat/completions", body))
        var streamed = body
        streamed["stream_options"] = ["include_usage": true]
        let (_, events) = try api.stream("/v1/chat/completions", streamed)
        XCTAssertEqual(events.last, "[DONE]")
        let chunks = try events.dropLast().map(SSE.json)
        XCTAssertTrue(chunks.allSatisfy { $0["object"] as? String == "chat.completion.chunk" })
        let deltas = chunks.dropLast().map { $0.choice["delta"] as? [String: Any] ?? [:] }
        XCTAssertEqual(deltas.first?["role"] as? String, "assistant")
        XCTAssertEqual(deltas.last?.count, 0, "the finishing chunk has an empty delta")
        XCTAssertNotNil(chunks.dropLast().last?.choice["finish_reason"] as? String)
        XCTAssertEqual(deltas.compactMap { $0["content"] as? String }.joined(), whole)
        XCTAssertEqual(chunks.last?.usage["completion_tokens"], 8)
    }

    /// Chat log-probabilities: one entry per token with its bytes and `top_logprobs` alternatives.
    func testChatLogprobs() throws {
        let api = try Self.fixture.api()
        let reply = try api.ok("/v1/chat/completions", ["messages": Self.conversation, "max_tokens": 5, "temperature": 0,
                                                        "logprobs": true, "top_logprobs": 2])
        let content = try XCTUnwrap((reply.choice["logprobs"] as? [String: Any])?["content"] as? [[String: Any]])
        XCTAssertEqual(content.count, reply.usage["completion_tokens"])
        for entry in content {
            XCTAssertNotNil(entry["token"] as? String)
            XCTAssertLessThanOrEqual(try XCTUnwrap(entry["logprob"] as? Double), 0)
            XCTAssertNotNil(entry["bytes"] as? [Int])
            XCTAssertEqual((entry["top_logprobs"] as? [Any])?.count, 2)
        }
        let bad = try api.post("/v1/chat/completions", ["messages": Self.conversation, "top_logprobs": 2])
        XCTAssertEqual(bad.status, 400)
    }
}
