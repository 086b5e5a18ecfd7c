// IEEE half-precision conversions, bit-exact with F16C (round-to-nearest-even), written without
// `Float16` so that the portable x86-64 build (no F16C) never calls the compiler-rt soft-float helpers.

/// Half → float for any bit pattern (normal, subnormal, zero, inf, NaN). Branch-free, vectorizes.
@inline(__always)
func halfToFloat(_ h: UInt16) -> Float {
    let sign = UInt32(h & 0x8000) << 16
    let magnitude = UInt32(h & 0x7fff)
    // Moving the 15 magnitude bits into float position and scaling by 2^112 rebiases the exponent;
    // the same multiply turns half subnormals into the right float value.
    var value = Float(bitPattern: magnitude << 13) * Float(bitPattern: 0x7780_0000)
    if magnitude >= 0x7c00 { value = Float(bitPattern: (magnitude << 13) | 0x7f80_0000) }
    return Float(bitPattern: value.bitPattern | sign)
}

/// Float → half bits, round-to-nearest-even, overflow to infinity, NaN to quiet NaN (as `vcvtps2ph`
/// and ggml's `GGML_FP32_TO_FP16` do for every finite input).
@inline(__always)
func floatToHalf(_ f: Float) -> UInt16 {
    let bits = f.bitPattern
    let sign = UInt16(truncatingIfNeeded: (bits >> 16) & 0x8000)
    let magnitude = bits & 0x7fff_ffff
    if magnitude >= 0x4780_0000 {  // ≥ 65536, inf or NaN
        return sign | (magnitude > 0x7f80_0000 ? 0x7e00 : 0x7c00)
    }
    if magnitude < 0x3880_0000 {  // below 2^-14: half subnormal or zero
        // Adding 0.5 leaves the float ulp at 2^-24, the half subnormal step, so the FPU rounds for us.
        let shifted = Float(bitPattern: magnitude) + 0.5
        return sign | UInt16(truncatingIfNeeded: shifted.bitPattern &- 0x3f00_0000)
    }
    let mantissaOdd = (magnitude >> 13) & 1
    let rounded = magnitude &+ 0xc800_0fff &+ mantissaOdd  // rebias 127 → 15, then round half to even
    return sign | UInt16(truncatingIfNeeded: rounded >> 13)
}

/// The value a float has after a round trip through half precision.
@inline(__always)
func roundToHalf(_ f: Float) -> Float { halfToFloat(floatToHalf(f)) }

/// A 65,536-entry half → float table: one load per block scale in the hot loops, far cheaper than the
/// bit manipulation above when only one or two scales are needed per 32 weights.
enum HalfTable {
    nonisolated(unsafe) static let table: UnsafePointer<Float> = {
        let table = UnsafeMutablePointer<Float>.allocate(capacity: 65536)
        for bits in 0..<65536 { table[bits] = halfToFloat(UInt16(bits)) }
        return UnsafePointer(table)
    }()
}

/// Public conversions, for callers that build or inspect f16 data (tests, synthetic models).
public enum Half {
    public static func toFloat(_ bits: UInt16) -> Float { halfToFloat(bits) }
    public static func fromFloat(_ value: Float) -> UInt16 { floatToHalf(value) }
}
