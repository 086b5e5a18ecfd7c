@testable import Coordinator
import Foundation
import Hummingbird
@testable import Server
import XCTest

/// The HTTP API's limits: oversized bodies get 413, half-sent requests are closed after the idle timeout,
/// /tokenize's input and the prompts per request are capped, and /health tells a caller without the API key only
/// whether the server is ready. In this process (HummingbirdTesting's router, or the real server on a socket).
final class LimitsTests: XCTestCase {
    func test100MBBodyGets413OnEveryPostEndpoint() async throws {
        let server = try FakeServer()
        let body = ByteBuffer(repeating: UInt8(ascii: " "), count: 100 << 20)
        for uri in ["/v1/completions", "/v1/chat/completions", "/tokenize", "/detokenize", "/apply-template"] {
            try await server.send(.post, uri, body: body) { status, text in
                XCTAssertEqual(status, .contentTooLarge, "\(uri): \(text)")
                XCTAssertEqual(try errorField(text, "code"), "request_too_large", uri)
            }
        }
    }

    func testHalfSentRequestsAreClosedAfterTheIdleTimeout() async throws {
        var options = ServerOptions()
        (options.port, options.idleTimeout) = (0, .milliseconds(500))
        let server = try FakeServer(options: options)
        try await server.live { port in
            let halves = [
                "POST /v1/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Le",
                "POST /v1/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                    + "Content-Length: 100\r\n\r\n{\"prompt\": \"Hi",
            ]
            let started = Date()
            let closed = try await blocking { () -> [Bool] in
                let connections = try (0..<200).map { i in
                    let connection = try HTTPConnection(port: port, timeout: 10)
                    try connection.sendRaw(halves[i % 2])
                    return connection
                }
                return connections.map { $0.waitForClose() }
            }
            XCTAssertEqual(closed.filter { !$0 }.count, 0, "connections still open after 10 s")
            XCTAssertLessThan(Date().timeIntervalSince(started), 8, "closed long after the 0.5 s idle timeout")
            let status = try await blocking { () -> Int in
                let connection = try HTTPConnection(port: port, timeout: 10)
                try connection.send(method: "GET", path: "/v1/models")
                return try connection.readHead().status
            }
            XCTAssertEqual(status, 200, "a complete request is still served")
        }
    }

    func testTokenizeInputIsCapped() async throws {
        let server = try FakeServer()
        let limit = TokenizeRoutes.maxContentBytes
        let tooLong = String(repeating: "a", count: limit + 1)
        try await server.post("/tokenize", #"{"content": "\#(tooLong)"}"#) { status, text in
            XCTAssertEqual(status, .contentTooLarge, String(text.prefix(300)))
            XCTAssertEqual(try errorField(text, "param"), "content")
        }
        try await server.post("/tokenize", #"{"content": "abc"}"#) { status, text in
            XCTAssertEqual(status, .ok, text)
        }
    }

    func testPromptsPerRequestAreCapped() async throws {
        let server = try FakeServer()
        let prompts = Array(repeating: #""Hi""#, count: CompletionRequest.maxPrompts + 1).joined(separator: ",")
        try await server.post("/v1/completions", #"{"prompt": [\#(prompts)], "max_tokens": 1}"#) { status, text in
            XCTAssertEqual(status, .badRequest, text)
            XCTAssertEqual(try errorField(text, "param"), "prompt")
            XCTAssertTrue(text.contains("at most \(CompletionRequest.maxPrompts)"), text)
        }
        let two = #"{"prompt": ["Hi", "Yo"], "max_tokens": 1}"#
        try await server.post("/v1/completions", two) { status, text in XCTAssertEqual(status, .ok, text) }
    }

    func testHealthWithoutTheKeyNamesNoWorkers() async throws {
        var options = ServerOptions()
        options.apiKey = "right-key"
        let stage = StageStatus(index: 0, endpoint: "tcp://10.9.8.7:7101", layerBegin: 0, layerEnd: 30, loaded: true,
                                sessions: 0, maxSessions: 4, forwardsDone: 0)
        let server = try FakeServer(options: options, stages: [stage])
        try await server.send(.get, "/health") { status, text in
            XCTAssertEqual(status, .ok, text)
            XCTAssertEqual(text, #"{"status":"ok"}"#)
        }
        try await server.send(.get, "/health", headers: [.authorization: "Bearer right-key"]) { status, text in
            XCTAssertEqual(status, .ok, text)
            XCTAssertTrue(text.contains("10.9.8.7"), "an authorized caller sees the stage map: \(text)")
        }
        let loading = try FakeServer(ready: false, options: options, stages: [stage])
        try await loading.send(.get, "/health") { status, text in
            XCTAssertEqual(status, .serviceUnavailable, text)
            XCTAssertEqual(text, #"{"status":"loading"}"#)
        }
    }
}

/// A field of an OpenAI-style error body.
private func errorField(_ text: String, _ name: String) throws -> String? {
    let object = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any], text)
    return (object["error"] as? [String: Any])?[name] as? String
}

/// Blocking socket work off Swift's cooperative threads (the server's handlers run there).
private func blocking<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        DispatchQueue.global().async { continuation.resume(with: Result { try work() }) }
    }
}
