import XCTest
@testable import Kernels

final class QuantizeTests: XCTestCase {
    func testShapeValidation() throws {
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: 64, alignment: 16)
        defer { buffer.deallocate() }
        XCTAssertThrowsError(try WeightMatrix(format: .q4_1, rows: 1, cols: 48, data: buffer))
        XCTAssertThrowsError(try WeightMatrix(format: .q8_0, rows: 1, cols: 0, data: buffer))
        XCTAssertThrowsError(try WeightMatrix(format: .f32, rows: -1, cols: 4, data: buffer))
        let m = try WeightMatrix(format: .q4_1, rows: 3, cols: 64, data: buffer)
        XCTAssertEqual(m.rowBytes, 40)
        XCTAssertEqual(try WeightMatrix(format: .f16, rows: 1, cols: 7, data: buffer).rowBytes, 14)
        XCTAssertEqual(WeightFormat.q8_0.blockBytes, 34)
        XCTAssertEqual(WeightFormat.q4_0.blockBytes, 18)
    }

    /// Hand-built blocks with random scales and quants decode to ggml's formulas.
    func testDequantizeHandBuiltBlocks() throws {
        var rng = TestRNG(seed: 11)
        for format in WeightFormat.allCases {
            let cols = 96
            let rowBytes = quantizedByteCount(count: cols, format: format)
            var raw = [UInt8](repeating: 0, count: rowBytes * 2)
            for i in raw.indices { raw[i] = rng.byte() }
            var expected = [Float](repeating: 0, count: cols * 2)
            for row in 0..<2 {
                for c in 0..<cols {
                    let base = row * rowBytes
                    func half(_ offset: Int) -> Float { f16(bits: UInt16(raw[offset]) | UInt16(raw[offset + 1]) << 8) }
                    let b = c / 32, j = c % 32
                    switch format {
                    case .f32:
                        var bits: UInt32 = 0
                        for k in 0..<4 { bits |= UInt32(raw[base + c * 4 + k]) << (8 * k) }
                        // Keep the values finite so equality is meaningful.
                        bits &= 0xBFFF_FFFF
                        for k in 0..<4 { raw[base + c * 4 + k] = UInt8(truncatingIfNeeded: bits >> (8 * k)) }
                        expected[row * cols + c] = Float(bitPattern: bits)
                    case .f16:
                        raw[base + c * 2 + 1] &= 0x7B  // finite
                        expected[row * cols + c] = half(base + c * 2)
                    case .q4_0, .q4_1:
                        let block = base + b * format.blockBytes
                        raw[block + 1] = 0x20 | (raw[block + 1] & 0x83)
                        if format == .q4_1 { raw[block + 3] = 0x20 | (raw[block + 3] & 0x83) }
                        let header = format == .q4_1 ? 4 : 2
                        let byte = raw[block + header + j % 16]
                        let q = Float(j < 16 ? byte & 15 : byte >> 4)
                        expected[row * cols + c] = format == .q4_1 ? half(block) * q + half(block + 2) : half(block) * (q - 8)
                    case .q8_0:
                        let block = base + b * 34
                        raw[block + 1] = 0x20 | (raw[block + 1] & 0x83)
                        expected[row * cols + c] = half(block) * Float(Int8(bitPattern: raw[block + 2 + j]))
                    }
                }
            }
            try raw.withUnsafeBytes { bytes in
                let m = try WeightMatrix(format: format, rows: 2, cols: cols, data: bytes.baseAddress!)
                var out = [Float](repeating: .nan, count: cols)
                for row in 0..<2 {
                    m.dequantizeRow(row, into: &out)
                    for c in 0..<cols {
                        XCTAssertEqual(out[c], expected[row * cols + c], accuracy: abs(expected[row * cols + c]) * 1e-6,
                                       "\(format) row \(row) col \(c)")
                    }
                }
                m.dequantizeRow(2, into: &out)
                XCTAssertEqual(out, [Float](repeating: 0, count: cols), "out-of-range row reads zeros")
            }
        }
    }

    /// quantizeRow writes the bytes ggml's reference quantizers write (restated here independently).
    func testQuantizeRowMatchesReference() {
        var rng = TestRNG(seed: 3)
        for format in WeightFormat.allCases {
            for trial in 0..<50 {
                var x = rng.activations(64)
                if trial == 0 { x = [Float](repeating: 0, count: 64) }  // all-zero blocks: d = 0
                if trial == 1 { x = [Float](repeating: 0.25, count: 64) }  // constant blocks
                let expected = referenceQuantize(x, format)
                var got = [UInt8](repeating: 0xAA, count: expected.count)
                got.withUnsafeMutableBytes { quantizeRow(x, count: 64, format: format, into: $0.baseAddress!) }
                XCTAssertEqual(got, expected, "\(format) trial \(trial)")
            }
        }
    }

    func testQuantizeRoundTripError() {
        var rng = TestRNG(seed: 5)
        for format in WeightFormat.allCases {
            let x = (0..<256).map { _ in rng.float(-2...2) }
            var bytes = [UInt8](repeating: 0, count: quantizedByteCount(count: 256, format: format))
            bytes.withUnsafeMutableBytes { quantizeRow(x, count: 256, format: format, into: $0.baseAddress!) }
            var back = [Float](repeating: 0, count: 256)
            bytes.withUnsafeBytes { raw in
                let m = try? WeightMatrix(format: format, rows: 1, cols: 256, data: raw.baseAddress!)
                m?.dequantizeRow(0, into: &back)
            }
            let bound: Float = switch format {
            case .f32: 0
            case .f16: 2e-3
            case .q8_0: 2.0 / 127
            case .q4_0: 2.0 / 7
            case .q4_1: 4.0 / 15
            }
            for i in 0..<256 { XCTAssertEqual(back[i], x[i], accuracy: bound, "\(format) \(i)") }
        }
    }

    private func referenceQuantize(_ x: [Float], _ format: WeightFormat) -> [UInt8] {
        func half(_ v: Float) -> [UInt8] { let b = Float16(v).bitPattern; return [UInt8(b & 0xff), UInt8(b >> 8)] }
        func cInt8(_ v: Float) -> Int { Int(v.rounded(.towardZero)) }
        var out: [UInt8] = []
        switch format {
        case .f32:
            for v in x { withUnsafeBytes(of: v) { out += $0 } }
        case .f16:
            for v in x { out += half(v) }
        case .q4_0:
            for b in 0..<x.count / 32 {
                let blk = Array(x[(b * 32)..<(b * 32 + 32)])
                var amax: Float = 0, mx: Float = 0
                for v in blk where amax < abs(v) { amax = abs(v); mx = v }
                let d = mx / -8, id: Float = d != 0 ? 1 / d : 0
                out += half(d)
                for j in 0..<16 {
                    let lo = min(15, cInt8(blk[j] * id + 8.5)), hi = min(15, cInt8(blk[j + 16] * id + 8.5))
                    out.append(UInt8(lo | hi << 4))
                }
            }
        case .q4_1:
            for b in 0..<x.count / 32 {
                let blk = Array(x[(b * 32)..<(b * 32 + 32)])
                let mn = blk.min()!, mx = blk.max()!
                let d = (mx - mn) / 15, id: Float = d != 0 ? 1 / d : 0
                out += half(d) + half(mn)
                for j in 0..<16 {
                    let lo = min(15, cInt8((blk[j] - mn) * id + 0.5)), hi = min(15, cInt8((blk[j + 16] - mn) * id + 0.5))
                    out.append(UInt8(lo | hi << 4))
                }
            }
        case .q8_0:
            for b in 0..<x.count / 32 {
                let blk = Array(x[(b * 32)..<(b * 32 + 32)])
                let amax = blk.map { abs($0) }.max()!
                let d = amax / 127, id: Float = d != 0 ? 1 / d : 0
                out += half(d)
                for v in blk { out.append(UInt8(bitPattern: Int8((v * id).rounded(.toNearestOrAwayFromZero)))) }
            }
        }
        return out
    }
}
