/// What a request asks of the sampler. Defaults are llama.cpp's (`common_params_sampling`), so a request
/// that sets nothing samples as `llama-server` would.
///
/// Ranges enforced by `validate()` and why:
/// - `temperature` ≥ 0 and finite. 0 means greedy. llama.cpp accepts any value (≤ 0 = greedy); OpenAI caps
///   at 2, but higher values are legitimate for a local engine, so only negatives and NaN/∞ are rejected.
/// - `topK` ≥ 0; 0 = off (llama.cpp: k ≤ 0 is off; a k above the vocabulary size keeps everything).
/// - `topP` in (0, 1]; 1 = off. 0 would keep nothing meaningful (llama.cpp would still keep one token),
///   so it is rejected rather than silently turned into greedy.
/// - `minP` in [0, 1]; 0 = off.
/// - `repeatPenalty` > 0 and finite; 1 = off. 0 or ∞ would zero or wipe out logits instead of scaling them.
/// - `repeatLastN` ≥ -1; 0 = off, -1 = every accepted token (llama.cpp: -1 = the context size; a sampler
///   lives for one sequence, so its whole history is that context).
/// - `presencePenalty`, `frequencyPenalty` in [-2, 2], OpenAI's documented range.
public struct SamplerParameters: Sendable, Equatable, Codable {
    public var temperature: Float
    public var topK: Int
    public var topP: Float
    public var minP: Float
    public var repeatPenalty: Float
    public var repeatLastN: Int
    public var presencePenalty: Float
    public var frequencyPenalty: Float
    /// The RNG seed. There is no "random" default: a sampler must be reproducible, so a caller that wants
    /// fresh randomness picks a seed itself (and can report it back).
    public var seed: UInt64

    public init(
        temperature: Float = 0.8, topK: Int = 40, topP: Float = 0.95, minP: Float = 0.05,
        repeatPenalty: Float = 1.0, repeatLastN: Int = 64,
        presencePenalty: Float = 0, frequencyPenalty: Float = 0, seed: UInt64 = 0
    ) {
        self.temperature = temperature
        self.topK = topK
        self.topP = topP
        self.minP = minP
        self.repeatPenalty = repeatPenalty
        self.repeatLastN = repeatLastN
        self.presencePenalty = presencePenalty
        self.frequencyPenalty = frequencyPenalty
        self.seed = seed
    }

    /// Argmax with every filter and penalty off: reproduces llama.cpp's greedy reference output.
    public static let greedy = SamplerParameters(
        temperature: 0, topK: 0, topP: 1, minP: 0, repeatPenalty: 1, repeatLastN: 0)

    /// True when the penalties step can change a logit; lets the sampler skip it entirely otherwise.
    var penaltiesActive: Bool {
        repeatLastN != 0 && (repeatPenalty != 1 || frequencyPenalty != 0 || presencePenalty != 0)
    }

    /// Rejects any value outside the ranges documented on the type. Every comparison is written so that
    /// NaN fails it.
    public func validate() throws(SamplerError) {
        try check("temperature", temperature, temperature.isFinite && temperature >= 0, "a finite number >= 0 (0 = greedy)")
        try check("topK", topK, topK >= 0, "an integer >= 0 (0 = off)")
        try check("topP", topP, topP > 0 && topP <= 1, "a number in (0, 1] (1 = off)")
        try check("minP", minP, minP >= 0 && minP <= 1, "a number in [0, 1] (0 = off)")
        try check("repeatPenalty", repeatPenalty, repeatPenalty.isFinite && repeatPenalty > 0, "a finite number > 0 (1 = off)")
        try check("repeatLastN", repeatLastN, repeatLastN >= -1, "an integer >= -1 (0 = off, -1 = whole context)")
        try check("presencePenalty", presencePenalty, presencePenalty >= -2 && presencePenalty <= 2, "a number in [-2, 2] (0 = off)")
        try check("frequencyPenalty", frequencyPenalty, frequencyPenalty >= -2 && frequencyPenalty <= 2, "a number in [-2, 2] (0 = off)")
    }

    private func check(_ name: String, _ value: some CustomStringConvertible, _ ok: Bool, _ allowed: String) throws(SamplerError) {
        if !ok { throw .invalidParameter(parameter: name, value: value.description, allowed: allowed) }
    }

    // Decoding fills absent keys with the defaults, so a request may name only what it changes.
    private enum CodingKeys: String, CodingKey {
        case temperature, topK, topP, minP, repeatPenalty, repeatLastN, presencePenalty, frequencyPenalty, seed
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let d = SamplerParameters()
        temperature = try c.decodeIfPresent(Float.self, forKey: .temperature) ?? d.temperature
        topK = try c.decodeIfPresent(Int.self, forKey: .topK) ?? d.topK
        topP = try c.decodeIfPresent(Float.self, forKey: .topP) ?? d.topP
        minP = try c.decodeIfPresent(Float.self, forKey: .minP) ?? d.minP
        repeatPenalty = try c.decodeIfPresent(Float.self, forKey: .repeatPenalty) ?? d.repeatPenalty
        repeatLastN = try c.decodeIfPresent(Int.self, forKey: .repeatLastN) ?? d.repeatLastN
        presencePenalty = try c.decodeIfPresent(Float.self, forKey: .presencePenalty) ?? d.presencePenalty
        frequencyPenalty = try c.decodeIfPresent(Float.self, forKey: .frequencyPenalty) ?? d.frequencyPenalty
        seed = try c.decodeIfPresent(UInt64.self, forKey: .seed) ?? d.seed
    }
}
