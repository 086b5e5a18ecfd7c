/// The chain's steps as small functions of a candidate list (plus, for the draw, one uniform number), so
/// each can be checked on a hand-computed distribution. Semantics follow llama.cpp's
/// `src/llama-sampling.cpp` with min_keep = 1 (what llama-server uses); where we differ it is noted.
enum SamplingSteps {}

extension SamplingSteps {
    /// Keeps the `k` highest logits (ties: lower id first), leaving the list sorted. `k` ≤ 0 is off, and
    /// so is `k` ≥ count: llama.cpp sorts the list then, which removes nothing, and skipping that sort keeps
    /// a huge `k` as cheap as "off".
    static func topK(_ c: inout Candidates, k: Int) {
        guard k > 0, k < c.count else { return }
        if c.isSorted {
            c.keep(positions: 0..<k, sorted: true)
            return
        }
        c.sortBest(k)
    }

    /// Nucleus: with probabilities softmax(logits) over the current list, keeps the smallest best-first
    /// prefix whose cumulative probability reaches `p` (≥), at least one token. `p` ≥ 1 is off; if
    /// rounding keeps the total below `p` the whole list stays.
    ///
    /// A sorted list (top-k on) is walked exactly as llama.cpp does, accumulating Float probabilities.
    /// An unsorted list (top-k off: the whole vocabulary) is not sorted at all: see `nucleusByBuckets`.
    static func topP(_ c: inout Candidates, p: Float) {
        guard p < 1, c.count > 1, let maxLogit = c.logits.max(), maxLogit.isFinite else { return }
        let weights = c.logits.map { exponential($0 - maxLogit) }
        guard c.isSorted else {
            nucleusByBuckets(&c, weights: weights, maxLogit: maxLogit, p: p)
            return
        }
        var sum: Float = 0
        for w in weights { sum += w }
        var cumulative: Float = 0
        for i in weights.indices {
            cumulative += weights[i] / sum
            if cumulative >= p {
                c.keep(positions: 0..<(i + 1), sorted: true)
                return
            }
        }
    }

    /// Top-p without sorting the vocabulary. Tokens are binned by how far their logit is below the max
    /// (1/16 nat per bin, everything past 32 nats in the last bin, where weights are < 1e-14). Summing bin
    /// masses from the top finds the bin where the cumulative mass crosses `p`: every token in a better
    /// bin is in the nucleus whatever the order inside bins, no token in a worse bin is, and only the
    /// crossing bin is sorted. Cost: one pass plus a sort of one bin, instead of sorting 49152 entries.
    /// Sums are in Double, so the boundary can differ from llama.cpp's Float running sum only where that
    /// sum's rounding drift (~1e-4 over tens of thousands of terms) straddles `p`. The kept tokens stay in
    /// list order (unsorted).
    private static func nucleusByBuckets(_ c: inout Candidates, weights: [Float], maxLogit: Float, p: Float) {
        let binsPerNat: Float = 16
        let binCount = 512
        var binOf = [UInt16](repeating: 0, count: c.count)
        var mass = [Double](repeating: 0, count: binCount)
        for i in 0..<c.count {
            // `d < last` is false for +∞ (a -∞ logit), so the conversion below always gets a finite value.
            let d = (maxLogit - c.logits[i]) * binsPerNat
            let bin = d < Float(binCount - 1) ? Int(d) : binCount - 1
            binOf[i] = UInt16(bin)
            mass[bin] += Double(weights[i])
        }
        let target = Double(p) * mass.reduce(0, +)
        var before = 0.0
        var crossingBin: Int?
        for bin in 0..<binCount {
            if before + mass[bin] >= target {
                crossingBin = bin
                break
            }
            before += mass[bin]
        }
        guard let crossing = crossingBin else { return }  // rounding kept the total below p: keep all
        var edge: [Int] = []
        for i in 0..<c.count where Int(binOf[i]) == crossing { edge.append(i) }
        edge.sort { c.logits[$0] > c.logits[$1] || (c.logits[$0] == c.logits[$1] && c.ids[$0] < c.ids[$1]) }
        // Tag the kept part of the crossing bin (no real bin is numbered `keptTag`), so that one pass in
        // list order collects the better bins and the tagged entries.
        let keptTag = UInt16.max
        var cumulative = before
        for i in edge {
            binOf[i] = keptTag
            cumulative += Double(weights[i])
            if cumulative >= target { break }
        }
        var kept: [Int] = []
        for i in 0..<c.count where Int(binOf[i]) < crossing || binOf[i] == keptTag { kept.append(i) }
        if kept.count < c.count { c.keep(positions: kept, sorted: false) }
    }

    /// Keeps tokens with probability ≥ `p` × the top probability, i.e. logit ≥ max logit + ln p (the
    /// form llama.cpp tests, so no softmax is needed). The top token always passes. Order is preserved.
    /// `p` ≤ 0 is off.
    static func minP(_ c: inout Candidates, p: Float) {
        guard p > 0, c.count > 1, let maxLogit = c.logits.max() else { return }
        let minLogit = maxLogit + logarithm(p)
        let kept = c.logits.indices.filter { c.logits[$0] >= minLogit }
        if kept.count < c.count { c.keep(positions: kept, sorted: c.isSorted) }
    }

    /// Divides every logit by `t`. `t` = 0 (greedy) never reaches this step: the sampler takes the argmax
    /// before the chain, so non-positive `t` is left alone here.
    static func temperature(_ c: inout Candidates, t: Float) {
        guard t > 0, t != 1 else { return }
        for i in c.logits.indices { c.logits[i] /= t }
    }
}
