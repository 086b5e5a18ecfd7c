import Coordinator
import Tokenizer
import Engine
import Sampling

/// Log-probabilities in the two shapes OpenAI uses: the legacy completions object (`tokens`, `token_logprobs`,
/// `top_logprobs`, `text_offset`) and chat's `{"content":[{token, logprob, bytes, top_logprobs}]}`.
struct LogprobShapes {
    let tokenizer: Tokenizer

    /// A token's text (control tokens as their text) and raw bytes; a partial UTF-8 piece becomes U+FFFD in
    /// the text, its bytes stay exact.
    func piece(_ id: Int32) -> (text: String, bytes: [UInt8]) {
        let bytes = tokenizer.piece(id, special: true)
        return (String(decoding: bytes, as: UTF8.self), bytes)
    }

    /// One entry of a completions logprobs object.
    struct Entry {
        var id: Int32
        var logprob: Float?
        var top: [TokenLogprob]?
    }

    /// The completions `logprobs` object; `offset` is where the first token's text starts in the choice's text.
    func completion(_ entries: [Entry], offset: Int) -> JSONValue {
        var tokens: [JSONValue] = [], logprobs: [JSONValue] = [], tops: [JSONValue] = [], offsets: [JSONValue] = []
        var position = offset
        for entry in entries {
            let text = piece(entry.id).text
            tokens.append(.string(text))
            logprobs.append(JSONValue.optional(entry.logprob) { .float($0) })
            tops.append(JSONValue.optional(entry.top) { top in .object(top.map { (piece($0.id).text, .float($0.logprob)) }) })
            offsets.append(.int(position))
            position += text.unicodeScalars.count
        }
        return .object([("tokens", .array(tokens)), ("token_logprobs", .array(logprobs)),
                        ("top_logprobs", .array(tops)), ("text_offset", .array(offsets))])
    }

    /// Entries for generated tokens, `count` alternatives each.
    func entries(_ tokens: [SampledToken], count: Int) -> [Entry] {
        tokens.map { Entry(id: $0.id, logprob: $0.logprob, top: Array($0.top.prefix(count))) }
    }

    /// Entries for scored prompt tokens (the first has no log-probability, as in OpenAI's echo).
    func entries(_ scores: [PromptTokenLogprob], count: Int) -> [Entry] {
        scores.map { Entry(id: $0.id, logprob: $0.logprob, top: $0.logprob == nil ? nil : Array($0.top.prefix(count))) }
    }

    /// Chat's `logprobs` object for some generated tokens.
    func chat(_ tokens: [SampledToken], count: Int) -> JSONValue {
        .object([("content", .array(tokens.map { token in
            let (text, bytes) = piece(token.id)
            return .object([
                ("token", .string(text)), ("logprob", .float(token.logprob)), ("bytes", .byteArray(bytes)),
                ("top_logprobs", .array(token.top.prefix(count).map { alt in
                    let (altText, altBytes) = piece(alt.id)
                    return .object([("token", .string(altText)), ("logprob", .float(alt.logprob)), ("bytes", .byteArray(altBytes))])
                })),
            ])
        }))])
    }
}
