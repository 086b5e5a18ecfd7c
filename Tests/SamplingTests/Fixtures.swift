@testable import Sampling

/// Builds candidate lists with id = position unless ids are given.
func candidates(_ logits: [Float], ids: [Int32]? = nil, sorted: Bool = false) -> Candidates {
    Candidates(ids: ids ?? logits.indices.map { Int32($0) }, logits: logits, isSorted: sorted)
}

/// Natural log, for writing logits whose softmax is a chosen distribution: softmax(ln p_i) = p_i.
func ln(_ x: Float) -> Float { logarithm(x) }

/// A reproducible pseudo-random logit vector, values in [lo, hi), rounded to `step` when given so ties occur.
func randomLogits(count: Int, seed: UInt64, lo: Float = -10, hi: Float = 10, step: Float? = nil) -> [Float] {
    var g = Xoshiro256StarStar(seed: seed)
    return (0..<count).map { _ in
        let x = lo + (hi - lo) * Float(g.nextUnitDouble())
        guard let step else { return x }
        return (x / step).rounded(.down) * step
    }
}

/// Reference ordering by full sort: logit descending, ties by lower id.
func fullySorted(_ logits: [Float]) -> [Int32] {
    logits.indices.sorted { a, b in logits[a] > logits[b] || (logits[a] == logits[b] && a < b) }.map { Int32($0) }
}
