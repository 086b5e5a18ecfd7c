import Hummingbird

/// llama-server's POST /tokenize, /detokenize and /apply-template.
struct TokenizeRoutes: Sendable {
    let engine: ServingEngine
    /// Longest `content` accepted, in bytes: tokenizing takes ~0.4 s and ~100 MB of memory per MiB, and no context
    /// holds more (a 128K-token context is ~0.5 MB of English).
    static let maxContentBytes = 1 << 20

    /// `{"content", "add_special" (false), "parse_special" (true), "with_pieces" (false)}` → `{"tokens": …}`;
    /// with pieces each token is `{"id", "piece"}`, the piece a string when it is valid UTF-8, else its bytes.
    func tokenize(_ f: RequestFields) throws -> Response {
        let ids = engine.tokenizer.encode(try Self.content(f), addSpecial: try f.bool("add_special") ?? false,
                                          parseSpecial: try f.bool("parse_special") ?? true)
        guard try f.bool("with_pieces") ?? false else {
            return .json(.object([("tokens", .array(ids.map { .int(Int($0)) }))]))
        }
        let tokens = ids.map { id -> JSONValue in
            let bytes = engine.tokenizer.piece(id)
            let piece: JSONValue = String(validating: bytes, as: UTF8.self).map { .string($0) } ?? .byteArray(bytes)
            return .object([("id", .int(Int(id))), ("piece", piece)])
        }
        return .json(.object([("tokens", .array(tokens))]))
    }

    /// /tokenize's `content`: required, at most `maxContentBytes`.
    static func content(_ f: RequestFields) throws -> String {
        guard let content = try f.string("content") else {
            throw APIError.invalid("content", "'content' is required", code: "missing_parameter")
        }
        guard content.utf8.count <= maxContentBytes else {
            throw APIError.tooLarge("'content' is \(content.utf8.count) bytes; at most \(maxContentBytes) are tokenized "
                                    + "per request", param: "content")
        }
        return content
    }

    /// `{"tokens": [ids]}` → `{"content": text}` (special tokens rendered).
    func detokenize(_ f: RequestFields) throws -> Response {
        let checked = try engine.tokens(for: .tokens(try Self.tokenIDs(f)), param: "tokens")
        return .json(.object([("content", .string(String(decoding: engine.tokenizer.decode(checked), as: UTF8.self)))]))
    }

    /// /detokenize's `tokens`: a list of integers that fit Int32 (the vocabulary check is the engine's).
    static func tokenIDs(_ f: RequestFields) throws -> [Int32] {
        guard case .array(let items)? = f.value("tokens") else {
            if f.value("tokens") == nil { throw APIError.invalid("tokens", "'tokens' is required", code: "missing_parameter") }
            throw f.wrongType("tokens", "a list of token ids")
        }
        return try items.map { item -> Int32 in
            guard case .integer(let i) = item, let id = Int32(exactly: i) else { throw f.wrongType("tokens", "a list of token ids") }
            return id
        }
    }

    /// `{"messages": […]}` → `{"prompt": …}`: the chat template's rendering, as /v1/chat/completions uses it.
    func applyTemplate(_ f: RequestFields) throws -> Response {
        let request = try ChatRequest(f)
        return .json(.object([("prompt", .string(engine.template.render(request.messages)))]))
    }
}
