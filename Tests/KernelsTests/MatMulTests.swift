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

    func testMatmulMatchesScalarReference() throws {
        var rng = TestRNG(seed: 99)
        let pools = [ThreadPool(threads: 1), ThreadPool(threads: 2), ThreadPool(threads: 3)]
        let shapes: [(rows: Int, cols: Int)] = [(1, 32), (37, 64), (100, 576), (13, 1536), (5, 96)]
        let input = QuantizedInput(maxTokens: 8, maxCols: 64)
        for format in WeightFormat.allCases {
            for (shapeIndex, shape) in shapes.enumerated() {
                let m = try TestMatrix(format: format, rows: shape.rows, cols: shape.cols, rng: &rng)
                for tokens in [1, 3, 17] {
                    let pool = pools[(shapeIndex + tokens) % pools.count]
                    let x = rng.activations(tokens * shape.cols)
                    let got = run(m.matrix, x, tokens: tokens, input: input, pool: pool)
                    for t in 0..<tokens {
                        let xt = Array(x[(t * shape.cols)..<((t + 1) * shape.cols)])
                        for r in 0..<shape.rows {
                            let expected = referenceDot(format: format, row: m.matrix.data + r * m.matrix.rowBytes, x: xt)
                            let scale = l1(m.floats, r, xt)
                            XCTAssertEqual(got[t * shape.rows + r], expected, accuracy: 1e-5 * scale + 1e-6,
                                           "\(format) \(shape) tokens \(tokens) t \(t) r \(r) threads \(pool.threads)")
                        }
                    }
                }
            }
        }
    }

    /// Against plain f32 math on the dequantized weights: the only difference is activation rounding.
    func testMatmulCloseToFloatMath() throws {
        var rng = TestRNG(seed: 5)
        let pool = ThreadPool(threads: 2)
        let input = QuantizedInput(maxTokens: 128, maxCols: 576)
        for format in WeightFormat.allCases {
            let rows = 70, cols = 576
            let m = try TestMatrix(format: format, rows: rows, cols: cols, rng: &rng)
            let w = m.dequantized()
            for tokens in [1, 128] {
                let x = rng.activations(tokens * cols)
                let got = run(m.matrix, x, tokens: tokens, input: input, pool: pool)
                for t in Swift.stride(from: 0, to: tokens, by: 7) {
                    for r in 0..<rows {
                        var exact: Double = 0, bound: Double = 0
                        for b in 0..<cols / 32 {
                            let block = (b * 32)..<(b * 32 + 32)
                            let amax = x[block.lowerBound + t * cols..<block.upperBound + t * cols].map { abs(Double($0)) }.max()!
                            for c in block {
                                let wv = Double(w[r * cols + c]), xv = Double(x[t * cols + c])
                                exact += wv * xv
                                // int8 activations: half a quantization step; f16: half an ulp; plus f32 sums.
                                bound += abs(wv) * (format.isQuantized ? amax / 254 * 1.01 : abs(xv) / 2048) + abs(wv * xv) * 1e-5
                            }
                        }
                        XCTAssertEqual(Double(got[t * rows + r]), exact, accuracy: bound + 1e-6, "\(format) tokens \(tokens) t \(t) r \(r)")
                    }
                }
            }
        }
    }

    /// Decode and prefill paths, 1–3 threads, many row counts: identical results regardless of split.
    func testResultsIndependentOfThreadsAndBatching() throws {
        var rng = TestRNG(seed: 8)
        let input = QuantizedInput(maxTokens: 128, maxCols: 64)
        for format in WeightFormat.allCases {
            let m = try TestMatrix(format: format, rows: 131, cols: 64, rng: &rng)
            let x = rng.activations(128 * 64)
            let batched = run(m.matrix, x, tokens: 128, input: input, pool: ThreadPool(threads: 3))
            for threads in [1, 2, 3] {
                let pool = ThreadPool(threads: threads)
                for t in [0, 1, 64, 127] {
                    let single = run(m.matrix, Array(x[(t * 64)..<(t * 64 + 64)]), tokens: 1, input: input, pool: pool)
                    for r in 0..<131 {
                        XCTAssertEqual(single[r], batched[t * 131 + r], accuracy: abs(single[r]) * 1e-6 + 1e-6,
                                       "\(format) threads \(threads) t \(t) r \(r)")
                    }
                }
            }
        }
    }

    /// Q/K/V style reuse: one preparation, several matrices (and Q8_0 / Q4_0 / Q4_1 share it).
    func testPreparedInputIsReusable() throws {
        var rng = TestRNG(seed: 31)
        let pool = ThreadPool(threads: 2)
        let input = QuantizedInput(maxTokens: 4, maxCols: 64)
        let x = rng.activations(4 * 64)
        input.prepare(x, tokens: 4, cols: 64, for: .q4_1, pool: pool)
        for format in [WeightFormat.q4_0, .q4_1, .q8_0] {
            let m = try TestMatrix(format: format, rows: 9, cols: 64, rng: &rng)
            var out = [Float](repeating: 0, count: 4 * 9)
            matmul(m.matrix, input, into: &out, pool: pool)
            for t in 0..<4 {
                let expected = referenceDot(format: format, row: m.matrix.data, x: Array(x[(t * 64)..<(t * 64 + 64)]))
                XCTAssertEqual(out[t * 9], expected, accuracy: 1e-4 * max(1, abs(expected)))
            }
        }
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

    private func run(_ w: WeightMatrix, _ x: [Float], tokens: Int, input: QuantizedInput, pool: ThreadPool) -> [Float] {
        input.prepare(x, tokens: tokens, cols: w.cols, for: w.format, pool: pool)
        var out = [Float](repeating: .nan, count: tokens * w.rows)
        matmul(w, input, into: &out, pool: pool)
        return out
    }

    private func l1(_ w: [Float], _ r: Int, _ x: [Float]) -> Float {
        var s: Float = 0
        for c in 0..<x.count { s += abs(w[r * x.count + c] * x[c]) }
        return s
    }
}
