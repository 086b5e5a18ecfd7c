// Weight quantizers matching ggml's reference ones (quantize_row_*_ref in ggml-quants.c), for tests
// and for writing synthetic models. Not used on the inference path.

/// Bytes `count` weights occupy in `format` (whole blocks only).
public func quantizedByteCount(count: Int, format: WeightFormat) -> Int {
    count / format.blockSize * format.blockBytes
}

/// Quantizes `count` floats into `format` exactly as ggml's reference quantizer does. `count` should
/// be a multiple of `format.blockSize`; a trailing partial block is not written.
public func quantizeRow(_ x: UnsafePointer<Float>, count: Int, format: WeightFormat, into out: UnsafeMutableRawPointer) {
    let blocks = count / format.blockSize
    switch format {
    case .f32:
        for i in 0..<blocks { out.storeBytes(of: x[i], toByteOffset: i * 4, as: Float.self) }
    case .f16:
        for i in 0..<blocks { out.storeBytes(of: floatToHalf(x[i]), toByteOffset: i * 2, as: UInt16.self) }
    case .q4_0:
        for b in 0..<blocks { quantizeBlockQ4_0(x + b * 32, out + b * 18) }
    case .q4_1:
        for b in 0..<blocks { quantizeBlockQ4_1(x + b * 32, out + b * 20) }
    case .q8_0:
        for b in 0..<blocks { quantizeBlockQ8_0(x + b * 32, out + b * 34) }
    }
}

/// C's `(int8_t)v` then `MIN(15, ·)` for the nibble quantizers, without trapping on NaN.
@inline(__always)
private func nibble(_ v: Float) -> UInt8 {
    let clamped: Float = v >= 0 ? (v < 15 ? v : 15) : 0
    return UInt8(clamped)  // truncates toward zero, like the C cast
}

private func storeNibbles(_ x: UnsafePointer<Float>, _ qs: UnsafeMutableRawPointer, _ quant: (Float) -> UInt8) {
    for j in 0..<16 {
        let byte = quant(x[j]) | (quant(x[j + 16]) << 4)
        qs.storeBytes(of: byte, toByteOffset: j, as: UInt8.self)
    }
}

private func quantizeBlockQ4_0(_ x: UnsafePointer<Float>, _ out: UnsafeMutableRawPointer) {
    var amax: Float = 0, max: Float = 0  // the signed value of largest magnitude
    for j in 0..<32 where amax < abs(x[j]) {
        amax = abs(x[j])
        max = x[j]
    }
    let d = max / -8
    let id: Float = d != 0 ? 1 / d : 0
    out.storeBytes(of: floatToHalf(d), as: UInt16.self)
    storeNibbles(x, out + 2) { nibble($0 * id + 8.5) }
}

private func quantizeBlockQ4_1(_ x: UnsafePointer<Float>, _ out: UnsafeMutableRawPointer) {
    var min = Float.greatestFiniteMagnitude, max = -Float.greatestFiniteMagnitude
    for j in 0..<32 {
        if x[j] < min { min = x[j] }
        if x[j] > max { max = x[j] }
    }
    let d = (max - min) / 15
    let id: Float = d != 0 ? 1 / d : 0
    out.storeBytes(of: floatToHalf(d), as: UInt16.self)
    out.storeBytes(of: floatToHalf(min), toByteOffset: 2, as: UInt16.self)
    storeNibbles(x, out + 4) { nibble(($0 - min) * id + 0.5) }
}

private func quantizeBlockQ8_0(_ x: UnsafePointer<Float>, _ out: UnsafeMutableRawPointer) {
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
