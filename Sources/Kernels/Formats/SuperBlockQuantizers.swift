// Weight quantizers for the K-quants (IQ4 formats: IQ4Quantizers.swift; shared search steps:
// QuantizerSearch.swift): bit-exact Swift ports of ggml-quants.c as
// llama-quantize runs them without an importance matrix (llama-quantize → ggml_quantize_chunk →
// quantize_<type>(src, dst, nrow, n_per_row, quant_weights = NULL)):
//   Q2_K … Q6_K: quantize_q<n>_K(…, NULL) → quantize_row_q<n>_K_ref over all rows as one run of blocks
//                (the quant_weights-only quantize_row_q<n>_K_impl, make_qkx3_quants and make_qp_quants never run).
//   IQ4_NL:      quantize_iq4_nl(…, NULL) → quantize_row_iq4_nl_impl(32, 32, …, weight = x², ntry = 7)
//                per 32-value block. (quantize_row_iq4_nl_ref, ntry = −1, is a different path and not used.)
//   IQ4_XS:      quantize_iq4_xs(…, NULL) → quantize_row_iq4_nl_impl(256, 32, …, weight = x², ntry = 7).
// No state carries from one block to the next in any of these, so a row (or many) is just its blocks.
// Float expressions keep the C's operations and their order, in Float (C's `a*b*c` is `(a*b)*c`, an
// int operand is converted to float first), so results match ggml's build bit for bit; ggml compiles
// this file without FMA contraction and Swift never contracts. C's `if (!d)` is `d == 0` here and
// C's `d ? … : …` is `d != 0` (NaN counts as nonzero in both). Integer narrowing (uint8_t/int8_t
// stores) is `truncatingIfNeeded`, so no input, NaN and infinity included, can trap.
// Byte layouts (ggml-common.h) are listed in SuperBlockFormats.swift and BlockFormats.swift.

// quantize_row_q2_K_ref (= quantize_q2_K with NULL quant_weights).
// Block: { u8 scales[16] @0; u8 qs[64] @16; f16 d @80; f16 dmin @82 }, 84 bytes.
func quantizeRowQ2_K(_ x: UnsafePointer<Float>, blocks: Int, into out: UnsafeMutableRawPointer) {
    guard blocks > 0 else { return }
    let yAll = out.bindMemory(to: UInt8.self, capacity: blocks &* 84)
    withScratch(floats: 16 + 16 + 16, UInt8.self, count: 256 + 16) { f, b in
        let weights = f, mins = f + 16, scales = f + 32
        let L = b, Laux = b + 256
        let q4scale: Float = 15

        for i in 0..<blocks {
            let x = x + 256 * i
            let y = yAll + 84 * i
            var maxScale: Float = 0  // as we are deducting the min, scales are always positive
            var maxMin: Float = 0
            for j in 0..<16 {
                for l in 0..<16 { weights[l] = x[16 * j + l].magnitude }
                scales[j] = makeQkx2Quants(16, 3, x + 16 * j, weights, L + 16 * j, mins + j, Laux, -0.5, 0.1, 15, true)
                let scale = scales[j]
                if scale > maxScale { maxScale = scale }
                let min = mins[j]
                if min > maxMin { maxMin = min }
            }

            let dBits: UInt16
            if maxScale > 0 {
                let iscale = q4scale / maxScale
                for j in 0..<16 {
                    let l = nearestInt(iscale * scales[j])
                    y[j] = UInt8(truncatingIfNeeded: l)
                }
                dBits = storeHalf(maxScale / q4scale, y, 80)
            } else {
                for j in 0..<16 { y[j] = 0 }
                dBits = storeHalf(0, y, 80)
            }
            let dminBits: UInt16
            if maxMin > 0 {
                let iscale = q4scale / maxMin
                for j in 0..<16 {
                    let l = nearestInt(iscale * mins[j])
                    y[j] |= UInt8(truncatingIfNeeded: l << 4)
                }
                dminBits = storeHalf(maxMin / q4scale, y, 82)
            } else {
                dminBits = storeHalf(0, y, 82)
            }
            for j in 0..<16 {
                let d = halfToFloat(dBits) * Float(y[j] & 0xF)
                if d == 0 { continue }
                let dm = halfToFloat(dminBits) * Float(y[j] >> 4)
                for ii in 0..<16 {
                    var l = nearestInt((x[16 * j + ii] + dm) / d)
                    l = Swift.max(0, Swift.min(3, l))
                    L[16 * j + ii] = UInt8(truncatingIfNeeded: l)
                }
            }

            let qs = y + 16
            for j in stride(from: 0, to: 256, by: 128) {
                for l in 0..<32 {
                    qs[j / 4 + l] = L[j + l] | (L[j + l + 32] << 2) | (L[j + l + 64] << 4) | (L[j + l + 96] << 6)
                }
            }
        }
    }
}

// quantize_row_q3_K_ref (= quantize_q3_K with NULL quant_weights).
// Block: { u8 hmask[32] @0; u8 qs[64] @32; u8 scales[12] @96; f16 d @108 }, 110 bytes.
func quantizeRowQ3_K(_ x: UnsafePointer<Float>, blocks: Int, into out: UnsafeMutableRawPointer) {
    guard blocks > 0 else { return }
    let yAll = out.bindMemory(to: UInt8.self, capacity: blocks &* 110)
    withScratch(floats: 16, Int8.self, count: 256) { scales, L in
        for i in 0..<blocks {
            let x = x + 256 * i
            let y = yAll + 110 * i
            let hmask = y, qs = y + 32, ysc = y + 96

            var maxScale: Float = 0
            var amax: Float = 0
            for j in 0..<16 {
                scales[j] = makeQ3Quants(16, 4, x + 16 * j, L + 16 * j, true)
                let scale = scales[j].magnitude
                if scale > amax {
                    amax = scale
                    maxScale = scales[j]
                }
            }

            for k in 0..<12 { ysc[k] = 0 }
            let dBits: UInt16
            if maxScale != 0 {
                let iscale = -32 / maxScale
                for j in 0..<16 {
                    var l = Int8(truncatingIfNeeded: nearestInt(iscale * scales[j]))
                    l = Int8(truncatingIfNeeded: Swift.max(-32, Swift.min(31, Int(l))) + 32)
                    if j < 8 {
                        ysc[j] = UInt8(truncatingIfNeeded: Int(l) & 0xF)
                    } else {
                        ysc[j - 8] |= UInt8(truncatingIfNeeded: (Int(l) & 0xF) << 4)
                    }
                    l >>= 4
                    ysc[j % 4 + 8] |= UInt8(truncatingIfNeeded: Int(l) << (2 * (j / 4)))
                }
                dBits = storeHalf(1 / iscale, y, 108)
            } else {
                dBits = storeHalf(0, y, 108)
            }

            for j in 0..<16 {
                var sc = Int8(truncatingIfNeeded: j < 8 ? ysc[j] & 0xF : ysc[j - 8] >> 4)
                sc = Int8(truncatingIfNeeded: (Int(sc) | (((Int(ysc[8 + j % 4]) >> (2 * (j / 4))) & 3) << 4)) - 32)
                let d = halfToFloat(dBits) * Float(sc)
                if d == 0 { continue }
                for ii in 0..<16 {
                    var l = nearestInt(x[16 * j + ii] / d)
                    l = Swift.max(-4, Swift.min(3, l))
                    L[16 * j + ii] = Int8(truncatingIfNeeded: l + 4)
                }
            }

            for k in 0..<32 { hmask[k] = 0 }
            // We put the high-bit for the 1st 8 quants into bit 0, the next 8 into bit 1, etc.
            var m = 0
            var hm: UInt8 = 1
            for j in 0..<256 {
                if L[j] > 3 {
                    hmask[m] |= hm
                    L[j] = L[j] &- 4
                }
                m += 1
                if m == 32 {
                    m = 0
                    hm <<= 1
                }
            }
            for j in stride(from: 0, to: 256, by: 128) {
                for l in 0..<32 {
                    qs[j / 4 + l] = UInt8(truncatingIfNeeded:
                        Int(L[j + l]) | (Int(L[j + l + 32]) << 2) | (Int(L[j + l + 64]) << 4) | (Int(L[j + l + 96]) << 6))
                }
            }
        }
    }
}

/// What quantize_row_q4_K_ref and quantize_row_q5_K_ref share, for one super-block: per 32 values a scale and
/// a minimum from make_qkx2_quants (levels 0…nmax, its rmin and nstep), both packed to 6 bits in `y[4..<16]`,
/// d and dmin stored at y[0] and y[2], and the final levels written to `L` (256 of them).
private func quantizeScalesAndLevelsK(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<UInt8>, nmax: Int,
                                      rmin: Float, nstep: Int, scratch f: UnsafeMutablePointer<Float>,
                                      _ L: UnsafeMutablePointer<UInt8>, _ Laux: UnsafeMutablePointer<UInt8>) {
    let weights = f, mins = f + 32, scales = f + 40
    let ysc = y + 4
    var maxScale: Float = 0  // as we are deducting the min, scales are always positive
    var maxMin: Float = 0
    for j in 0..<8 {
        var sumX2: Float = 0
        for l in 0..<32 { sumX2 += x[32 * j + l] * x[32 * j + l] }
        let avX = (sumX2 / 32).squareRoot()
        for l in 0..<32 { weights[l] = avX + x[32 * j + l].magnitude }
        scales[j] = makeQkx2Quants(32, nmax, x + 32 * j, weights, L + 32 * j, mins + j, Laux, rmin, 0.1, nstep, false)
        let scale = scales[j]
        if scale > maxScale { maxScale = scale }
        let min = mins[j]
        if min > maxMin { maxMin = min }
    }

    let invScale: Float = maxScale > 0 ? 63 / maxScale : 0
    let invMin: Float = maxMin > 0 ? 63 / maxMin : 0
    for j in 0..<8 {
        var ls = UInt8(truncatingIfNeeded: nearestInt(invScale * scales[j]))
        var lm = UInt8(truncatingIfNeeded: nearestInt(invMin * mins[j]))
        ls = Swift.min(63, ls)
        lm = Swift.min(63, lm)
        if j < 4 {
            ysc[j] = ls
            ysc[j + 4] = lm
        } else {
            ysc[j + 4] = (ls & 0xF) | ((lm & 0xF) << 4)
            ysc[j - 4] |= ((ls >> 4) << 6)
            ysc[j - 0] |= ((lm >> 4) << 6)
        }
    }
    let dBits = storeHalf(maxScale / 63, y, 0)
    let dminBits = storeHalf(maxMin / 63, y, 2)

    for j in 0..<8 {
        let (sc, m) = scaleMinK4(j, ysc)
        let d = halfToFloat(dBits) * Float(sc)
        if d == 0 { continue }
        let dm = halfToFloat(dminBits) * Float(m)
        for ii in 0..<32 {
            var l = nearestInt((x[32 * j + ii] + dm) / d)
            l = Swift.max(0, Swift.min(nmax, l))
            L[32 * j + ii] = UInt8(truncatingIfNeeded: l)
        }
    }
}

// quantize_row_q4_K_ref (= quantize_q4_K with NULL quant_weights).
// Block: { f16 d @0; f16 dmin @2; u8 scales[12] @4; u8 qs[128] @16 }, 144 bytes.
func quantizeRowQ4_K(_ x: UnsafePointer<Float>, blocks: Int, into out: UnsafeMutableRawPointer) {
    guard blocks > 0 else { return }
    let yAll = out.bindMemory(to: UInt8.self, capacity: blocks &* 144)
    withScratch(floats: 32 + 8 + 8, UInt8.self, count: 256 + 32) { f, b in
        let L = b, Laux = b + 256
        for i in 0..<blocks {
            let x = x + 256 * i
            let y = yAll + 144 * i
            quantizeScalesAndLevelsK(x, y, nmax: 15, rmin: -1, nstep: 20, scratch: f, L, Laux)
            var q = y + 16
            for j in stride(from: 0, to: 256, by: 64) {
                for l in 0..<32 { q[l] = L[j + l] | (L[j + l + 32] << 4) }
                q += 32
            }
        }
    }
}

// quantize_row_q5_K_ref (= quantize_q5_K with NULL quant_weights).
// Block: { f16 d @0; f16 dmin @2; u8 scales[12] @4; u8 qh[32] @16; u8 qs[128] @48 }, 176 bytes.
func quantizeRowQ5_K(_ x: UnsafePointer<Float>, blocks: Int, into out: UnsafeMutableRawPointer) {
    guard blocks > 0 else { return }
    let yAll = out.bindMemory(to: UInt8.self, capacity: blocks &* 176)
    withScratch(floats: 32 + 8 + 8, UInt8.self, count: 256 + 32) { f, b in
        let L = b, Laux = b + 256
        for i in 0..<blocks {
            let x = x + 256 * i
            let y = yAll + 176 * i
            quantizeScalesAndLevelsK(x, y, nmax: 31, rmin: -0.5, nstep: 15, scratch: f, L, Laux)
            let qh = y + 16
            var ql = y + 48
            for k in 0..<32 { qh[k] = 0 }

            var m1: UInt8 = 1
            var m2: UInt8 = 2
            for n in stride(from: 0, to: 256, by: 64) {
                for j in 0..<32 {
                    var l1 = Int(L[n + j])
                    if l1 > 15 {
                        l1 -= 16
                        qh[j] |= m1
                    }
                    var l2 = Int(L[n + j + 32])
                    if l2 > 15 {
                        l2 -= 16
                        qh[j] |= m2
                    }
                    ql[j] = UInt8(truncatingIfNeeded: l1 | (l2 << 4))
                }
                m1 <<= 2
                m2 <<= 2
                ql += 32
            }
        }
    }
}

// quantize_row_q6_K_ref (= quantize_q6_K with NULL quant_weights).
// Block: { u8 ql[128] @0; u8 qh[64] @128; i8 scales[16] @192; f16 d @208 }, 210 bytes.
func quantizeRowQ6_K(_ x: UnsafePointer<Float>, blocks: Int, into out: UnsafeMutableRawPointer) {
    guard blocks > 0 else { return }
    let yAll = out.bindMemory(to: UInt8.self, capacity: blocks &* 210)
    withScratch(floats: 16, Int8.self, count: 256) { scales, L in
        for i in 0..<blocks {
            let x = x + 256 * i
            let y = yAll + 210 * i
            let ysc = y + 192

            var maxScale: Float = 0
            var maxAbsScale: Float = 0
            for ib in 0..<16 {
                let scale = makeQxQuants(16, 32, x + 16 * ib, L + 16 * ib, 1)
                scales[ib] = scale
                let absScale = scale.magnitude
                if absScale > maxAbsScale {
                    maxAbsScale = absScale
                    maxScale = scale
                }
            }

            if maxAbsScale < groupMaxEps {
                for k in 0..<210 { y[k] = 0 }
                _ = storeHalf(0, y, 208)
                continue
            }

            let iscale = -128 / maxScale
            let dBits = storeHalf(1 / iscale, y, 208)
            for ib in 0..<16 {
                ysc[ib] = UInt8(truncatingIfNeeded: Swift.min(127, nearestInt(iscale * scales[ib])))
            }

            for j in 0..<16 {
                let d = halfToFloat(dBits) * Float(Int8(bitPattern: ysc[j]))
                if d == 0 { continue }
                for ii in 0..<16 {
                    var l = nearestInt(x[16 * j + ii] / d)
                    l = Swift.max(-32, Swift.min(31, l))
                    L[16 * j + ii] = Int8(truncatingIfNeeded: l + 32)
                }
            }

            var ql = y
            var qh = y + 128
            for j in stride(from: 0, to: 256, by: 128) {
                for l in 0..<32 {
                    let q1 = UInt8(truncatingIfNeeded: Int(L[j + l + 0]) & 0xF)
                    let q2 = UInt8(truncatingIfNeeded: Int(L[j + l + 32]) & 0xF)
                    let q3 = UInt8(truncatingIfNeeded: Int(L[j + l + 64]) & 0xF)
                    let q4 = UInt8(truncatingIfNeeded: Int(L[j + l + 96]) & 0xF)
                    ql[l + 0] = q1 | (q3 << 4)
                    ql[l + 32] = q2 | (q4 << 4)
                    qh[l] = UInt8(truncatingIfNeeded:
                        (Int(L[j + l]) >> 4) | ((Int(L[j + l + 32]) >> 4) << 2)
                            | ((Int(L[j + l + 64]) >> 4) << 4) | ((Int(L[j + l + 96]) >> 4) << 6))
                }
                ql += 64
                qh += 32
            }
        }
    }
}
