import Foundation
import XCTest

/// Requests against one server, with JSON bodies.
struct API {
    let port: Int
    var headers: [String: String] = [:]

    func post(_ path: String, _ body: [String: Any]) throws -> HTTPReply {
        try http(port, "POST", path, json: body, headers: headers)
    }

    func get(_ path: String) throws -> HTTPReply {
        try http(port, "GET", path, headers: headers)
    }

    /// A 200 JSON answer (fails the test with the body otherwise).
    func ok(_ path: String, _ body: [String: Any], file: StaticString = #filePath, line: UInt = #line) throws -> [String: Any] {
        let reply = try post(path, body)
        XCTAssertEqual(reply.status, 200, reply.text, file: file, line: line)
        return try reply.json()
    }

    /// A greedy completion's text.
    func complete(_ prompt: Any, maxTokens: Int, extra: [String: Any] = [:]) throws -> String {
        var body: [String: Any] = ["prompt": prompt, "max_tokens": maxTokens, "temperature": 0]
        body.merge(extra) { $1 }
        return try Self.text(ok("/v1/completions", body))
    }

    /// A streamed request: the strictly parsed SSE payloads (the last is "[DONE]").
    func stream(_ path: String, _ body: [String: Any]) throws -> (reply: HTTPReply, events: [String]) {
        var body = body
        body["stream"] = true
        let reply = try post(path, body)
        XCTAssertEqual(reply.status, 200, reply.text)
        return (reply, try SSE.events(reply.body))
    }

    static func text(_ completion: [String: Any]) -> String {
        let choices = completion["choices"] as? [[String: Any]]
        return choices?.first?["text"] as? String ?? (choices?.first?["message"] as? [String: Any])?["content"] as? String ?? ""
    }
}

enum SSE {
    /// Splits a body into event payloads, failing unless it is exactly a sequence of `data: PAYLOAD\n\n`.
    static func events(_ body: [UInt8]) throws -> [String] {
        let prefix = Array("data: ".utf8), end = Array("\n\n".utf8)
        var events: [String] = []
        var i = 0
        while i < body.count {
            guard body[i...].starts(with: prefix) else {
                throw HTTPTestError("SSE event \(events.count) does not start with 'data: ' at byte \(i)")
            }
            guard let close = body[(i + prefix.count)...].firstRange(of: end) else {
                throw HTTPTestError("SSE event \(events.count) is not terminated by a blank line")
            }
            let payload = String(decoding: body[(i + prefix.count)..<close.lowerBound], as: UTF8.self)
            guard !payload.contains("\n") else { throw HTTPTestError("SSE event \(events.count) spans lines") }
            events.append(payload)
            i = close.upperBound
        }
        return events
    }

    static func json(_ payload: String) throws -> [String: Any] {
        guard let object = try JSONSerialization.jsonObject(with: Data(payload.utf8)) as? [String: Any] else {
            throw HTTPTestError("SSE payload is not a JSON object: \(payload)")
        }
        return object
    }
}

extension Dictionary where Key == String, Value == Any {
    var choice: [String: Any] { (self["choices"] as? [[String: Any]])?.first ?? [:] }
    var usage: [String: Int] { self["usage"] as? [String: Int] ?? [:] }
}
