import XCTest
@testable import Kernels

/// Deterministic xorshift generator so failures reproduce.
struct TestRNG {
    var state: UInt64
    init(seed: UInt64) { state = seed &* 0x9E37_79B9_7F4A_7C15 | 1 }
    mutating func next() -> UInt64 {
        state ^= state << 13
        state ^= state >> 7
        state ^= state << 17
        return state
    }
    mutating func float(_ range: ClosedRange<Float>) -> Float {
        let unit = Float(next() >> 40) / Float(1 << 24)
        return range.lowerBound + unit * (range.upperBound - range.lowerBound)
    }
    mutating func byte() -> UInt8 { UInt8(truncatingIfNeeded: next()) }
    /// Activation-like data: mostly small, a few outliers, some exact zeros.
    mutating func activations(_ count: Int) -> [Float] {
        (0..<count).map { i in
            switch next() % 16 {
            case 0: 0
            case 1: float(-8...8)
            default: float(-1...1) * (i % 7 == 0 ? 3 : 1)
            }
        }
    }
}

/// A quantized weight matrix owned by the test.
final class TestMatrix {
    let bytes: UnsafeMutableRawPointer
    let matrix: WeightMatrix
    let floats: [Float]  // the values that were quantized

    init(format: WeightFormat, rows: Int, cols: Int, rng: inout TestRNG) throws {
        let rowBytes = quantizedByteCount(count: cols, format: format)
        let storage = UnsafeMutableRawPointer.allocate(byteCount: max(1, rows * rowBytes), alignment: 64)
        bytes = storage
        var values = [Float](repeating: 0, count: rows * cols)
        for r in 0..<rows {
            let spread = rng.float(0.02...0.2)
            let shift = rng.float(-0.05...0.05)
            for c in 0..<cols { values[r * cols + c] = rng.float(-1...1) * spread + shift }
        }
        values.withUnsafeBufferPointer { v in
            for r in 0..<rows {
                quantizeRow(v.baseAddress! + r * cols, count: cols, format: format, into: storage + r * rowBytes)
            }
        }
        floats = values
        matrix = try WeightMatrix(format: format, rows: rows, cols: cols, data: storage)
    }

    deinit { bytes.deallocate() }

    func dequantized() -> [Float] { matrix.dequantized() }
}

extension WeightMatrix {
    func dequantized() -> [Float] {
        var out = [Float](repeating: 0, count: rows * cols)
        out.withUnsafeMutableBufferPointer { o in
            for r in 0..<rows { dequantizeRow(r, into: o.baseAddress! + r * cols) }
        }
        return out
    }
}

func f16(_ x: Float) -> Float { Float(Float16(x)) }
func f16(bits: UInt16) -> Float { Float(Float16(bitPattern: bits)) }

/// Plain restatement of ggml's x86 activation quantizer (quantize_row_q8_0 / q8_1), one block.
struct RefActivationBlock {
    var q = [Int32](repeating: 0, count: 32)
    var d: Float = 0  // f16-rounded
    var s: Float = 0  // f16-rounded d·Σq
    init(_ x: ArraySlice<Float>) {
        let amax = x.map { abs($0) }.max() ?? 0
        let dFull = amax / 127
        let id: Float = amax != 0 ? 127 / amax : 0
        var sum: Int32 = 0
        for (j, v) in x.enumerated() {
            q[j] = Int32((v * id).rounded(.toNearestOrEven))
            sum += q[j]
        }
        d = f16(dFull)
        s = f16(dFull * Float(sum))
    }
}

/// ggml's dot of one weight row with one prepared activation row, computed independently of the kernels: the
/// activations as the input holds them (int8 × scale), the weights as `decodeRow` (32-value formats: exact
/// integer block sums, plus m·s with Q8_1's s) or `dequantize` (the rest) gives them, summed in Double.
/// Returns the value and Σ|terms|, the scale rounding errors are relative to.
func referenceDot(_ w: WeightMatrix, row r: Int, input: QuantizedInput, token t: Int) -> (value: Double, magnitude: Double) {
    let cols = w.cols, row = w.data + r * w.rowBytes
    var x = [Double](repeating: 0, count: cols)
    switch input.activation {
    case .q8_0?: for c in 0..<cols { x[c] = Double(input.qs[t * cols + c]) * Double(input.scale[(t * cols + c) / 32]) }
    case .q8_K?: for c in 0..<cols { x[c] = Double(input.qs[t * cols + c]) * Double(input.scale[(t * cols + c) / 256]) }
    default: for c in 0..<cols { x[c] = Double(input.values[t * cols + c]) }
    }
    var value: Double = 0, magnitude: Double = 0
    if w.format.traits.laneDecodable {
        let blocks = cols / 32
        let storage = UnsafeMutablePointer<Float>.allocate(capacity: cols + 2 * blocks)
        defer { storage.deallocate() }
        let decoded = DecodedRow(w: storage, d: storage + cols, m: storage + cols + blocks)
        decodeRow(w.format, row, blocks: blocks, into: decoded)
        for b in 0..<blocks {
            var isum: Double = 0
            for j in 0..<32 { isum += Double(decoded.w[b * 32 + j]) * Double(input.qs[t * cols + b * 32 + j]) }
            let term = isum * Double(decoded.d[b]) * Double(input.scale[t * blocks + b])
            let minTerm = w.format.hasMinimum ? Double(decoded.m[b]) * Double(input.scaledSum[t * blocks + b]) : 0
            value += term + minTerm
            magnitude += abs(term) + abs(minTerm)
        }
        return (value, magnitude)
    }
    var weights = [Float](repeating: 0, count: cols)
    weights.withUnsafeMutableBufferPointer { w.dequantizeRow(r, into: $0.baseAddress!) }
    for c in 0..<cols {
        value += Double(weights[c]) * x[c]
        magnitude += abs(Double(weights[c]) * x[c])
    }
    return (value, magnitude)
}

/// The quantized formats (those with an integer dot kernel).
let quantizedFormats = WeightFormat.allCases.filter { $0.traits.dot != nil }

/// A row length every format can take (a whole number of 256-value super-blocks).
let commonCols = 512
