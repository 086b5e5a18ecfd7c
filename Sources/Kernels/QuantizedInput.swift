import CKernels

// Activations prepared for matmul: quantized to int8 blocks the way ggml quantizes the input row of a
// mat-mul (quantize_row_q8_0 / quantize_row_q8_1, x86 SIMD variants), or kept as floats for f32/f16.

/// Reusable scratch: an input batch [tokens × cols] (token-major floats) in the form a weight format
/// consumes. Prepare once, then multiply by every matrix that shares the input (Q/K/V, gate/up).
/// Invariant for `@unchecked Sendable`: one forward pass at a time owns it (the stage's scratch); the pool's
/// threads only read it during a matmul.
public final class QuantizedInput: @unchecked Sendable {

    /// Tokens per lane group of the batched layout (one 16-wide float vector).
    static let laneWidth = 16

    public private(set) var tokens = 0
    public private(set) var cols = 0
    /// What the buffers currently hold (nil: nothing).
    public private(set) var activation: ActivationFormat?
    private var hasLaneGroups = false
    private var capacity = 0  // floats in `values`, a multiple of 32·laneWidth

    /// [tokens × cols] int8 quants, token-major.
    private(set) var qs: UnsafeMutablePointer<Int8>
    /// Q8_0: [tokens × blocks] per block: f16-rounded scale d, Σq, and ggml's Q8_1 `s` (f16-rounded d·Σq).
    /// Q8_K: `scale` holds the f32 d per 256 values and `blockSums` Σq per 16.
    private(set) var scale: UnsafeMutablePointer<Float>
    private(set) var qsum: UnsafeMutablePointer<Int32>
    private(set) var scaledSum: UnsafeMutablePointer<Float>
    private(set) var blockSums: UnsafeMutablePointer<Int16>
    /// f32 weights: a copy of the input; f16 weights: the input rounded to half. Quantized weights with
    /// tokens > 1: the quants as floats in lane groups, [group][block][32][laneWidth] (see `laneGroup`).
    private(set) var values: UnsafeMutablePointer<Float>
    /// Lane-group copies of `scale` and `scaledSum`: [group][block][laneWidth].
    private(set) var laneScale: UnsafeMutablePointer<Float>
    private(set) var laneScaledSum: UnsafeMutablePointer<Float>

    public init(maxTokens: Int, maxCols: Int) {
        qs = .allocate(capacity: 1)
        scale = .allocate(capacity: 1)
        qsum = .allocate(capacity: 1)
        scaledSum = .allocate(capacity: 1)
        blockSums = .allocate(capacity: 1)
        values = .allocate(capacity: 1)
        laneScale = .allocate(capacity: 1)
        laneScaledSum = .allocate(capacity: 1)
        reserve(tokens: max(1, maxTokens), cols: max(32, maxCols))
    }

    deinit { release() }

    /// Whether the buffers hold what `format` weights consume.
    public func isPrepared(for format: WeightFormat) -> Bool { activation == format.traits.activation }

    /// Whether `matrix`'s batched kernel needs the lane groups this Q8_0 input was prepared without.
    public func needsLaneGroups(for matrix: WeightMatrix) -> Bool {
        tokens > 1 && matrix.usesLaneKernels && !hasLaneGroups
    }

    /// Prepares `x` for `matrix`: its format's activations, with lane groups only if its kernel reads them.
    public func prepare(_ x: UnsafePointer<Float>, tokens: Int, cols: Int, for matrix: WeightMatrix, pool: ThreadPool) {
        prepare(x, tokens: tokens, cols: cols, for: matrix.format, laneGroups: matrix.usesLaneKernels, pool: pool)
    }

    /// Quantizes (or copies) `tokens` rows of `cols` floats for `format` weights. Grows the buffers if
    /// the batch is larger than the capacity given at init. `cols` must be a multiple of the format's
    /// block size (it is whenever a matrix with `cols` columns exists); otherwise nothing is prepared
    /// and a later matmul reports the mismatch.
    public func prepare(_ x: UnsafePointer<Float>, tokens: Int, cols: Int, for format: WeightFormat,
                        laneGroups: Bool? = nil, pool: ThreadPool) {
        let kind = format.traits.activation
        guard tokens > 0, cols > 0, cols % format.blockSize == 0, cols % kind.blockSize == 0 else {
            activation = nil
            return
        }
        reserve(tokens: tokens, cols: cols)
        self.tokens = tokens
        self.cols = cols
        activation = kind
        hasLaneGroups = false
        switch kind {
        case .f32: values.update(from: x, count: tokens * cols)
        case .f16: for i in 0..<tokens * cols { values[i] = roundToHalf(x[i]) }
        case .bf16: for i in 0..<tokens * cols { values[i] = roundToBFloat(x[i]) }
        case .q8_0:
            quantizeBlocks(x, pool: pool)
            if tokens > 1 && (laneGroups ?? format.traits.laneDecodable) {
                fillLaneGroups(pool: pool)
                hasLaneGroups = true
            }
        case .q8_K: quantizeSuperBlocks(x, pool: pool)
        }
    }

    /// The activation row of token `t` for the C dot kernels. Valid while this input is not prepared again.
    func row(_ t: Int) -> baton_act {
        let values = t * cols
        if activation == .q8_K {
            return baton_act(qs: qs + values, d: scale + values / 256, s: nil, bsums: blockSums + values / 16, sums: nil)
        }
        return baton_act(qs: qs + values, d: scale + values / 32, s: scaledSum + values / 32, bsums: nil, sums: qsum + values / 32)
    }

    private func quantizeSuperBlocks(_ x: UnsafePointer<Float>, pool: ThreadPool) {
        let blocks = tokens * cols / 256
        let qs = qs, scale = scale, blockSums = blockSums
        let work = { (range: Range<Int>) in
            for b in range { quantizeSuperBlockQ8_K(x + b * 256, qs + b * 256, scale + b, blockSums + b * 16) }
        }
        if blocks >= 64 { pool.parallelRanges(blocks, work) } else { work(0..<blocks) }
    }

    private func quantizeBlocks(_ x: UnsafePointer<Float>, pool: ThreadPool) {
        let blocks = tokens * cols / 32
        let qs = qs, scale = scale, qsum = qsum, scaledSum = scaledSum
        let work = { (range: Range<Int>) in
            for b in range {
                quantizeActivationBlock(x + b * 32, qs + b * 32, &scale[b], &qsum[b], &scaledSum[b])
            }
        }
        // One block is ~40 ns; only spread big batches over the pool.
        if blocks >= 512 { pool.parallelRanges(blocks, work) } else { work(0..<blocks) }
    }

    /// Transposes the quants so one 16-wide vector holds the same weight position for 16 tokens;
    /// padding tokens are zero.
    private func fillLaneGroups(pool: ThreadPool) {
        let lanes = Self.laneWidth, blocks = cols / 32
        let groups = (tokens + lanes - 1) / lanes
        pool.parallelFor(groups) { g in fillLaneGroup(g, blocks: blocks) }
    }

    private func fillLaneGroup(_ g: Int, blocks: Int) {
        let lanes = Self.laneWidth
        for lane in 0..<lanes {
            let t = g * lanes + lane
            for b in 0..<blocks {
                let dst = values + ((g * blocks + b) * 32) * lanes + lane
                let sb = (g * blocks + b) * lanes + lane
                let real = t < tokens
                let src = qs + (real ? t * cols + b * 32 : 0)
                for j in 0..<32 { dst[j * lanes] = real ? Float(src[j]) : 0 }
                laneScale[sb] = real ? scale[t * blocks + b] : 0
                laneScaledSum[sb] = real ? scaledSum[t * blocks + b] : 0
            }
        }
    }

    /// Lane group `g` (tokens 16g..<16g+16) of the batched layout.
    func laneGroup(_ g: Int) -> LaneGroup {
        let lanes = Self.laneWidth, blocks = cols / 32
        return LaneGroup(
            quants: UnsafeRawPointer(values + g * blocks * 32 * lanes),
            scale: UnsafeRawPointer(laneScale + g * blocks * lanes),
            scaledSum: UnsafeRawPointer(laneScaledSum + g * blocks * lanes))
    }

    private func reserve(tokens: Int, cols: Int) {
        let lanes = Self.laneWidth
        let padded = (tokens + lanes - 1) / lanes * lanes
        let needed = padded * ((cols + 31) / 32 * 32)
        guard needed > capacity else { return }
        release()
        capacity = needed
        qs = .allocate(capacity: needed)
        values = .allocate(capacity: needed)
        scale = .allocate(capacity: needed / 32)
        qsum = .allocate(capacity: needed / 32)
        scaledSum = .allocate(capacity: needed / 32)
        blockSums = .allocate(capacity: needed / 16)
        laneScale = .allocate(capacity: needed / 32)
        laneScaledSum = .allocate(capacity: needed / 32)
    }

    private func release() {
        qs.deallocate()
        values.deallocate()
        scale.deallocate()
        qsum.deallocate()
        scaledSum.deallocate()
        blockSums.deallocate()
        laneScale.deallocate()
        laneScaledSum.deallocate()
    }
}

/// Sixteen tokens' activations in the batched layout, as raw pointers for 16-wide vector loads.
struct LaneGroup {
    let quants: UnsafeRawPointer  // [block][32][16] floats
    let scale: UnsafeRawPointer  // [block][16]
    let scaledSum: UnsafeRawPointer  // [block][16]
}

/// ggml's x86 quantize_row_q8_0/q8_1 for one block: d = amax/127 (stored as f16), q = x·(127/amax)
/// rounded half-to-even, s = d·Σq (f32 d, stored as f16).
@inline(__always)
func quantizeActivationBlock(
    _ x: UnsafePointer<Float>, _ q: UnsafeMutablePointer<Int8>,
    _ scale: UnsafeMutablePointer<Float>, _ qsum: UnsafeMutablePointer<Int32>, _ scaledSum: UnsafeMutablePointer<Float>
) {
    var amax: Float = 0
    for j in 0..<32 { amax = max(amax, abs(x[j])) }
    let d = amax / 127
    let id: Float = amax != 0 ? 127 / amax : 0
    var sum: Int32 = 0
    for j in 0..<32 {
        // Adding and removing 1.5·2^23 rounds half-to-even in the default FP mode, exactly like
        // _mm256_round_ps(_MM_ROUND_NEAREST), for the |v| ≤ 127 that can occur; NaN and inf map to 0.
        let v = x[j] * id
        let r = (v + 12_582_912) - 12_582_912
        let clamped: Float = r >= -127 && r <= 127 ? r : 0
        let qj = Int8(clamped)
        q[j] = qj
        sum &+= Int32(qj)
    }
    scale.pointee = roundToHalf(d)
    qsum.pointee = sum
    scaledSum.pointee = roundToHalf(d * Float(sum))
}

/// ggml's quantize_row_q8_K_ref for one 256-value block: d = max/−127 of the signed value of largest
/// magnitude, q = nearest(x/d) capped at 127, and Σq per 16 values.
@inline(__always)
func quantizeSuperBlockQ8_K(
    _ x: UnsafePointer<Float>, _ q: UnsafeMutablePointer<Int8>, _ scale: UnsafeMutablePointer<Float>,
    _ sums: UnsafeMutablePointer<Int16>
) {
    let max = signedAbsMax(x, 256)
    guard max != 0, max.isFinite else {
        scale.pointee = 0
        q.update(repeating: 0, count: 256)
        sums.update(repeating: 0, count: 16)
        return
    }
    let iscale = -127 / max
    for j in 0..<256 {
        // nearest_int: round half to even; |iscale·x| ≤ 127 except for NaN inputs, which map to 0.
        let v = iscale * x[j]
        let r = (v + 12_582_912) - 12_582_912
        let clamped: Float = r >= -128 && r <= 127 ? r : (r > 127 ? 127 : 0)
        q[j] = Int8(clamped)
    }
    for g in 0..<16 {
        var sum: Int16 = 0
        for j in 0..<16 { sum &+= Int16(q[g * 16 + j]) }
        sums[g] = sum
    }
    scale.pointee = 1 / iscale
}
