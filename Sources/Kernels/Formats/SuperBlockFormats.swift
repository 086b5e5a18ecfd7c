// 256-value super-block formats ("K-quants" and IQ4_XS), multiplied with Q8_K activations. Sub-block scales
// (and minimums) are small integers scaled by the super-block's f16 d (and dmin):
//   Q2_K:   { u8 scales[16]; u8 qs[64]; f16 d; f16 dmin }                 per 16: w = d·(sc & 15)·q − dmin·(sc >> 4), q 2-bit
//   Q3_K:   { u8 hmask[32]; u8 qs[64]; u8 scales[12]; f16 d }             per 16: w = d·(sc − 32)·(q − 4·!h), 6-bit sc packed
//   Q4_K:   { f16 d; f16 dmin; u8 scales[12]; u8 qs[128] }                per 32: w = d·sc·q − dmin·m, 6-bit sc and m packed
//   Q5_K:   { f16 d; f16 dmin; u8 scales[12]; u8 qh[32]; u8 qs[128] }     as Q4_K with a fifth bit
//   Q6_K:   { u8 ql[128]; u8 qh[64]; i8 scales[16]; f16 d }               per 16: w = d·sc·(q − 32), q 6-bit
//   IQ4_XS: { f16 d; u16 scales_h; u8 scales_l[4]; u8 qs[128] }           per 32: w = d·(ls − 32)·kvalues[q]
// Value order inside a super-block follows ggml's dequantize_row_* (in 128- or 64-value halves/quarters).
import CKernels

enum SuperBlockFormats {
    static let q2_K = FormatTraits(
        name: "Q2_K", ggmlType: 10, blockSize: 256, blockBytes: 84, activation: .q8_K,
        dequantize: { src, n, out in for b in 0..<n { dequantizeQ2_K(src + b * 84, out + b * 256) } },
        quantize: { x, n, out in quantizeRowQ2_K(x, blocks: n, into: out) },
        dot: Int32(BATON_Q2_K), laneDecodable: false)

    static let q3_K = FormatTraits(
        name: "Q3_K", ggmlType: 11, blockSize: 256, blockBytes: 110, activation: .q8_K,
        dequantize: { src, n, out in for b in 0..<n { dequantizeQ3_K(src + b * 110, out + b * 256) } },
        quantize: { x, n, out in quantizeRowQ3_K(x, blocks: n, into: out) },
        dot: Int32(BATON_Q3_K), laneDecodable: false)

    static let q4_K = FormatTraits(
        name: "Q4_K", ggmlType: 12, blockSize: 256, blockBytes: 144, activation: .q8_K,
        dequantize: { src, n, out in for b in 0..<n { dequantizeQ4_K(src + b * 144, out + b * 256) } },
        quantize: { x, n, out in quantizeRowQ4_K(x, blocks: n, into: out) },
        dot: Int32(BATON_Q4_K), laneDecodable: false, interleaved: Int32(BATON_X16_Q4_K))

    static let q5_K = FormatTraits(
        name: "Q5_K", ggmlType: 13, blockSize: 256, blockBytes: 176, activation: .q8_K,
        dequantize: { src, n, out in for b in 0..<n { dequantizeQ5_K(src + b * 176, out + b * 256) } },
        quantize: { x, n, out in quantizeRowQ5_K(x, blocks: n, into: out) },
        dot: Int32(BATON_Q5_K), laneDecodable: false)

    static let q6_K = FormatTraits(
        name: "Q6_K", ggmlType: 14, blockSize: 256, blockBytes: 210, activation: .q8_K,
        dequantize: { src, n, out in for b in 0..<n { dequantizeQ6_K(src + b * 210, out + b * 256) } },
        quantize: { x, n, out in quantizeRowQ6_K(x, blocks: n, into: out) },
        dot: Int32(BATON_Q6_K), laneDecodable: false, interleaved: Int32(BATON_X16_Q6_K))

    static let iq4_xs = FormatTraits(
        name: "IQ4_XS", ggmlType: 23, blockSize: 256, blockBytes: 136, activation: .q8_K,
        dequantize: { src, n, out in for b in 0..<n { dequantizeIQ4_XS(src + b * 136, out + b * 256) } },
        quantize: { x, n, out in quantizeRowIQ4_XS(x, blocks: n, into: out) },
        dot: Int32(BATON_IQ4_XS), laneDecodable: false)
}

/// Q4_K / Q5_K: scale and minimum of sub-block `j` (0…7) from the 12 packed bytes (ggml's get_scale_min_k4).
@inline(__always)
func scaleMinK4(_ j: Int, _ q: UnsafePointer<UInt8>) -> (scale: UInt8, min: UInt8) {
    if j < 4 { return (q[j] & 63, q[j + 4] & 63) }
    return ((q[j + 4] & 0xF) | ((q[j - 4] >> 6) << 4), (q[j + 4] >> 4) | ((q[j] >> 6) << 4))
}

/// Q3_K: the sixteen 6-bit scales from the 12 packed bytes, −32 applied.
func scalesQ3_K(_ packed: UnsafePointer<UInt8>) -> [Int32] {
    (0..<16).map { j in
        let low = j < 8 ? packed[j] & 15 : packed[j - 8] >> 4
        let high = (packed[8 + j % 4] >> (2 * (j / 4))) & 3
        return Int32(low | (high << 4)) - 32
    }
}

func dequantizeQ2_K(_ block: UnsafeRawPointer, _ y: UnsafeMutablePointer<Float>) {
    let sc = bytes(block), q = bytes(block + 16)
    let d = half(block, 80), dmin = half(block, 82)
    var o = 0, s = 0
    for chunk in 0..<2 {
        for shift in stride(from: 0, to: 8, by: 2) {
            for h in 0..<2 {
                let dl = d * Float(sc[s] & 0xF), ml = dmin * Float(sc[s] >> 4)
                for l in 0..<16 { y[o + l] = dl * Float((q[chunk * 32 + h * 16 + l] >> UInt8(shift)) & 3) - ml }
                o += 16; s += 1
            }
        }
    }
}

func dequantizeQ3_K(_ block: UnsafeRawPointer, _ y: UnsafeMutablePointer<Float>) {
    let hm = bytes(block), q = bytes(block + 32)
    let scales = scalesQ3_K(bytes(block + 96))
    let d = half(block, 108)
    var o = 0, s = 0, m: UInt8 = 1
    for chunk in 0..<2 {
        for shift in stride(from: 0, to: 8, by: 2) {
            for h in 0..<2 {
                let dl = d * Float(scales[s])
                for l in 0..<16 {
                    let i = h * 16 + l
                    let v = Int32((q[chunk * 32 + i] >> UInt8(shift)) & 3) - (hm[i] & m != 0 ? 0 : 4)
                    y[o + l] = dl * Float(v)
                }
                o += 16; s += 1
            }
            m <<= 1
        }
    }
}

func dequantizeQ4_K(_ block: UnsafeRawPointer, _ y: UnsafeMutablePointer<Float>) {
    let scales = bytes(block + 4), q = bytes(block + 16)
    let d = half(block), dmin = half(block, 2)
    for j in 0..<4 {
        let (s1, m1) = scaleMinK4(2 * j, scales), (s2, m2) = scaleMinK4(2 * j + 1, scales)
        let d1 = d * Float(s1), n1 = dmin * Float(m1), d2 = d * Float(s2), n2 = dmin * Float(m2)
        for l in 0..<32 {
            y[64 * j + l] = d1 * Float(q[32 * j + l] & 0xF) - n1
            y[64 * j + 32 + l] = d2 * Float(q[32 * j + l] >> 4) - n2
        }
    }
}

func dequantizeQ5_K(_ block: UnsafeRawPointer, _ y: UnsafeMutablePointer<Float>) {
    let scales = bytes(block + 4), qh = bytes(block + 16), q = bytes(block + 48)
    let d = half(block), dmin = half(block, 2)
    for j in 0..<4 {
        let (s1, m1) = scaleMinK4(2 * j, scales), (s2, m2) = scaleMinK4(2 * j + 1, scales)
        let d1 = d * Float(s1), n1 = dmin * Float(m1), d2 = d * Float(s2), n2 = dmin * Float(m2)
        let u1 = UInt8(1) << UInt8(2 * j), u2 = UInt8(2) << UInt8(2 * j)
        for l in 0..<32 {
            let lo = (q[32 * j + l] & 0xF) + (qh[l] & u1 != 0 ? 16 : 0)
            let hi = (q[32 * j + l] >> 4) + (qh[l] & u2 != 0 ? 16 : 0)
            y[64 * j + l] = d1 * Float(lo) - n1
            y[64 * j + 32 + l] = d2 * Float(hi) - n2
        }
    }
}

func dequantizeQ6_K(_ block: UnsafeRawPointer, _ y: UnsafeMutablePointer<Float>) {
    let d = half(block, 208)
    let sc = (block + 192).assumingMemoryBound(to: Int8.self)
    for n in 0..<2 {
        let ql = bytes(block + 64 * n), qh = bytes(block + 128 + 32 * n), s = sc + 8 * n, o = y + 128 * n
        for l in 0..<32 {
            let g = l / 16
            let q1 = Int32((ql[l] & 0xF) | ((qh[l] & 3) << 4)) - 32
            let q2 = Int32((ql[l + 32] & 0xF) | (((qh[l] >> 2) & 3) << 4)) - 32
            let q3 = Int32((ql[l] >> 4) | (((qh[l] >> 4) & 3) << 4)) - 32
            let q4 = Int32((ql[l + 32] >> 4) | (((qh[l] >> 6) & 3) << 4)) - 32
            o[l] = d * Float(s[g]) * Float(q1)
            o[l + 32] = d * Float(s[g + 2]) * Float(q2)
            o[l + 64] = d * Float(s[g + 4]) * Float(q3)
            o[l + 96] = d * Float(s[g + 6]) * Float(q4)
        }
    }
}

func dequantizeIQ4_XS(_ block: UnsafeRawPointer, _ y: UnsafeMutablePointer<Float>) {
    let d = half(block)
    let high = block.loadUnaligned(fromByteOffset: 2, as: UInt16.self)
    let low = bytes(block + 4), q = bytes(block + 8)
    iq4Values.withUnsafeBufferPointer { kv in
        for ib in 0..<8 {
            let ls = Int32((low[ib / 2] >> UInt8(4 * (ib % 2))) & 0xF) | Int32((high >> UInt16(2 * ib)) & 3) << 4
            let dl = d * Float(ls - 32)
            for j in 0..<16 {
                y[32 * ib + j] = dl * Float(kv[Int(q[16 * ib + j] & 0xF)])
                y[32 * ib + j + 16] = dl * Float(kv[Int(q[16 * ib + j] >> 4)])
            }
        }
    }
}
