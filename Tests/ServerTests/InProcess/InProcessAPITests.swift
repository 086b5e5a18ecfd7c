import Foundation
import XCTest

/// The HTTP API's parsing, errors and streaming framing, in this process through HummingbirdTesting: the real
/// router and engine over a scripted pipeline, so no model and no worker is needed.
final class InProcessAPITests: XCTestCase {
    func testCompletionReturnsTheScriptedTextAndUsage() async throws {
        let server = try FakeServer(reply: "Hello world")
        try await server.post("/v1/completions", #"{"prompt": "Hi", "max_tokens": 5, "temperature": 0}"#) { status, body in
            XCTAssertEqual(status, .ok, body)
            let object = try json(body)
            let choice = try XCTUnwrap((object["choices"] as? [[String: Any]])?.first, body)
            XCTAssertEqual(choice["text"] as? String, "Hello")
            XCTAssertEqual(choice["finish_reason"] as? String, "length")
            let usage = try XCTUnwrap(object["usage"] as? [String: Any], body)
            XCTAssertEqual(usage["prompt_tokens"] as? Int, 2)
            XCTAssertEqual(usage["completion_tokens"] as? Int, 5)
        }
        XCTAssertEqual(server.pipeline.received.withLock { $0 }.first?.prefix(2).map { $0 }, server.tokenizer.encode("Hi"))
    }

    func testEndOfGenerationStops() async throws {
        let server = try FakeServer(reply: "ok")
        try await server.post("/v1/completions", #"{"prompt": "Hi", "max_tokens": 50}"#) { status, body in
            XCTAssertEqual(status, .ok, body)
            let choice = try XCTUnwrap((try json(body)["choices"] as? [[String: Any]])?.first)
            XCTAssertEqual(choice["text"] as? String, "ok")
            XCTAssertEqual(choice["finish_reason"] as? String, "stop")
        }
    }

    func testMalformedRequestsGetOpenAIErrorShapes() async throws {
        let server = try FakeServer()
        let cases: [(String, String)] = [
            ("{not json", "invalid_request_error"),
            (#"{"prompt": "Hi", "max_tokens": "five"}"#, "invalid_request_error"),
            (#"{"prompt": "Hi", "temperature": -1}"#, "invalid_request_error"),
            (#"["a", "list"]"#, "invalid_request_error"),
        ]
        for (body, type) in cases {
            try await server.post("/v1/completions", body) { status, response in
                XCTAssertEqual(status, .badRequest, "\(body): \(response)")
                let error = try errorObject(response)
                XCTAssertEqual(error["type"] as? String, type, body)
                XCTAssertFalse((error["message"] as? String ?? "").isEmpty, body)
            }
        }
    }

    func testPromptLongerThanTheContextIsRefused() async throws {
        let server = try FakeServer(contextLength: 16)
        let long = String(repeating: "x", count: 40)
        try await server.post("/v1/completions", #"{"prompt": "\#(long)", "max_tokens": 4}"#) { status, body in
            XCTAssertEqual(status, .badRequest, body)
            XCTAssertTrue((try errorObject(body)["message"] as? String ?? "").contains("16"), body)
        }
    }

    func testNotReadyAnswers503() async throws {
        let server = try FakeServer(ready: false)
        try await server.post("/v1/completions", #"{"prompt": "Hi"}"#) { status, body in
            XCTAssertEqual(status, .serviceUnavailable, body)
        }
    }

    func testStreamingIsServerSentEventsEndingWithDone() async throws {
        let server = try FakeServer(reply: "abc")
        try await server.post("/v1/completions", #"{"prompt": "Hi", "max_tokens": 8, "stream": true}"#) { status, body in
            XCTAssertEqual(status, .ok, body)
            let events = body.components(separatedBy: "\n\n").filter { !$0.isEmpty }
            XCTAssertEqual(events.last, "data: [DONE]", body)
            XCTAssertTrue(events.allSatisfy { $0.hasPrefix("data: ") }, body)
            let text = try events.dropLast().compactMap { event -> String? in
                let chunk = try json(String(event.dropFirst("data: ".count)))
                return (chunk["choices"] as? [[String: Any]])?.first?["text"] as? String
            }.joined()
            XCTAssertEqual(text, "abc")
        }
    }

    func testChatRendersChatMLBeforeThePipeline() async throws {
        let server = try FakeServer(reply: "Paris")
        let body = #"{"messages": [{"role": "user", "content": "Capital of France?"}], "max_tokens": 8}"#
        try await server.post("/v1/chat/completions", body) { status, response in
            XCTAssertEqual(status, .ok, response)
            let message = try XCTUnwrap(((try json(response)["choices"] as? [[String: Any]])?.first)?["message"] as? [String: Any])
            XCTAssertEqual(message["content"] as? String, "Paris")
        }
        let prompt = server.pipeline.received.withLock { $0 }.first ?? []
        let rendered = "<|im_start|>user\nCapital of France?<|im_end|>\n<|im_start|>assistant\n"
        XCTAssertEqual(Array(prompt.prefix(server.tokenizer.encode(rendered).count)), server.tokenizer.encode(rendered))
    }
}

private func json(_ text: String) throws -> [String: Any] {
    try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any], text)
}

/// The `error` object of an OpenAI-style error body.
private func errorObject(_ text: String) throws -> [String: Any] {
    try XCTUnwrap(try json(text)["error"] as? [String: Any], text)
}
