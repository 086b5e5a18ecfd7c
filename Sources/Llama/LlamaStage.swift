import Kernels

/// What enters a stage: token ids (first stage, which owns the embedding) or the previous stage's hidden states.
public enum StageInput {
    case tokens([Int32])
    /// [n_tokens × n_embd] floats, token-major.
    case hidden(UnsafeBufferPointer<Float>)
}

/// Which positions of the batch need logits (last stage only).
public enum LogitRows: Sendable, Equatable {
    case none, last, all
}

/// Runs a contiguous range of Llama layers — optionally with the embedding in front and the output norm and head
/// behind — over one session's KV cache. The whole model is the stage with all layers, embedding and head; a
/// pipeline splits the same code over processes. One forward call at a time per stage (it owns its scratch).
/// Invariant for `@unchecked Sendable`: the weights are read-only; `scratch` and `tap` are used by one forward
/// pass at a time (its owner, StageEngine, serializes them).
public final class LlamaStage: @unchecked Sendable {
    public let weights: StageWeights
    public let config: LlamaConfig
    public let maxBatch: Int
    public let maxContext: Int
    let pool: ThreadPool
    let scratch: Scratch
    /// Observes intermediate tensors (tests, `--dump-tensors`). Set before forward calls, never during one; like
    /// the scratch it belongs to the one caller that drives this stage.
    public var tap: TensorTap?

    public init(weights: StageWeights, pool: ThreadPool, maxBatch: Int = 256, maxContext: Int) {
        self.weights = weights
        self.config = weights.config
        self.pool = pool
        self.maxBatch = max(1, maxBatch)
        self.maxContext = max(1, maxContext)
        // A stage of no layers (embedding and head only) never attends: no scores over a context it does not hold.
        scratch = Scratch(config: weights.config, maxTokens: self.maxBatch,
                          maxContext: weights.spec.layers.isEmpty ? 1 : self.maxContext,
                          threads: pool.threads,
                          ropeFrequencies: weights.ropeFrequencies.map { Array(UnsafeBufferPointer(start: $0.pointer, count: $0.count)) })
    }

    /// A KV cache for one session on this stage, or nil when memory for it cannot be mapped.
    public func makeCache(capacity: Int? = nil, type: KVType = .f16) -> KVCache? {
        KVCache(layers: weights.spec.layers.count, capacity: min(capacity ?? maxContext, maxContext),
                kvDimension: config.kvDimension, type: type)
    }

    /// Evaluates one batch at positions cache.length ..< cache.length + n and appends it to the cache.
    /// Returns the hidden states [n × n_embd] (stages without the head), or the logits [rows × vocab] of the
    /// requested rows. The buffer is valid until the next call.
    public func forward(_ input: StageInput, cache: KVCache, logits rows: LogitRows = .last) throws
        -> UnsafeBufferPointer<Float>
    {
        try forward([BatchSegment(input, cache: cache, logits: rows)])
    }

    /// Evaluates several sessions' segments as one batch: every weight matrix is streamed once for all their
    /// rows, and each segment attends over its own cache. Returns the hidden states of every row
    /// [n × n_embd] in segment order (stages without the head), or the logits [rows × vocab] of the rows
    /// each segment asks for, in segment order. The buffer is valid until the next call.
    public func forward(_ segments: [BatchSegment]) throws -> UnsafeBufferPointer<Float> {
        let layout = try checkedLayout(segments)
        let n = layout.rows, embd = config.embeddingLength
        for (i, segment) in segments.enumerated() {
            try load(segment.input, row: layout.firstRow[i])        // x[n × embd]
            scratch.rope.fill(start: segment.cache.length, count: layout.firstRow[i + 1] - layout.firstRow[i],
                              row: layout.firstRow[i])
        }
        for (i, layer) in weights.blocks.enumerated() {
            let number = weights.spec.layers.lowerBound + i   // the model's layer number, for tap names
            attentionBlock(layer, index: i, number: number, segments: segments, layout: layout)
            feedForwardBlock(layer, number: number, count: n)
        }
        for (i, segment) in segments.enumerated() { segment.cache.length += layout.firstRow[i + 1] - layout.firstRow[i] }
        let rows = layout.logitRows(segments.map(\.logits))
        guard weights.spec.hasHead, !rows.isEmpty else {
            return UnsafeBufferPointer(start: scratch.x, count: n * embd)
        }
        return head(rows: rows)
    }

    // MARK: - The forward pass, one step per function

    /// x[row...] = embedding rows of the tokens, or the incoming hidden states.
    private func load(_ input: StageInput, row: Int) throws {
        let embd = config.embeddingLength
        let x = scratch.x + row * embd
        switch input {
        case .tokens(let tokens):
            guard let embedding = weights.embedding else { throw LlamaError.missingInput("this stage has no token embedding") }
            for (t, token) in tokens.enumerated() {
                guard token >= 0, Int(token) < config.vocabularySize else {
                    throw LlamaError.tokenOutOfRange(token: token, vocabularySize: config.vocabularySize)
                }
                embedding.dequantizeRow(Int(token), into: x + t * embd)
            }
        case .hidden(let hidden):
            guard let base = hidden.baseAddress else { throw LlamaError.hiddenStateSize(floats: 0, embeddingLength: embd) }
            x.update(from: base, count: hidden.count)
        }
    }

    /// x += wo · attention(rope(wq·norm(x)), rope(wk·norm(x)), wv·norm(x))
    private func attentionBlock(_ w: LayerWeights, index: Int, number l: Int, segments: [BatchSegment], layout: BatchLayout) {
        let s = scratch, embd = config.embeddingLength, qDim = config.queryDimension, kvDim = config.kvDimension
        let n = layout.rows
        normalize(s.x, into: s.xb, weight: w.attentionNorm, count: n)  // xb[t] = rmsnorm(x[t]) · attn_norm
        emit("attn_norm-\(l)", s.xb, rows: n, rowLength: embd)
        project(s.xb, count: n, cols: embd, w.wq, bias: w.biases.q, into: s.q)                   // q[n × q_dim]
        project(s.xb, count: n, cols: embd, w.wk, bias: w.biases.k, into: s.k, sameInput: true)  // k[n × kv_dim]
        project(s.xb, count: n, cols: embd, w.wv, bias: w.biases.v, into: s.v, sameInput: true)  // v[n × kv_dim]
        if let qn = w.queryNorm, let kn = w.keyNorm {   // Qwen 3: each head RMS-normed before rope
            normalizeHeads(s.q, weight: qn, heads: n * config.headCount)
            normalizeHeads(s.k, weight: kn, heads: n * config.headCountKV)
        }
        rope(count: n)
        emit("Qcur-\(l)", s.q, rows: n, rowLength: qDim)
        emit("Kcur-\(l)", s.k, rows: n, rowLength: kvDim)
        emit("Vcur-\(l)", s.v, rows: n, rowLength: kvDim)
        for (i, segment) in segments.enumerated() {
            let first = layout.firstRow[i]
            Attention.store(segment.cache, layer: index, start: segment.cache.length, count: layout.firstRow[i + 1] - first,
                            keys: s.k + first * kvDim, values: s.v + first * kvDim)
        }
        attend(segments, layer: index, layout: layout)              // attention[n × q_dim]
        emit("kqv_out-\(l)", s.attention, rows: n, rowLength: qDim)
        project(s.attention, count: n, cols: qDim, w.wo, bias: w.biases.o, into: s.xb)  // xb[n × embd]
        emit("attn_out-\(l)", s.xb, rows: n, rowLength: embd)
        VectorMath.add(s.x, s.xb, count: n * embd)
        emit("ffn_inp-\(l)", s.x, rows: n, rowLength: embd)
    }

    /// Rotates every token's query and key heads by its position.
    private func rope(count n: Int) {
        let s = scratch, hd = config.headDimension
        for t in 0..<n {
            s.rope.apply(s.q + t * config.queryDimension, token: t, heads: config.headCount, headDimension: hd)
            s.rope.apply(s.k + t * config.kvDimension, token: t, heads: config.headCountKV, headDimension: hd)
        }
    }

    /// x[h] = rmsnorm(x[h]) · weight for each of `heads` consecutive head vectors.
    private func normalizeHeads(_ x: UnsafeMutablePointer<Float>, weight: FloatVector, heads: Int) {
        let hd = config.headDimension
        for h in 0..<heads {
            VectorMath.rmsNorm(x + h * hd, x + h * hd, weight.pointer, count: hd, eps: config.rmsEpsilon)
        }
    }

    /// Every (row, query head) pair attends over its session's positions 0 ... its own; pairs are spread over
    /// the threads.
    private func attend(_ segments: [BatchSegment], layer: Int, layout: BatchLayout) {
        let s = scratch, heads = config.headCount, hd = config.headDimension, qDim = config.queryDimension
        let groupSize = config.headCount / config.headCountKV
        let tasks = layout.rows * heads, threads = pool.threads
        pool.parallelFor(min(threads, tasks)) { slot in
            let scores = s.scores + slot * s.scoresStride
            for task in stride(from: slot, to: tasks, by: min(threads, tasks)) {
                let t = task / heads, h = task % heads
                let offset = t * qDim + h * hd
                Attention.attend(segments[layout.segment[t]].cache, layer: layer, visible: layout.position[t] + 1,
                                 query: s.q + offset, head: h,
                                 groupSize: groupSize, headDimension: hd, scores: scores, out: s.attention + offset)
            }
        }
    }

    /// x += down · (silu(gate · norm(x)) ⊙ (up · norm(x)))
    private func feedForwardBlock(_ w: LayerWeights, number l: Int, count n: Int) {
        let s = scratch, embd = config.embeddingLength, ff = config.feedForwardLength
        normalize(s.x, into: s.xb, weight: w.ffnNorm, count: n)    // xb[t] = rmsnorm(x[t]) · ffn_norm
        emit("ffn_norm-\(l)", s.xb, rows: n, rowLength: embd)
        project(s.xb, count: n, cols: embd, w.gate, bias: w.biases.gate, into: s.gate)               // gate[n × n_ff]
        project(s.xb, count: n, cols: embd, w.up, bias: w.biases.up, into: s.up, sameInput: true)    // up[n × n_ff]
        emit("ffn_gate-\(l)", s.gate, rows: n, rowLength: ff)
        emit("ffn_up-\(l)", s.up, rows: n, rowLength: ff)
        VectorMath.swiglu(s.gate, s.up, count: n * ff)
        emit("ffn_swiglu-\(l)", s.gate, rows: n, rowLength: ff)
        project(s.gate, count: n, cols: ff, w.down, bias: w.biases.down, into: s.xb)  // xb[n × embd]
        emit("ffn_out-\(l)", s.xb, rows: n, rowLength: embd)
        VectorMath.add(s.x, s.xb, count: n * embd)
        emit("l_out-\(l)", s.x, rows: n, rowLength: embd)
    }

    /// logits = output · rmsnorm(x) · output_norm, for the given rows of x.
    private func head(rows: [Int]) -> UnsafeBufferPointer<Float> {
        let s = scratch, embd = config.embeddingLength, vocab = config.vocabularySize
        let m = rows.count
        let logits = s.logits(rows: m, vocab: vocab)
        if let norm = weights.outputNorm, let output = weights.output {
            for (k, r) in rows.enumerated() {                      // xb[k] = rmsnorm(x[rows[k]]) · output_norm
                VectorMath.rmsNorm(s.xb + k * embd, s.x + r * embd, norm.pointer, count: embd, eps: config.rmsEpsilon)
            }
            emit("result_norm", s.xb, rows: m, rowLength: embd)
            project(s.xb, count: m, cols: embd, output, bias: weights.outputBias, into: logits)  // logits[m × vocab]
            emit("result_output", logits, rows: m, rowLength: vocab)
        }
        return UnsafeBufferPointer(start: logits, count: m * vocab)
    }

    /// out[t] = rmsnorm(x[t]) · weight for each of n tokens.
    private func normalize(_ x: UnsafePointer<Float>, into out: UnsafeMutablePointer<Float>, weight: FloatVector, count n: Int) {
        let embd = config.embeddingLength
        for t in 0..<n {
            VectorMath.rmsNorm(out + t * embd, x + t * embd, weight.pointer, count: embd, eps: config.rmsEpsilon)
        }
    }

    /// out = W · x (+ bias). With `sameInput` the previous call's quantized x is reused when W takes the same
    /// activations (Q, K and V share one quantization of their input; gate and up another).
    private func project(_ x: UnsafeMutablePointer<Float>, count n: Int, cols: Int, _ w: WeightMatrix,
                         bias: FloatVector? = nil, into out: UnsafeMutablePointer<Float>, sameInput: Bool = false) {
        if !sameInput || !scratch.input.isPrepared(for: w.format) || scratch.input.needsLaneGroups(for: w) {
            scratch.input.prepare(x, tokens: n, cols: cols, for: w, pool: pool)
        }
        matmul(w, scratch.input, into: out, pool: pool)
        if let bias {
            for t in 0..<n { VectorMath.add(out + t * bias.count, bias.pointer, count: bias.count) }
        }
    }

    /// Refuses a batch that is empty, too large, past a segment's context, or names one cache twice (its
    /// positions would collide).
    private func checkedLayout(_ segments: [BatchSegment]) throws -> BatchLayout {
        var counts: [Int] = []
        var caches = Set<ObjectIdentifier>()
        for segment in segments {
            let n = try check(segment)
            guard caches.insert(ObjectIdentifier(segment.cache)).inserted else {
                throw LlamaError.missingInput("one session twice in a batch")
            }
            counts.append(n)
        }
        let total = counts.reduce(0, +)
        guard total > 0 else { throw LlamaError.missingInput("an empty batch") }
        guard total <= maxBatch else { throw LlamaError.batchTooLarge(tokens: total, maximum: maxBatch) }
        return BatchLayout(counts: counts, starts: segments.map(\.cache.length))
    }

    /// Refuses a segment that no batch could run: empty, larger than a batch, past its context, a token outside
    /// the vocabulary or hidden states of the wrong width. Returns its rows.
    @discardableResult
    public func check(_ segment: BatchSegment) throws -> Int {
        let n = try rowCount(segment.input)
        guard n > 0 else { throw LlamaError.missingInput("an empty batch") }
        guard n <= maxBatch else { throw LlamaError.batchTooLarge(tokens: n, maximum: maxBatch) }
        guard segment.cache.length + n <= segment.cache.capacity else {
            throw LlamaError.contextExceeded(position: segment.cache.length, tokens: n, contextLength: segment.cache.capacity)
        }
        if case .tokens(let tokens) = segment.input {
            guard weights.embedding != nil else { throw LlamaError.missingInput("this stage has no token embedding") }
            if let bad = tokens.first(where: { $0 < 0 || Int($0) >= config.vocabularySize }) {
                throw LlamaError.tokenOutOfRange(token: bad, vocabularySize: config.vocabularySize)
            }
        }
        return n
    }

    private func rowCount(_ input: StageInput) throws -> Int {
        switch input {
        case .tokens(let tokens): return tokens.count
        case .hidden(let hidden):
            let embd = config.embeddingLength
            guard hidden.count % embd == 0 else { throw LlamaError.hiddenStateSize(floats: hidden.count, embeddingLength: embd) }
            return hidden.count / embd
        }
    }
}
