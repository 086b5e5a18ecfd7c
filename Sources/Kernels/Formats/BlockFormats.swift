// 32-value block formats, multiplied with Q8_0 activations (Q4_1 and Q5_1 also use Q8_1's d·Σq):
//   Q4_0:   { f16 d; u8 qs[16] }              w = d·(q − 8)
//   Q4_1:   { f16 d; f16 m; u8 qs[16] }       w = d·q + m
//   Q5_0:   { f16 d; u8 qh[4]; u8 qs[16] }    w = d·(q − 16), q = nibble | fifth bit from qh << 4
//   Q5_1:   { f16 d; f16 m; u8 qh[4]; u8 qs[16] }  w = d·q + m
//   Q8_0:   { f16 d; i8 qs[32] }              w = d·q
//   IQ4_NL: { f16 d; u8 qs[16] }              w = d·kvalues[q] (a fixed non-linear 16-entry table)
// Byte j of `qs` holds value j in its low nibble and value j + 16 in its high nibble; bit j of `qh` is
// value j's fifth bit.
import CKernels

enum BlockFormats {
    static let q4_0 = FormatTraits(
        name: "Q4_0", ggmlType: 2, blockSize: 32, blockBytes: 18, activation: .q8_0,
        dequantize: { src, n, out in decodeBlocks(src, n, 18, out) { b, w in decodeQ4_0(b, w) } },
        quantize: { x, n, out in for b in 0..<n { quantizeBlockQ4_0(x + b * 32, out + b * 18) } },
        dot: Int32(BATON_Q4_0), laneDecodable: true, interleaved: Int32(BATON_X16_Q4_0))

    static let q4_1 = FormatTraits(
        name: "Q4_1", ggmlType: 3, blockSize: 32, blockBytes: 20, activation: .q8_0,
        dequantize: { src, n, out in decodeBlocks(src, n, 20, out) { b, w in decodeQ4_1(b, w) } },
        quantize: { x, n, out in for b in 0..<n { quantizeBlockQ4_1(x + b * 32, out + b * 20) } },
        dot: Int32(BATON_Q4_1), laneDecodable: true, interleaved: Int32(BATON_X16_Q4_1))

    static let q5_0 = FormatTraits(
        name: "Q5_0", ggmlType: 6, blockSize: 32, blockBytes: 22, activation: .q8_0,
        dequantize: { src, n, out in decodeBlocks(src, n, 22, out) { b, w in decodeQ5_0(b, w) } },
        quantize: { x, n, out in for b in 0..<n { quantizeBlockQ5_0(x + b * 32, out + b * 22) } },
        dot: Int32(BATON_Q5_0), laneDecodable: true)

    static let q5_1 = FormatTraits(
        name: "Q5_1", ggmlType: 7, blockSize: 32, blockBytes: 24, activation: .q8_0,
        dequantize: { src, n, out in decodeBlocks(src, n, 24, out) { b, w in decodeQ5_1(b, w) } },
        quantize: { x, n, out in for b in 0..<n { quantizeBlockQ5_1(x + b * 32, out + b * 24) } },
        dot: Int32(BATON_Q5_1), laneDecodable: true)

    static let q8_0 = FormatTraits(
        name: "Q8_0", ggmlType: 8, blockSize: 32, blockBytes: 34, activation: .q8_0,
        dequantize: { src, n, out in decodeBlocks(src, n, 34, out) { b, w in decodeQ8_0(b, w) } },
        quantize: { x, n, out in for b in 0..<n { quantizeBlockQ8_0(x + b * 32, out + b * 34) } },
        dot: Int32(BATON_Q8_0), laneDecodable: true, interleaved: Int32(BATON_X16_Q8_0))

    static let iq4_nl = FormatTraits(
        name: "IQ4_NL", ggmlType: 20, blockSize: 32, blockBytes: 18, activation: .q8_0,
        dequantize: { src, n, out in decodeBlocks(src, n, 18, out) { b, w in decodeIQ4_NL(b, w) } },
        quantize: { x, n, out in quantizeRowIQ4_NL(x, blocks: n, into: out) },
        dot: Int32(BATON_IQ4_NL), laneDecodable: true)
}

/// IQ4_NL / IQ4_XS values (ggml's kvalues_iq4nl).
let iq4Values: [Int8] = [-127, -104, -83, -65, -49, -35, -22, -10, 1, 13, 25, 38, 53, 69, 89, 113]

// MARK: - Decoding one block: integer values as floats, plus the scale and minimum (w = d·v + m)

/// Applies `decode` to every block and writes d·v + m.
@inline(__always)
func decodeBlocks(_ src: UnsafeRawPointer, _ n: Int, _ blockBytes: Int, _ out: UnsafeMutablePointer<Float>,
                  _ decode: (UnsafeRawPointer, UnsafeMutablePointer<Float>) -> (d: Float, m: Float)) {
    for b in 0..<n {
        let o = out + b * 32
        let (d, m) = decode(src + b * blockBytes, o)
        for j in 0..<32 { o[j] = d * o[j] + m }
    }
}

@inline(__always)
func decodeNibbles(_ q: UnsafePointer<UInt8>, _ w: UnsafeMutablePointer<Float>, offset: Int32) {
    for j in 0..<16 { w[j] = Float(Int32(q[j] & 15) &- offset) }
    for j in 0..<16 { w[j &+ 16] = Float(Int32(q[j] >> 4) &- offset) }
}

@inline(__always)
func decodeFiveBits(_ block: UnsafeRawPointer, qhOffset: Int, _ w: UnsafeMutablePointer<Float>, offset: Int32) {
    let qh = block.loadUnaligned(fromByteOffset: qhOffset, as: UInt32.self)
    let q = bytes(block + qhOffset + 4)
    for j in 0..<16 {
        let lo = Int32(q[j] & 15) | Int32((qh >> UInt32(j)) << 4 & 0x10)
        let hi = Int32(q[j] >> 4) | Int32((qh >> UInt32(j + 12)) & 0x10)
        w[j] = Float(lo &- offset)
        w[j + 16] = Float(hi &- offset)
    }
}

@inline(__always)
func decodeQ4_0(_ block: UnsafeRawPointer, _ w: UnsafeMutablePointer<Float>) -> (d: Float, m: Float) {
    decodeNibbles(bytes(block + 2), w, offset: 8)
    return (half(block), 0)
}

@inline(__always)
func decodeQ4_1(_ block: UnsafeRawPointer, _ w: UnsafeMutablePointer<Float>) -> (d: Float, m: Float) {
    decodeNibbles(bytes(block + 4), w, offset: 0)
    return (half(block), half(block, 2))
}

@inline(__always)
func decodeQ5_0(_ block: UnsafeRawPointer, _ w: UnsafeMutablePointer<Float>) -> (d: Float, m: Float) {
    decodeFiveBits(block, qhOffset: 2, w, offset: 16)
    return (half(block), 0)
}

@inline(__always)
func decodeQ5_1(_ block: UnsafeRawPointer, _ w: UnsafeMutablePointer<Float>) -> (d: Float, m: Float) {
    decodeFiveBits(block, qhOffset: 4, w, offset: 0)
    return (half(block), half(block, 2))
}

@inline(__always)
func decodeQ8_0(_ block: UnsafeRawPointer, _ w: UnsafeMutablePointer<Float>) -> (d: Float, m: Float) {
    for j in 0..<32 { w[j] = Float(block.load(fromByteOffset: 2 &+ j, as: Int8.self)) }
    return (half(block), 0)
}

@inline(__always)
func decodeIQ4_NL(_ block: UnsafeRawPointer, _ w: UnsafeMutablePointer<Float>) -> (d: Float, m: Float) {
    let q = bytes(block + 2)
    iq4Values.withUnsafeBufferPointer { kv in
        for j in 0..<16 {
            w[j] = Float(kv[Int(q[j] & 15)])
            w[j + 16] = Float(kv[Int(q[j] >> 4)])
        }
    }
    return (half(block), 0)
}

// MARK: - ggml's reference quantizers (quantize_row_*_ref in ggml-quants.c)

/// C's `(int8_t)v` clamped to 0…`top`, without trapping on NaN (truncates toward zero, like the cast).
@inline(__always)
func truncatedLevel(_ v: Float, top: Float) -> UInt8 {
    let clamped: Float = v >= 0 ? (v < top ? v : top) : 0
    return UInt8(clamped)
}

/// The signed value of largest magnitude (ggml's amax/max pair; the first one wins a tie).
@inline(__always)
func signedAbsMax(_ x: UnsafePointer<Float>, _ n: Int) -> Float {
    var amax: Float = 0, max: Float = 0
    for j in 0..<n where amax < abs(x[j]) {
        amax = abs(x[j])
        max = x[j]
    }
    return max
}

@inline(__always)
func minMax(_ x: UnsafePointer<Float>, _ n: Int) -> (min: Float, max: Float) {
    var lo = Float.greatestFiniteMagnitude, hi = -Float.greatestFiniteMagnitude
    for j in 0..<n {
        if x[j] < lo { lo = x[j] }
        if x[j] > hi { hi = x[j] }
    }
    return (lo, hi)
}

private func storeNibbles(_ levels: (Int) -> UInt8, _ qs: UnsafeMutableRawPointer) {
    for j in 0..<16 { qs.storeBytes(of: (levels(j) & 15) | ((levels(j + 16) & 15) << 4), toByteOffset: j, as: UInt8.self) }
}

private func storeFifthBits(_ levels: (Int) -> UInt8, _ qh: UnsafeMutableRawPointer) {
    var bits: UInt32 = 0
    for j in 0..<32 { bits |= UInt32((levels(j) & 0x10) >> 4) << UInt32(j) }
    qh.storeBytes(of: bits, as: UInt32.self)
}

func quantizeBlockQ4_0(_ x: UnsafePointer<Float>, _ out: UnsafeMutableRawPointer) {
    let d = signedAbsMax(x, 32) / -8
    let id: Float = d != 0 ? 1 / d : 0
    out.storeBytes(of: floatToHalf(d), as: UInt16.self)
    storeNibbles({ truncatedLevel(x[$0] * id + 8.5, top: 15) }, out + 2)
}

func quantizeBlockQ4_1(_ x: UnsafePointer<Float>, _ out: UnsafeMutableRawPointer) {
    let (min, max) = minMax(x, 32)
    let d = (max - min) / 15
    let id: Float = d != 0 ? 1 / d : 0
    out.storeBytes(of: floatToHalf(d), as: UInt16.self)
    out.storeBytes(of: floatToHalf(min), toByteOffset: 2, as: UInt16.self)
    storeNibbles({ truncatedLevel((x[$0] - min) * id + 0.5, top: 15) }, out + 4)
}

func quantizeBlockQ5_0(_ x: UnsafePointer<Float>, _ out: UnsafeMutableRawPointer) {
    let d = signedAbsMax(x, 32) / -16
    let id: Float = d != 0 ? 1 / d : 0
    out.storeBytes(of: floatToHalf(d), as: UInt16.self)
    let level = { (j: Int) in truncatedLevel(x[j] * id + 16.5, top: 31) }
    storeFifthBits(level, out + 2)
    storeNibbles(level, out + 6)
}

func quantizeBlockQ5_1(_ x: UnsafePointer<Float>, _ out: UnsafeMutableRawPointer) {
    let (min, max) = minMax(x, 32)
    let d = (max - min) / 31
    let id: Float = d != 0 ? 1 / d : 0
    out.storeBytes(of: floatToHalf(d), as: UInt16.self)
    out.storeBytes(of: floatToHalf(min), toByteOffset: 2, as: UInt16.self)
    let level = { (j: Int) in truncatedLevel((x[j] - min) * id + 0.5, top: 31) }
    storeFifthBits(level, out + 4)
    storeNibbles(level, out + 8)
}

func quantizeBlockQ8_0(_ x: UnsafePointer<Float>, _ out: UnsafeMutableRawPointer) {
    var amax: Float = 0
    for j in 0..<32 where abs(x[j]) > amax { amax = abs(x[j]) }
    let d = amax / 127
    let id: Float = d != 0 ? 1 / d : 0
    out.storeBytes(of: floatToHalf(d), as: UInt16.self)
    for j in 0..<32 {
        let v = (x[j] * id).rounded()  // roundf: halves away from zero
        let q: Float = v >= -127 && v <= 127 ? v : 0
        out.storeBytes(of: Int8(q), toByteOffset: 2 + j, as: Int8.self)
    }
}

/// Bytes `count` weights occupy in `format` (whole blocks only).
public func quantizedByteCount(count: Int, format: WeightFormat) -> Int {
    count / format.blockSize * format.blockBytes
}

/// Quantizes `count` floats (a multiple of the block size; a trailing partial block is not written) into
/// `format` as ggml's reference quantizer does. Returns false when Baton has no quantizer for the format.
@discardableResult
public func quantizeRow(_ x: UnsafePointer<Float>, count: Int, format: WeightFormat, into out: UnsafeMutableRawPointer) -> Bool {
    guard let quantize = format.traits.quantize else { return false }
    quantize(x, count / format.blockSize, out)
    return true
}
