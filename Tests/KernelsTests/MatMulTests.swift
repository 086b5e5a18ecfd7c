import XCTest
@testable import Kernels

final class MatMulTests: XCTestCase {
    /// The prepared activation blocks equal ggml's x86 quantization of the input.
    func testActivationQuantizationMatchesReference() {
        var rng = TestRNG(seed: 21)
        let pool = ThreadPool(threads: 2)
        let input = QuantizedInput(maxTokens: 1, maxCols: 32)  // grows on demand
        for tokens in [1, 40] {
            let cols = 576
            var x = rng.activations(tokens * cols)
            x[5] = 0.5 / 127 * 3  // ties are rare; make sure some inputs sit near them
            input.prepare(x, tokens: tokens, cols: cols, for: .q4_1, pool: pool)
            XCTAssertEqual(input.tokens, tokens)
            for blockIndex in 0..<(tokens * cols / 32) {
                let ref = RefActivationBlock(x[(blockIndex * 32)..<(blockIndex * 32 + 32)])
                XCTAssertEqual(input.scale[blockIndex], ref.d)
                XCTAssertEqual(input.scaledSum[blockIndex], ref.s)
                XCTAssertEqual(input.qsum[blockIndex], ref.q.reduce(0, +))
                for j in 0..<32 { XCTAssertEqual(Int32(input.qs[blockIndex * 32 + j]), ref.q[j]) }
            }
        }
    }

    /// Q8_K activations equal ggml's quantize_row_q8_K_ref (restated here): d = max/−127, nearest, Σ per 16.
    func testSuperBlockActivationsMatchReference() {
        var rng = TestRNG(seed: 22)
        let pool = ThreadPool(threads: 2)
        let input = QuantizedInput(maxTokens: 1, maxCols: 32)
        for tokens in [1, 5] {
            let cols = 512
            var x = rng.activations(tokens * cols)
            for j in 256..<512 { x[j] = 0 }  // an all-zero block
            input.prepare(x, tokens: tokens, cols: cols, for: .q4_K, pool: pool)
            XCTAssertEqual(input.activation, .q8_K)
            for b in 0..<(tokens * cols / 256) {
                let block = Array(x[(b * 256)..<(b * 256 + 256)])
                var amax: Float = 0, max: Float = 0
                for v in block where abs(v) > amax { amax = abs(v); max = v }
                let iscale: Float = amax == 0 ? 0 : -127 / max
                let q = block.map { amax == 0 ? Int32(0) : Swift.min(127, Int32(($0 * iscale).rounded(.toNearestOrEven))) }
                XCTAssertEqual(input.scale[b], amax == 0 ? 0 : 1 / iscale, "block \(b)")
                for j in 0..<256 { XCTAssertEqual(Int32(input.qs[b * 256 + j]), q[j], "block \(b) value \(j)") }
                for g in 0..<16 { XCTAssertEqual(Int32(input.blockSums[b * 16 + g]), q[(g * 16)..<(g * 16 + 16)].reduce(0, +)) }
            }
        }
    }

    /// Every format, every instruction-set level this CPU runs, decode and prefill, 1–3 threads: the kernels'
    /// result equals the independent reference dot up to f32 rounding.
    func testEveryKernelMatchesReference() throws {
        var rng = TestRNG(seed: 99)
        let pools = [ThreadPool(threads: 1), ThreadPool(threads: 2), ThreadPool(threads: 3)]
        let input = QuantizedInput(maxTokens: 8, maxCols: 64)
        for format in WeightFormat.allCases {
            let colsChoices = format.blockSize == 256 ? [256, 1536] : [32, 96, 576, 1536]
            for (shapeIndex, cols) in colsChoices.enumerated() {
                let rows = [1, 37, 13, 5][shapeIndex % 4]
                let m = try TestMatrix(format: format, rows: rows, cols: cols, rng: &rng)
                for tokens in [1, 3, 17] {
                    let pool = pools[(shapeIndex + tokens) % pools.count]
                    let x = rng.activations(tokens * cols)
                    for kernels in DotKernels.available {
                        let got = run(m.matrix, x, tokens: tokens, input: input, pool: pool, kernels: kernels)
                        for t in 0..<tokens {
                            for r in 0..<rows {
                                let ref = referenceDot(m.matrix, row: r, input: input, token: t)
                                XCTAssertEqual(Double(got[t * rows + r]), ref.value, accuracy: 2e-6 * ref.magnitude + 1e-6,
                                               "\(format) \(rows)×\(cols) tokens \(tokens) t \(t) r \(r) \(kernels.name) threads \(pool.threads)")
                            }
                        }
                    }
                }
            }
        }
    }

    /// Hand-built blocks with random bytes (scales kept finite): the layouts' every bit pattern, not only what
    /// our quantizers write, through every level's kernels.
    func testKernelsOnRandomBlocks() throws {
        var rng = TestRNG(seed: 12)
        let pool = ThreadPool(threads: 1)
        let input = QuantizedInput(maxTokens: 1, maxCols: 1536)
        for format in quantizedFormats {
            let cols = 1536, rows = 9
            let rowBytes = quantizedByteCount(count: cols, format: format)
            var raw = [UInt8](repeating: 0, count: rows * rowBytes)
            for i in raw.indices { raw[i] = rng.byte() }
            for block in Swift.stride(from: 0, to: raw.count, by: format.blockBytes) {
                for offset in halfOffsets(format) { raw[block + offset + 1] = 0x20 | (raw[block + offset + 1] & 0x83) }
            }
            try raw.withUnsafeBytes { bytes in
                let m = try WeightMatrix(format: format, rows: rows, cols: cols, data: bytes.baseAddress!)
                let x = rng.activations(cols)
                for kernels in DotKernels.available {
                    let got = run(m, x, tokens: 1, input: input, pool: pool, kernels: kernels)
                    for r in 0..<rows {
                        let ref = referenceDot(m, row: r, input: input, token: 0)
                        XCTAssertEqual(Double(got[r]), ref.value, accuracy: 2e-6 * ref.magnitude + 1e-6, "\(format) r \(r) \(kernels.name)")
                    }
                }
            }
        }
    }

    /// The interleaved layout: rows read back exactly, and products equal the row layout's (any level, any
    /// token count, partial last group), while the interleaved copy owns its memory.
    func testInterleavedLayoutMatchesRows() throws {
        var rng = TestRNG(seed: 16)
        let pool = ThreadPool(threads: 2)
        let input = QuantizedInput(maxTokens: 9, maxCols: 576)
        for format in WeightFormat.allCases where format.traits.interleaved != nil {
            for rows in [1, 15, 16, 17, 37] {
                let cols = format.blockSize == 256 ? 512 : 576
                let m = try TestMatrix(format: format, rows: rows, cols: cols, rng: &rng)
                let packed = try XCTUnwrap(m.matrix.interleaved(), "\(format)")
                XCTAssertEqual(packed.layout, .interleaved16)
                XCTAssertNil(packed.interleaved())
                XCTAssertEqual(packed.dequantized(), m.dequantized(), "\(format) rows \(rows)")
                // One kernel serves decode and prefill: each token's row of a batch is bit-identical to it alone.
                let batch = rng.activations(6 * cols)
                let batched = run(packed, batch, tokens: 6, input: input, pool: pool)
                for t in 0..<6 {
                    let alone = run(packed, Array(batch[(t * cols)..<((t + 1) * cols)]), tokens: 1, input: input, pool: pool)
                    XCTAssertEqual(Array(batched[(t * rows)..<((t + 1) * rows)]), alone, "\(format) rows \(rows) token \(t)")
                }
                for tokens in [1, 3, 5, 9] {
                    let x = rng.activations(tokens * cols)
                    for kernels in DotKernels.available {
                        let expected = run(m.matrix, x, tokens: tokens, input: input, pool: pool, kernels: kernels)
                        let got = run(packed, x, tokens: tokens, input: input, pool: pool, kernels: kernels)
                        for t in 0..<tokens {
                            for r in 0..<rows {
                                let ref = referenceDot(m.matrix, row: r, input: input, token: t)
                                XCTAssertEqual(Double(got[t * rows + r]), Double(expected[t * rows + r]), accuracy: 2e-6 * ref.magnitude + 1e-6,
                                               "\(format) rows \(rows) tokens \(tokens) t \(t) r \(r) \(kernels.name)")
                            }
                        }
                    }
                }
            }
        }
        var rng2 = TestRNG(seed: 1)
        XCTAssertNil(try TestMatrix(format: .q5_0, rows: 16, cols: 256, rng: &rng2).matrix.interleaved())
    }

    /// Where each format keeps its f16 scales (byte offsets in a block), so random blocks stay finite.
    private func halfOffsets(_ format: WeightFormat) -> [Int] {
        switch format {
        case .q4_0, .q5_0, .q8_0, .iq4_nl, .iq4_xs: [0]
        case .q4_1, .q5_1, .q4_K, .q5_K: [0, 2]
        case .q2_K: [80, 82]
        case .q3_K: [108]
        case .q6_K: [208]
        case .f32, .f16, .bf16: []
        }
    }

    /// Q/K/V style reuse: one preparation, several matrices (and Q8_0 / Q4_0 / Q4_1 share it).
    func testPreparedInputIsReusable() throws {
        var rng = TestRNG(seed: 31)
        let pool = ThreadPool(threads: 2)
        let input = QuantizedInput(maxTokens: 4, maxCols: 64)
        let x = rng.activations(4 * 64)
        input.prepare(x, tokens: 4, cols: 64, for: .q4_1, pool: pool)
        for format in quantizedFormats where format.traits.activation == .q8_0 {
            let m = try TestMatrix(format: format, rows: 9, cols: 64, rng: &rng)
            XCTAssertTrue(input.isPrepared(for: format))
            var out = [Float](repeating: 0, count: 4 * 9)
            matmul(m.matrix, input, into: &out, pool: pool)
            for t in 0..<4 {
                let ref = referenceDot(m.matrix, row: 0, input: input, token: t)
                XCTAssertEqual(Double(out[t * 9]), ref.value, accuracy: 2e-6 * ref.magnitude + 1e-6, "\(format)")
            }
        }
        XCTAssertFalse(input.isPrepared(for: .q4_K))
    }

    func testEmptyAndSingleRowMatrices() throws {
        let pool = ThreadPool(threads: 2)
        let input = QuantizedInput(maxTokens: 2, maxCols: 32)
        var rng = TestRNG(seed: 1)
        let x = rng.activations(64)
        input.prepare(x, tokens: 2, cols: 32, for: .q8_0, pool: pool)
        let empty = try TestMatrix(format: .q8_0, rows: 0, cols: 32, rng: &rng)
        var out: [Float] = [42]
        matmul(empty.matrix, input, into: &out, pool: pool)
        XCTAssertEqual(out, [42])
    }

    private func run(_ w: WeightMatrix, _ x: [Float], tokens: Int, input: QuantizedInput, pool: ThreadPool,
                     kernels: DotKernels = .selected) -> [Float] {
        input.prepare(x, tokens: tokens, cols: w.cols, for: w.format, pool: pool)
        var out = [Float](repeating: .nan, count: tokens * w.rows)
        matmul(w, input, into: &out, pool: pool, kernels: kernels)
        return out
    }
}
