// Float formats: one value per "block". F16 weights multiply half-rounded activations and BF16 weights
// bfloat16-rounded ones, as ggml's vec_dot_type F16 / BF16 do.
//   F32: f32   F16: IEEE half   BF16: the top 16 bits of an f32

enum FloatFormats {
    static let f32 = FormatTraits(
        name: "F32", ggmlType: 0, blockSize: 1, blockBytes: 4, activation: .f32,
        dequantize: { src, n, out in for i in 0..<n { out[i] = src.loadUnaligned(fromByteOffset: i * 4, as: Float.self) } },
        quantize: { x, n, out in for i in 0..<n { out.storeBytes(of: x[i], toByteOffset: i * 4, as: Float.self) } },
        dot: nil, laneDecodable: false)

    static let f16 = FormatTraits(
        name: "F16", ggmlType: 1, blockSize: 1, blockBytes: 2, activation: .f16,
        dequantize: { src, n, out in widenHalves(src, count: n, into: out) },
        quantize: { x, n, out in for i in 0..<n { out.storeBytes(of: floatToHalf(x[i]), toByteOffset: i * 2, as: UInt16.self) } },
        dot: nil, laneDecodable: false)

    static let bf16 = FormatTraits(
        name: "BF16", ggmlType: 30, blockSize: 1, blockBytes: 2, activation: .bf16,
        dequantize: { src, n, out in widenBFloats(src, count: n, into: out) },
        quantize: { x, n, out in for i in 0..<n { out.storeBytes(of: floatToBFloat(x[i]), toByteOffset: i * 2, as: UInt16.self) } },
        dot: nil, laneDecodable: false)
}

/// Half → float for a whole row (vectorizes), so F16 weights reuse the f32 dot.
func widenHalves(_ src: UnsafeRawPointer, count: Int, into out: UnsafeMutablePointer<Float>) {
    for i in 0..<count { out[i] = halfToFloat(src.loadUnaligned(fromByteOffset: i &* 2, as: UInt16.self)) }
}

/// BF16 → float for a whole row: the bits are the float's top half.
func widenBFloats(_ src: UnsafeRawPointer, count: Int, into out: UnsafeMutablePointer<Float>) {
    for i in 0..<count { out[i] = Float(bitPattern: UInt32(src.loadUnaligned(fromByteOffset: i &* 2, as: UInt16.self)) << 16) }
}

/// Float → bfloat16 bits, round-to-nearest-even, NaN kept quiet (ggml_compute_fp32_to_bf16).
@inline(__always)
func floatToBFloat(_ f: Float) -> UInt16 {
    let bits = f.bitPattern
    if bits & 0x7fff_ffff > 0x7f80_0000 { return UInt16(truncatingIfNeeded: bits >> 16) | 64 }
    return UInt16(truncatingIfNeeded: (bits &+ (0x7fff &+ ((bits >> 16) & 1))) >> 16)
}

/// The value a float has after a round trip through bfloat16.
@inline(__always)
func roundToBFloat(_ f: Float) -> Float { Float(bitPattern: UInt32(floatToBFloat(f)) << 16) }
