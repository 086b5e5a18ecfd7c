import Foundation
import TestSupport
import XCTest

/// Error statuses and bodies, the session limit and client disconnects (acceptance 5). The server takes its
/// key from $BATON_API_KEY, holds one session at a time and a context of 4096 (the default for this model).
final class ErrorTests: XCTestCase {
    static let key = "test-key-123"
    static let fixture = ClusterFixture {
        try ServedCluster(workers: 2, serverArguments: ["--max-sessions", "1"],
                          environment: ["BATON_API_KEY": key])
    }
    override class func tearDown() { fixture.shutdown() }

    func api() throws -> API { API(port: try Self.fixture.get().port, headers: ["Authorization": "Bearer \(Self.key)"]) }

    /// `{"error":{"message","type","param","code"}}` with the given status; returns the error object.
    @discardableResult
    func expectError(_ reply: HTTPReply, _ status: Int, type: String, file: StaticString = #filePath, line: UInt = #line)
        throws -> [String: Any]
    {
        XCTAssertEqual(reply.status, status, reply.text, file: file, line: line)
        XCTAssertEqual(reply.headers["content-type"], "application/json", file: file, line: line)
        let error = try XCTUnwrap(try reply.json()["error"] as? [String: Any], file: file, line: line)
        XCTAssertEqual(Set(error.keys), ["message", "type", "param", "code"], file: file, line: line)
        XCTAssertEqual(error["type"] as? String, type, file: file, line: line)
        return error
    }

    func testMissingOrWrongKeyIs401() throws {
        let port = try Self.fixture.get().port
        try expectError(try API(port: port).post("/v1/completions", ["prompt": "hi"]), 401, type: "authentication_error")
        let wrong = API(port: port, headers: ["Authorization": "Bearer nope"])
        try expectError(try wrong.post("/v1/completions", ["prompt": "hi"]), 401, type: "authentication_error")
        try expectError(try wrong.get("/v1/models"), 401, type: "authentication_error")
        XCTAssertEqual(try API(port: port).get("/health").status, 200, "health needs no key")
    }

    func testInvalidParametersAre400NamingTheParameter() throws {
        let api = try api()
        let cases: [([String: Any], String, String)] = [
            (["prompt": "hi", "temperature": -1], "temperature", ">= 0"),
            (["prompt": "hi", "top_p": 1.5], "top_p", "(0, 1]"),
            (["prompt": "hi", "presence_penalty": 3], "presence_penalty", "[-2, 2]"),
            (["prompt": "hi", "n": 2], "n", "only n = 1"),
            (["prompt": "hi", "max_tokens": "many"], "max_tokens", "integer"),
            (["prompt": "hi", "logprobs": 50], "logprobs", "[0, 20]"),
            (["prompt": 12], "prompt", "a string"),
            (["prompt": [999_999]], "prompt", "outside the vocabulary"),
            (["max_tokens": 3], "prompt", "required"),
        ]
        for (body, param, allowed) in cases {
            let error = try expectError(try api.post("/v1/completions", body), 400, type: "invalid_request_error")
            XCTAssertEqual(error["param"] as? String, param, "\(body)")
            XCTAssertTrue((error["message"] as? String ?? "").contains(allowed), "\(error["message"] ?? "") lacks \(allowed)")
        }
        let chat = try api.post("/v1/chat/completions", ["messages": [["content": "no role"]]])
        XCTAssertEqual(try expectError(chat, 400, type: "invalid_request_error")["param"] as? String, "messages[0].role")
        let malformed = try http(api.port, "POST", "/v1/completions", json: nil, headers: api.headers)
        try expectError(malformed, 400, type: "invalid_request_error")
    }

    /// A prompt longer than the context names both counts.
    func testPromptLongerThanContextIs400() throws {
        let error = try expectError(try api().post("/v1/completions", ["prompt": Array(repeating: 28, count: 5000)]), 400,
                                    type: "invalid_request_error")
        let message = try XCTUnwrap(error["message"] as? String)
        XCTAssertTrue(message.contains("5000") && message.contains("4096"), message)
        XCTAssertEqual(error["code"] as? String, "context_length_exceeded")
    }

    func testUnknownRouteAndModelAre404() throws {
        let api = try api()
        try expectError(try api.get("/v1/nothing"), 404, type: "not_found_error")
        let error = try expectError(try api.post("/v1/completions", ["prompt": "hi", "model": "gpt-4"]), 404, type: "not_found_error")
        XCTAssertEqual(error["param"] as? String, "model")
        let models = try api.get("/v1/models").json()
        let id = try XCTUnwrap((models["data"] as? [[String: Any]])?.first?["id"] as? String)
        XCTAssertEqual(id, "SmolLM2-135M-Instruct.Q4_1.gguf")
        XCTAssertEqual(try api.post("/v1/completions", ["prompt": "hi", "model": id, "max_tokens": 1]).status, 200)
    }

    /// Over the session limit: 503 with Retry-After. A client that hangs up mid-stream frees its session on
    /// every worker, and the next request is served.
    func testBusyIs503AndDisconnectFreesSessionEverywhere() throws {
        let api = try api()
        let stream = try HTTPConnection(port: api.port)
        let body = try JSONSerialization.data(withJSONObject: ["prompt": "Once upon a time", "max_tokens": 3000, "stream": true])
        try stream.send(method: "POST", path: "/v1/completions", body: Array(body), headers: api.headers)
        XCTAssertEqual(try stream.readHead().status, 200)
        XCTAssertNotNil(try stream.readChunk(), "the first chunk arrives")
        XCTAssertEqual(try health(api).stages, [1, 1], "the streaming session is open on both workers")

        let busy = try api.post("/v1/completions", ["prompt": "hi", "max_tokens": 1])
        try expectError(busy, 503, type: "unavailable_error")
        XCTAssertEqual(busy.headers["retry-after"], "1")

        stream.close()
        let last = try waitForHealth(api, within: 15) { $0.active == 0 && $0.stages == [0, 0] }
        XCTAssertEqual(last.active, 0)
        XCTAssertEqual(last.stages, [0, 0], "every worker closed the session")
        XCTAssertEqual(try api.post("/v1/completions", ["prompt": "hi", "max_tokens": 1]).status, 200)
    }

    /// Issue 16: a client that hangs up while nothing is being written to it (here during a long prompt's
    /// evaluation, before any token) has its generation cancelled and its session freed on every worker at once,
    /// streaming or not. Without that the 3,500-token prompt and 500 tokens would hold the slot for ~10 s.
    func testAClientLeavingBeforeAnyTokenIsWrittenFreesItsSessionAtOnce() throws {
        let api = try api()
        for stream in [false, true] {
            let connection = try HTTPConnection(port: api.port)
            let body = try JSONSerialization.data(withJSONObject: [
                "prompt": Array(repeating: 28, count: 3500), "max_tokens": 500, "stream": stream,
            ])
            try connection.send(method: "POST", path: "/v1/completions", body: Array(body), headers: api.headers)
            let admitted = try waitForHealth(api, within: 10) { $0.active == 1 }
            XCTAssertEqual(admitted.active, 1, "the request runs (stream: \(stream))")
            connection.close()
            let closed = Date()
            let freed = try waitForHealth(api, within: 3) { $0.active == 0 && $0.stages == [0, 0] }
            XCTAssertEqual(freed.active, 0, "stream: \(stream)")
            XCTAssertEqual(freed.stages, [0, 0], "every worker closed the session (stream: \(stream))")
            print("client gone (stream: \(stream)): \(freed.active) active after \(Int(Date().timeIntervalSince(closed) * 1000)) ms")
        }
        XCTAssertEqual(try api.post("/v1/completions", ["prompt": "hi", "max_tokens": 1]).status, 200)
    }

    /// /health's session counts once `done` holds for them, or the last ones seen after `seconds`.
    private func waitForHealth(_ api: API, within seconds: TimeInterval, until done: ((active: Int, stages: [Int])) -> Bool)
        throws -> (active: Int, stages: [Int])
    {
        let deadline = Date().addingTimeInterval(seconds)
        var last = try health(api)
        while !done(last) && Date() < deadline {
            Thread.sleep(forTimeInterval: 0.05)
            last = try health(api)
        }
        return last
    }

    /// Active sessions on the server and per stage, from /health.
    private func health(_ api: API) throws -> (active: Int, stages: [Int]) {
        let json = try api.get("/health").json()
        let active = (json["sessions"] as? [String: Int])?["active"] ?? -1
        let stages = (json["stages"] as? [[String: Any]] ?? []).map { $0["sessions"] as? Int ?? -1 }
        return (active, stages)
    }
}
