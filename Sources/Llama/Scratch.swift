import Kernels

/// Activations of one forward call, sized once for the largest batch (B tokens) and reused: the forward pass
/// allocates nothing.
final class Scratch {
    let maxTokens: Int
    let x: UnsafeMutablePointer<Float>        // [B × n_embd] residual stream (also a stage's input/output)
    let xb: UnsafeMutablePointer<Float>       // [B × n_embd] normed input of a block / projection output
    let q: UnsafeMutablePointer<Float>        // [B × q_dim]
    let k: UnsafeMutablePointer<Float>        // [B × kv_dim]
    let v: UnsafeMutablePointer<Float>        // [B × kv_dim]
    let attention: UnsafeMutablePointer<Float>  // [B × q_dim] attention output before wo
    let gate: UnsafeMutablePointer<Float>     // [B × n_ff]
    let up: UnsafeMutablePointer<Float>       // [B × n_ff]
    let scores: UnsafeMutablePointer<Float>   // [threads × context] attention scores, one row per thread
    let scoresStride: Int
    let rope: RopeTable
    let input: QuantizedInput                 // the current matmul input, quantized for the weights' format
    private(set) var logits: UnsafeMutablePointer<Float>  // [rows × vocab], grown on demand
    private(set) var logitRows = 0
    private let sizes: [Int]

    init(config: LlamaConfig, maxTokens: Int, maxContext: Int, threads: Int, ropeFrequencies: [Float]?) {
        self.maxTokens = maxTokens
        let embd = config.embeddingLength, kv = config.kvDimension, ff = config.feedForwardLength
        let qd = config.queryDimension
        sizes = [maxTokens * embd, maxTokens * embd, maxTokens * qd, maxTokens * kv, maxTokens * kv,
                 maxTokens * qd, maxTokens * ff, maxTokens * ff, threads * maxContext]
        let buffers = sizes.map { UnsafeMutablePointer<Float>.allocate(capacity: max($0, 1)) }
        for (b, n) in zip(buffers, sizes) { b.initialize(repeating: 0, count: n) }
        (x, xb, q, k, v, attention, gate, up, scores) =
            (buffers[0], buffers[1], buffers[2], buffers[3], buffers[4], buffers[5], buffers[6], buffers[7], buffers[8])
        scoresStride = maxContext
        rope = RopeTable(maxTokens: maxTokens, constants: config.ropeConstants, style: config.architecture.ropeStyle,
                         frequencyFactors: ropeFrequencies)
        input = QuantizedInput(maxTokens: maxTokens, maxCols: max(embd, ff, qd))
        logits = .allocate(capacity: 1)
    }

    /// A logits buffer of at least `rows × vocab` floats.
    func logits(rows: Int, vocab: Int) -> UnsafeMutablePointer<Float> {
        if rows > logitRows {
            logits.deallocate()
            logits = .allocate(capacity: rows * vocab)
            logitRows = rows
        }
        return logits
    }

    deinit {
        for p in [x, xb, q, k, v, attention, gate, up, scores, logits] { p.deallocate() }
    }
}
