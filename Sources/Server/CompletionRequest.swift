/// A prompt as the API accepts it: text (tokenized with special tokens parsed) or token ids.
enum PromptInput: Sendable, Equatable {
    case text(String)
    case tokens([Int32])
}

/// POST /v1/completions.
struct CompletionRequest: Sendable {
    var model: String?
    /// One choice per prompt (`prompt` may be a list, as lm-evaluation-harness sends it).
    var prompts: [PromptInput]
    var options: GenerationOptions
    /// nil: no log-probabilities; N ≥ 0: each token's log-probability and its N most likely alternatives.
    var logprobs: Int?
    /// Prepend the prompt to the text (and, with `logprobs`, score every prompt token).
    var echo: Bool

    static let maxLogprobs = 20
    /// Most prompts one request may list: each is generated in turn while the request holds its connection.
    static let maxPrompts = 64

    init(_ f: RequestFields) throws {
        model = try f.string("model")
        prompts = try Self.prompts(f)
        options = try GenerationOptions(f)
        logprobs = try f.int("logprobs", in: 0...Self.maxLogprobs)
        echo = try f.bool("echo") ?? false
        if options.stream && prompts.count > 1 {
            throw APIError.invalid("prompt", "streaming takes a single prompt, got \(prompts.count)")
        }
    }

    /// A string, a list of strings, a list of token ids, or a list of lists of token ids.
    private static func prompts(_ f: RequestFields) throws -> [PromptInput] {
        let expected = "a string, a list of strings, a list of token ids or a list of lists of token ids"
        switch f.value("prompt") {
        case nil: throw APIError.invalid("prompt", "'prompt' is required", code: "missing_parameter")
        case .string(let s)?: return [.text(s)]
        case .array(let items)?:
            guard !items.isEmpty else { throw APIError.invalid("prompt", "'prompt' is an empty list") }
            if let ids = tokenIDs(items) { return [.tokens(ids)] }
            guard items.count <= maxPrompts else {
                throw APIError.invalid("prompt", "'prompt' lists \(items.count) prompts; at most \(maxPrompts) per request: "
                                       + "send several requests")
            }
            return try items.map { item in
                switch item {
                case .string(let s): return .text(s)
                case .array(let inner):
                    guard let ids = tokenIDs(inner) else { throw f.wrongType("prompt", expected) }
                    return .tokens(ids)
                default: throw f.wrongType("prompt", expected)
                }
            }
        default: throw f.wrongType("prompt", expected)
        }
    }

    /// The items as token ids when every one is an integer that fits Int32.
    private static func tokenIDs(_ items: [ParsedJSON]) -> [Int32]? {
        var ids: [Int32] = []
        for item in items {
            guard case .integer(let i) = item, let id = Int32(exactly: i) else { return nil }
            ids.append(id)
        }
        return items.isEmpty ? nil : ids
    }
}

/// POST /v1/chat/completions.
struct ChatRequest: Sendable {
    var model: String?
    var messages: [ChatMessage]
    var options: GenerationOptions
    var logprobs: Bool
    var topLogprobs: Int

    init(_ f: RequestFields) throws {
        model = try f.string("model")
        messages = try Self.messages(f)
        options = try GenerationOptions(f)
        logprobs = try f.bool("logprobs") ?? false
        topLogprobs = try f.int("top_logprobs", in: 0...CompletionRequest.maxLogprobs) ?? 0
        if topLogprobs > 0 && !logprobs {
            throw APIError.invalid("top_logprobs", "'top_logprobs' needs 'logprobs': true")
        }
    }

    private static func messages(_ f: RequestFields) throws -> [ChatMessage] {
        guard case .array(let items)? = f.value("messages") else {
            if f.value("messages") == nil { throw APIError.invalid("messages", "'messages' is required", code: "missing_parameter") }
            throw f.wrongType("messages", "a list of messages")
        }
        guard !items.isEmpty else { throw APIError.invalid("messages", "'messages' is an empty list") }
        return try items.enumerated().map { i, item in
            guard case .object(let fields) = item else { throw f.wrongType("messages", "a list of objects") }
            return try ChatMessage(RequestFields(fields: fields, path: "messages[\(i)]."))
        }
    }
}

/// One chat message; content parts other than text are rejected.
struct ChatMessage: Sendable, Equatable {
    var role: String
    var content: String

    init(role: String, content: String) {
        self.role = role
        self.content = content
    }

    init(_ f: RequestFields) throws {
        guard let role = try f.string("role") else {
            throw APIError.invalid(f.path + "role", "'\(f.path)role' is required", code: "missing_parameter")
        }
        self.role = role
        switch f.value("content") {
        case nil: content = ""
        case .string(let s)?: content = s
        case .array(let parts)?:
            content = try parts.map { part -> String in
                guard case .object(let p) = part, case .string("text")? = p["type"], case .string(let text)? = p["text"] else {
                    throw APIError.invalid(f.path + "content", "only text content parts ({\"type\":\"text\",\"text\":…}) are supported")
                }
                return text
            }.joined()
        default: throw f.wrongType("content", "a string or a list of text parts")
        }
    }
}
