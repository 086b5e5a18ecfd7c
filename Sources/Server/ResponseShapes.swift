import Hummingbird

/// The fields every completion object and chunk starts with.
struct ResponseHead: Sendable {
    let id: String
    let object: String
    let created: Int
    let model: String

    /// `usage` nil leaves the field out; `.null` writes `"usage":null` (stream chunks with include_usage).
    func object(choices: [JSONValue], usage: JSONValue?) -> JSONValue {
        var fields: [(String, JSONValue)] = [
            ("id", .string(id)), ("object", .string(object)), ("created", .int(created)), ("model", .string(model)),
            ("choices", .array(choices)),
        ]
        if let usage { fields.append(("usage", usage)) }
        return .object(fields)
    }
}

/// Token counts of a response.
struct Usage: Sendable {
    var promptTokens = 0
    var completionTokens = 0

    init() {}

    init(_ outcome: GenerationOutcome) { add(outcome) }

    mutating func add(_ outcome: GenerationOutcome) {
        promptTokens += outcome.promptTokens
        completionTokens += outcome.tokens.count
    }

    var json: JSONValue {
        .object([("prompt_tokens", .int(promptTokens)), ("completion_tokens", .int(completionTokens)),
                 ("total_tokens", .int(promptTokens + completionTokens))])
    }
}

extension Response {
    /// A JSON response.
    static func json(_ value: JSONValue, status: HTTPResponse.Status = .ok) -> Response {
        Response(status: status, headers: [.contentType: "application/json"],
                 body: .init(byteBuffer: ByteBuffer(bytes: value.bytes)))
    }
}
