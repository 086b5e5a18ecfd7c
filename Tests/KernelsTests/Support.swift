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

    func dequantized() -> [Float] {
        var out = [Float](repeating: 0, count: matrix.rows * matrix.cols)
        out.withUnsafeMutableBufferPointer { o in
            for r in 0..<matrix.rows { matrix.dequantizeRow(r, into: o.baseAddress! + r * matrix.cols) }
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

/// Scalar restatement of ggml's dot kernels for one weight row and one activation row.
func referenceDot(format: WeightFormat, row: UnsafeRawPointer, x: [Float]) -> Float {
    let cols = x.count
    switch format {
    case .f32:
        var sum: Double = 0
        for c in 0..<cols { sum += Double(row.loadUnaligned(fromByteOffset: c * 4, as: Float.self)) * Double(x[c]) }
        return Float(sum)
    case .f16:
        var sum: Double = 0
        for c in 0..<cols {
            sum += Double(f16(bits: row.loadUnaligned(fromByteOffset: c * 2, as: UInt16.self))) * Double(f16(x[c]))
        }
        return Float(sum)
    case .q4_0, .q4_1, .q8_0:
        var acc: Float = 0, mins: Float = 0
        for b in 0..<cols / 32 {
            let a = RefActivationBlock(x[(b * 32)..<(b * 32 + 32)])
            let block = row + b * format.blockBytes
            let d = f16(bits: block.loadUnaligned(as: UInt16.self))
            var isum: Int32 = 0
            for j in 0..<32 {
                let w: Int32
                switch format {
                case .q8_0: w = Int32(block.load(fromByteOffset: 2 + j, as: Int8.self))
                default:
                    let byte = block.load(fromByteOffset: (format == .q4_1 ? 4 : 2) + j % 16, as: UInt8.self)
                    let nib = Int32(j < 16 ? byte & 15 : byte >> 4)
                    w = format == .q4_0 ? nib - 8 : nib
                }
                isum += w * a.q[j]
            }
            acc += Float(isum) * (d * a.d)
            if format == .q4_1 { mins += f16(bits: block.loadUnaligned(fromByteOffset: 2, as: UInt16.self)) * a.s }
        }
        return acc + mins
    }
}
