// The mat-mul driver: splits the weight rows across the pool and picks the format's kernel.
//   interleaved matrices: each 16-row group against up to 4 tokens per C kernel call, decode and prefill alike.
//   rows, tokens == 1 (decode): each packed weight row is dotted straight with the one activation row (C kernels).
//   rows, tokens  > 1 (prefill): 32-value block formats decode each weight row once into integer values and f32
//                          scales and run it against 16 tokens per vector (BatchKernels); super-block formats
//                          dot a few rows, kept in L1, with every token; float formats widen rows once.
import CKernels

/// out[t * w.rows + r] = Σ_c w[r][c] · x[t][c]   (out is token-major [tokens × rows]).
/// `x` must have been prepared for `w.format`'s activations with `cols == w.cols`; otherwise that is a
/// programming error: debug builds stop, release builds fill `out` with NaN so the mistake cannot pass
/// for a result.
public func matmul(_ w: WeightMatrix, _ x: QuantizedInput, into out: UnsafeMutablePointer<Float>, pool: ThreadPool,
                   kernels: DotKernels = .selected) {
    let tokens = x.tokens
    guard x.isPrepared(for: w.format), x.cols == w.cols, !x.needsLaneGroups(for: w) else {
        assertionFailure("matmul: input prepared for \(x.cols) columns (\(String(describing: x.activation))), matrix is \(w.format) \(w.rows)×\(w.cols)")
        out.update(repeating: .nan, count: max(0, tokens) * w.rows)
        return
    }
    guard w.rows > 0 else { return }
    let rows = w.rows
    if w.layout == .interleaved16, let index = w.format.traits.interleaved {
        let groups = (rows + 15) / 16
        pool.parallelRanges(groups) { range in matmulInterleaved(w, index, x, range, out, kernels) }
    } else if let dot = kernels.dot(w.format) {
        if tokens == 1 {
            pool.parallelRanges(rows) { range in matvec(w, x, dot, range, out) }
        } else if w.format.traits.laneDecodable {
            pool.parallelRanges(rows) { range in matmatLanes(w, x, range, out) }
        } else {
            pool.parallelRanges(rows) { range in matmatDots(w, x, dot, range, out) }
        }
    } else {
        pool.parallelRanges(rows) { range in matmatFloat(w, x, range, out) }
    }
}

/// Decode: one token, rows `range`.
private func matvec(_ w: WeightMatrix, _ x: QuantizedInput, _ dot: baton_dot_fn, _ range: Range<Int>,
                    _ out: UnsafeMutablePointer<Float>) {
    let rowBytes = w.rowBytes, blocks = Int32(w.cols / w.format.blockSize), base = w.data
    var a = x.row(0)
    forEachRowInStreams(range) { r in out[r] = dot(blocks, base + r &* rowBytes, &a) }
}

/// Interleaved matrices, any token count: each 16-row group against up to 4 tokens per kernel call, so a
/// group's tiles (a few KB) are read from memory once and reused from L1 for every token.
private func matmulInterleaved(_ w: WeightMatrix, _ index: Int32, _ x: QuantizedInput, _ groups: Range<Int>,
                               _ out: UnsafeMutablePointer<Float>, _ kernels: DotKernels) {
    let rows = w.rows, blocks = Int32(w.cols / w.format.blockSize), groupBytes = w.groupBytes
    withUnsafeTemporaryAllocation(of: baton_act.self, capacity: 4) { acts in
        guard let acts = acts.baseAddress else { return }
        for g in groups {
            let valid = Int32(min(16, rows - 16 * g)), group = w.data + g * groupBytes
            var t = 0
            while t < x.tokens {
                let n = min(4, x.tokens - t)
                for i in 0..<n { acts[i] = x.row(t + i) }
                baton_x16_dot(kernels.isa, index, blocks, group, acts, Int32(n), out + t * rows + 16 * g, rows, valid)
                t += n
            }
        }
    }
}

/// Visits the rows of `range` as four interleaved sequential streams: one row from each quarter in turn.
/// A decode mat-vec reads every weight once, and one sequential stream is consumed faster than the
/// hardware prefetcher brings it in from L3/DRAM; four independent streams keep about four times as many
/// misses in flight (Q4_1, 90 MB of rows, 1 thread: 3.3 → 2.2 ns per block). Every row is still
/// computed by itself in the same order, so results are bit-identical.
@inline(__always)
private func forEachRowInStreams(_ range: Range<Int>, _ body: (Int) -> Void) {
    let quarter = range.count / 4, first = range.lowerBound
    for i in 0..<quarter {
        body(first &+ i)
        body(first &+ quarter &+ i)
        body(first &+ 2 &* quarter &+ i)
        body(first &+ 3 &* quarter &+ i)
    }
    for r in (first &+ 4 &* quarter)..<range.upperBound { body(r) }
}

/// Prefill for super-block formats: groups of rows small enough to stay in L1 are dotted with every token,
/// so each row is read from memory once per batch. The same kernel as decode: batched and single-token
/// results are bit-identical.
private func matmatDots(_ w: WeightMatrix, _ x: QuantizedInput, _ dot: baton_dot_fn, _ range: Range<Int>,
                        _ out: UnsafeMutablePointer<Float>) {
    let rowBytes = w.rowBytes, blocks = Int32(w.cols / w.format.blockSize), rows = w.rows
    let group = max(1, min(8, 16_384 / max(1, rowBytes)))
    var first = range.lowerBound
    while first < range.upperBound {
        let last = min(first + group, range.upperBound)
        for t in 0..<x.tokens {
            var a = x.row(t)
            for r in first..<last { out[t &* rows &+ r] = dot(blocks, w.data + r &* rowBytes, &a) }
        }
        first = last
    }
}

/// Prefill for 32-value block formats: rows are decoded once, four at a time, then run against every
/// lane group of 16 tokens.
private func matmatLanes(_ w: WeightMatrix, _ x: QuantizedInput, _ range: Range<Int>, _ out: UnsafeMutablePointer<Float>) {
    let cols = w.cols, blocks = cols / 32, rows = w.rows, tokens = x.tokens
    let lanes = QuantizedInput.laneWidth
    let groups = (tokens + lanes - 1) / lanes
    let storage = UnsafeMutablePointer<Float>.allocate(capacity: 4 * (cols + 2 * blocks))
    let decoded = UnsafeMutablePointer<DecodedRow>.allocate(capacity: 4)
    defer { storage.deallocate(); decoded.deallocate() }
    for i in 0..<4 {
        let base = storage + i * (cols + 2 * blocks)
        decoded[i] = DecodedRow(w: base, d: base + cols, m: base + cols + blocks)
    }
    let hasMin = w.format.hasMinimum
    func store(_ result: Lanes, row r: Int, group g: Int) {
        for lane in 0..<min(lanes, tokens - g * lanes) { out[(g * lanes + lane) &* rows &+ r] = result[lane] }
    }
    var r = range.lowerBound
    while r < range.upperBound {
        let count = min(4, range.upperBound - r)
        for i in 0..<count { decodeRow(w.format, w.data + (r + i) * w.rowBytes, blocks: blocks, into: decoded[i]) }
        for g in 0..<groups {
            let group = x.laneGroup(g)
            if count == 4 {
                let (y0, y1, y2, y3) = dotLanes4(decoded, group, blocks: blocks, hasMin: hasMin)
                store(y0, row: r, group: g); store(y1, row: r + 1, group: g)
                store(y2, row: r + 2, group: g); store(y3, row: r + 3, group: g)
            } else {
                for i in 0..<count { store(dotLanes(decoded[i], group, blocks: blocks, hasMin: hasMin), row: r + i, group: g) }
            }
        }
        r += count
    }
}

/// Float weights, any token count: widen F16/BF16 rows once, then f32 dots.
private func matmatFloat(_ w: WeightMatrix, _ x: QuantizedInput, _ range: Range<Int>, _ out: UnsafeMutablePointer<Float>) {
    let cols = w.cols, rows = w.rows
    let widened = w.format == .f32 ? nil : UnsafeMutablePointer<Float>.allocate(capacity: cols)
    defer { widened?.deallocate() }
    for r in range {
        var row = w.data + r * w.rowBytes
        if let widened {
            w.format.traits.dequantize(row, cols, widened)
            row = UnsafeRawPointer(widened)
        }
        for t in 0..<x.tokens {
            out[t &* rows &+ r] = dotF32(row, x.values + t &* cols, count: cols)
        }
    }
}

/// Σ w·x in f32 with 32 partial sums (ggml's f32/f16 dots also keep several SIMD accumulators).
@inline(__always)
func dotF32(_ wr: UnsafeRawPointer, _ x: UnsafePointer<Float>, count: Int) -> Float {
    let xr = UnsafeRawPointer(x)
    var acc0 = SIMD16<Float>(), acc1 = SIMD16<Float>()
    var i = 0
    while i &+ 32 <= count {
        acc0 += wr.loadUnaligned(fromByteOffset: i &* 4, as: SIMD16<Float>.self)
            * xr.loadUnaligned(fromByteOffset: i &* 4, as: SIMD16<Float>.self)
        acc1 += wr.loadUnaligned(fromByteOffset: i &* 4 &+ 64, as: SIMD16<Float>.self)
            * xr.loadUnaligned(fromByteOffset: i &* 4 &+ 64, as: SIMD16<Float>.self)
        i &+= 32
    }
    var sum = (acc0 + acc1).sum()
    while i < count {
        sum += wr.loadUnaligned(fromByteOffset: i &* 4, as: Float.self) * x[i]
        i &+= 1
    }
    return sum
}
