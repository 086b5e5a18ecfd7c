/// A token and its log-probability: the one (id, logprob) pair of the engine and the API.
public struct TokenLogprob: Sendable, Equatable {
    public var id: Int32
    public var logprob: Float
    public init(id: Int32, logprob: Float) { self.id = id; self.logprob = logprob }
}

/// Log-probabilities for the API (`logprobs` / `top_logprobs`): log-softmax of the raw logits over the
/// whole vocabulary, independent of the sampling parameters, like llama.cpp's reference output.
/// NaN logits count as -∞.
extension Sampler {
    /// The `count` most likely tokens, best first, ties to the lower id.
    public static func topLogprobs(logits: UnsafeBufferPointer<Float>, count: Int) -> [TokenLogprob] {
        guard count > 0, !logits.isEmpty else { return [] }
        let logZ = logSumExp(logits)
        let best = TopSelection.best(count, logits: logits, ids: nil)
        return zip(best.ids, best.logits).map { TokenLogprob(id: $0, logprob: Float(Double($1) - logZ)) }
    }

    /// Log-probability of one token; -∞ for an id outside the vocabulary.
    public static func logprob(of id: Int32, logits: UnsafeBufferPointer<Float>) -> Float {
        guard id >= 0, Int(id) < logits.count else { return -.infinity }
        return Float(Double(Candidates.sanitized(logits[Int(id)])) - logSumExp(logits))
    }

    public static func topLogprobs(logits: [Float], count: Int) -> [TokenLogprob] {
        logits.withUnsafeBufferPointer { topLogprobs(logits: $0, count: count) }
    }

    public static func logprob(of id: Int32, logits: [Float]) -> Float {
        logits.withUnsafeBufferPointer { logprob(of: id, logits: $0) }
    }

    /// log Σ exp(logit), max-shifted so nothing overflows. NaN counts as -∞. The exponentials run in 16
    /// independent Float lanes (a shape LLVM vectorizes without reassociating a sum), added up in Double.
    static func logSumExp(_ logits: UnsafeBufferPointer<Float>) -> Double {
        let maxLogit = maximum(logits)
        guard maxLogit.isFinite else { return Double(maxLogit) }
        var lanes = (Float(0), Float(0), Float(0), Float(0), Float(0), Float(0), Float(0), Float(0),
                     Float(0), Float(0), Float(0), Float(0), Float(0), Float(0), Float(0), Float(0))
        let full = logits.count / 16 * 16
        withUnsafeMutableBytes(of: &lanes) { raw in
            let acc = raw.bindMemory(to: Float.self)
            var i = 0
            while i < full {
                for j in 0..<16 {
                    let l = logits[i + j]
                    acc[j] += exponentialOfNonPositive(l.isNaN ? -.infinity : l - maxLogit)
                }
                i += 16
            }
        }
        var sum = withUnsafeBytes(of: &lanes) { $0.bindMemory(to: Float.self).reduce(0.0) { $0 + Double($1) } }
        for l in logits[full...] where !l.isNaN { sum += Double(exponential(l - maxLogit)) }
        return Double(maxLogit) + logarithm(sum)
    }

    /// The largest logit, NaN ignored (-∞ if there is none), in 16 lanes so the loop vectorizes.
    static func maximum(_ logits: UnsafeBufferPointer<Float>) -> Float {
        var lanes = (-Float.infinity, -Float.infinity, -Float.infinity, -Float.infinity, -Float.infinity, -Float.infinity,
                     -Float.infinity, -Float.infinity, -Float.infinity, -Float.infinity, -Float.infinity, -Float.infinity,
                     -Float.infinity, -Float.infinity, -Float.infinity, -Float.infinity)
        let full = logits.count / 16 * 16
        withUnsafeMutableBytes(of: &lanes) { raw in
            let best = raw.bindMemory(to: Float.self)
            var i = 0
            while i < full {
                for j in 0..<16 {
                    let l = logits[i + j]
                    best[j] = l > best[j] ? l : best[j]   // a select, not a branch: vectorizes
                }
                i += 16
            }
        }
        var best = -Float.infinity
        withUnsafeBytes(of: &lanes) { for l in $0.bindMemory(to: Float.self) where l > best { best = l } }
        for l in logits[full...] where l > best { best = l }
        return best
    }
}
