import Sampling

/// The request fields shared by /v1/completions and /v1/chat/completions: token budget, sampler, stop strings,
/// streaming. Defaults are llama-server's (its sampler defaults, a random seed when none is given).
struct GenerationOptions: Sendable {
    /// nil: the endpoint's default (16 for completions as in OpenAI; the rest of the context for chat).
    var maxTokens: Int?
    var sampler: SamplerParameters
    var stop: [String]
    var stream: Bool
    var includeUsage: Bool

    static let maxStopStrings = 16

    init(_ f: RequestFields) throws {
        if let n = try f.int("n"), n != 1 {
            throw APIError.invalid("n", "'n' is \(n): only n = 1 is supported (send several requests instead)")
        }
        if let bestOf = try f.int("best_of"), bestOf != 1 {
            throw APIError.invalid("best_of", "'best_of' is \(bestOf): only 1 is supported")
        }
        if case .object(let bias)? = f.value("logit_bias"), !bias.isEmpty {
            throw APIError.invalid("logit_bias", "'logit_bias' is not supported")
        }
        maxTokens = try Self.maxTokens(f)
        sampler = try Self.sampler(f)
        stop = try Self.stop(f)
        stream = try f.bool("stream") ?? false
        includeUsage = try f.object("stream_options")?.bool("include_usage") ?? false
    }

    /// `max_tokens`, or its newer chat name `max_completion_tokens`, or llama-server's `n_predict`; -1 = no limit.
    private static func maxTokens(_ f: RequestFields) throws -> Int? {
        for key in ["max_tokens", "max_completion_tokens", "n_predict"] {
            guard let v = try f.int(key, in: -1...Int(Int32.max), meaning: " (-1 = until the context is full)") else { continue }
            return v < 0 ? Int.max : v
        }
        return nil
    }

    private static func sampler(_ f: RequestFields) throws -> SamplerParameters {
        var p = SamplerParameters()
        if let v = try f.float("temperature") { p.temperature = v }
        if let v = try f.int("top_k") { p.topK = v }
        if let v = try f.float("top_p") { p.topP = v }
        if let v = try f.float("min_p") { p.minP = v }
        if let v = try f.float("repeat_penalty") { p.repeatPenalty = v }
        if let v = try f.int("repeat_last_n") { p.repeatLastN = v }
        if let v = try f.float("presence_penalty") { p.presencePenalty = v }
        if let v = try f.float("frequency_penalty") { p.frequencyPenalty = v }
        switch try f.int("seed") {
        case nil, -1: p.seed = UInt64.random(in: 0...UInt64.max)
        case let seed? where seed >= 0: p.seed = UInt64(seed)
        case let seed?: throw APIError.invalid("seed", "'seed' is \(seed); allowed: an integer >= 0 (or -1 for a random seed)")
        }
        do { try p.validate() } catch {
            guard case .invalidParameter(let name, let value, let allowed) = error else { throw error }
            let param = apiName[name] ?? name
            throw APIError.invalid(param, "'\(param)' is \(value); allowed: \(allowed)")
        }
        return p
    }

    /// SamplerParameters' property names → the API's.
    static let apiName = [
        "temperature": "temperature", "topK": "top_k", "topP": "top_p", "minP": "min_p",
        "repeatPenalty": "repeat_penalty", "repeatLastN": "repeat_last_n",
        "presencePenalty": "presence_penalty", "frequencyPenalty": "frequency_penalty",
    ]

    /// A string or a list of strings; empty strings are dropped (they would match everywhere).
    private static func stop(_ f: RequestFields) throws -> [String] {
        let stops: [String]
        switch f.value("stop") {
        case nil: return []
        case .string(let s)?: stops = [s]
        case .array(let items)?:
            stops = try items.map { item in
                guard case .string(let s) = item else { throw f.wrongType("stop", "a string or a list of strings") }
                return s
            }
        default: throw f.wrongType("stop", "a string or a list of strings")
        }
        guard stops.count <= maxStopStrings else {
            throw APIError.invalid("stop", "'stop' has \(stops.count) strings; allowed: at most \(maxStopStrings)")
        }
        return stops.filter { !$0.isEmpty }
    }
}
