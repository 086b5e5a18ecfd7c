// Weight quantizers for the K-quants and IQ4 formats: bit-exact Swift ports of ggml-quants.c as
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

private let groupMaxEps: Float = 1e-15  // GROUP_MAX_EPS

/// Runs `body` with stack-style scratch: `floats` Floats and `count` elements of `B` (both uninitialized).
@inline(__always)
private func withScratch<B>(
    floats: Int, _ type: B.Type, count: Int,
    _ body: (UnsafeMutablePointer<Float>, UnsafeMutablePointer<B>) -> Void
) {
    withUnsafeTemporaryAllocation(of: Float.self, capacity: floats) { f in
        withUnsafeTemporaryAllocation(of: B.self, capacity: count) { b in
            guard let fp = f.baseAddress, let bp = b.baseAddress else { return }
            body(fp, bp)
        }
    }
}

/// GGML_FP32_TO_FP16 into the (little-endian) f16 field at `offset`; returns the bits for GGML_FP16_TO_FP32.
@inline(__always)
private func storeHalf(_ f: Float, _ y: UnsafeMutablePointer<UInt8>, _ offset: Int) -> UInt16 {
    let h = floatToHalf(f)
    y[offset] = UInt8(truncatingIfNeeded: h)
    y[offset + 1] = UInt8(truncatingIfNeeded: h >> 8)
    return h
}

// nearest_int: round half to even via the 1.5·2^23 bias; outside ±2^22 it wraps as the C does (no assert).
@inline(__always)
private func nearestInt(_ fval: Float) -> Int {
    let val = fval + 12582912
    let i = Int32(bitPattern: val.bitPattern)
    return Int((i & 0x007f_ffff) &- 0x0040_0000)
}

// make_qx_quants (qw == NULL: every caller here passes NULL)
private func makeQxQuants(
    _ n: Int, _ nmax: Int, _ x: UnsafePointer<Float>, _ L: UnsafeMutablePointer<Int8>, _ rmseType: Int
) -> Float {
    var max: Float = 0
    var amax: Float = 0
    for i in 0..<n {
        let ax = x[i].magnitude
        if ax > amax { amax = ax; max = x[i] }
    }
    if amax < groupMaxEps {  // all zero
        for i in 0..<n { L[i] = 0 }
        return 0
    }
    var iscale = Float(-nmax) / max
    if rmseType == 0 {
        for i in 0..<n {
            let l = nearestInt(iscale * x[i])
            L[i] = Int8(truncatingIfNeeded: nmax &+ Swift.max(-nmax, Swift.min(nmax - 1, l)))
        }
        return 1 / iscale
    }
    var rmseType = rmseType
    var returnEarly = false
    if rmseType < 0 {
        rmseType = -rmseType
        returnEarly = true
    }
    // float w = qw ? qw[i] : rmse_type == 1 ? x[i] * x[i] : rmse_type == 2 ? 1 : rmse_type == 3 ? fabsf(x[i]) : sqrtf(fabsf(x[i]))
    let weight = { (i: Int) -> Float in
        rmseType == 1 ? x[i] * x[i] : rmseType == 2 ? 1 : rmseType == 3 ? x[i].magnitude : x[i].magnitude.squareRoot()
    }
    var sumlx: Float = 0
    var suml2: Float = 0
    for i in 0..<n {
        var l = nearestInt(iscale * x[i])
        l = Swift.max(-nmax, Swift.min(nmax - 1, l))
        L[i] = Int8(truncatingIfNeeded: l &+ nmax)
        let w = weight(i)
        sumlx += w * x[i] * Float(l)
        suml2 += w * Float(l) * Float(l)
    }
    var scale: Float = suml2 != 0 ? sumlx / suml2 : 0
    if returnEarly { return suml2 > 0 ? 0.5 * (scale + 1 / iscale) : 1 / iscale }
    var best = scale * sumlx
    for `is` in -9...9 {
        if `is` == 0 { continue }
        iscale = -(Float(nmax) + 0.1 * Float(`is`)) / max
        sumlx = 0
        suml2 = 0
        for i in 0..<n {
            var l = nearestInt(iscale * x[i])
            l = Swift.max(-nmax, Swift.min(nmax - 1, l))
            let w = weight(i)
            sumlx += w * x[i] * Float(l)
            suml2 += w * Float(l) * Float(l)
        }
        if suml2 > 0 && sumlx * sumlx > best * suml2 {
            for i in 0..<n {
                let l = nearestInt(iscale * x[i])
                L[i] = Int8(truncatingIfNeeded: nmax &+ Swift.max(-nmax, Swift.min(nmax - 1, l)))
            }
            scale = sumlx / suml2
            best = scale * sumlx
        }
    }
    return scale
}

// make_q3_quants
private func makeQ3Quants(
    _ n: Int, _ nmax: Int, _ x: UnsafePointer<Float>, _ L: UnsafeMutablePointer<Int8>, _ doRmse: Bool
) -> Float {
    var max: Float = 0
    var amax: Float = 0
    for i in 0..<n {
        let ax = x[i].magnitude
        if ax > amax { amax = ax; max = x[i] }
    }
    if amax < groupMaxEps {  // all zero
        for i in 0..<n { L[i] = 0 }
        return 0
    }
    let iscale = Float(-nmax) / max
    if doRmse {
        var sumlx: Float = 0
        var suml2: Float = 0
        for i in 0..<n {
            var l = nearestInt(iscale * x[i])
            l = Swift.max(-nmax, Swift.min(nmax - 1, l))
            L[i] = Int8(truncatingIfNeeded: l)
            let w = x[i] * x[i]
            sumlx += w * x[i] * Float(l)
            suml2 += w * Float(l) * Float(l)
        }
        for _ in 0..<5 {
            var nChanged = 0
            for i in 0..<n {
                let w = x[i] * x[i]
                var slx = sumlx - w * x[i] * Float(L[i])
                if slx > 0 {
                    var sl2 = suml2 - w * Float(L[i]) * Float(L[i])
                    var newL = nearestInt(x[i] * sl2 / slx)
                    newL = Swift.max(-nmax, Swift.min(nmax - 1, newL))
                    if newL != Int(L[i]) {
                        slx += w * x[i] * Float(newL)
                        sl2 += w * Float(newL) * Float(newL)
                        if sl2 > 0 && slx * slx * suml2 > sumlx * sumlx * sl2 {
                            L[i] = Int8(truncatingIfNeeded: newL)
                            sumlx = slx
                            suml2 = sl2
                            nChanged += 1
                        }
                    }
                }
            }
            if nChanged == 0 { break }
        }
        for i in 0..<n { L[i] = L[i] &+ Int8(truncatingIfNeeded: nmax) }
        return suml2 > 0 ? sumlx / suml2 : 0
    }
    for i in 0..<n {
        var l = nearestInt(iscale * x[i])
        l = Swift.max(-nmax, Swift.min(nmax - 1, l))
        L[i] = Int8(truncatingIfNeeded: l &+ nmax)
    }
    return 1 / iscale
}

// make_qkx2_quants
private func makeQkx2Quants(
    _ n: Int, _ nmax: Int, _ x: UnsafePointer<Float>, _ weights: UnsafePointer<Float>,
    _ L: UnsafeMutablePointer<UInt8>, _ theMin: UnsafeMutablePointer<Float>, _ Laux: UnsafeMutablePointer<UInt8>,
    _ rmin: Float, _ rdelta: Float, _ nstep: Int, _ useMad: Bool
) -> Float {
    var min = x[0]
    var max = x[0]
    var sumW = weights[0]
    var sumX = sumW * x[0]
    for i in 1..<n {
        if x[i] < min { min = x[i] }
        if x[i] > max { max = x[i] }
        let w = weights[i]
        sumW += w
        sumX += w * x[i]
    }
    if min > 0 { min = 0 }
    if max == min {
        for i in 0..<n { L[i] = 0 }
        theMin.pointee = -min
        return 0
    }
    var iscale = Float(nmax) / (max - min)
    var scale = 1 / iscale
    var bestError: Float = 0
    for i in 0..<n {
        let l = nearestInt(iscale * (x[i] - min))
        L[i] = UInt8(truncatingIfNeeded: Swift.max(0, Swift.min(nmax, l)))
        var diff = scale * Float(L[i]) + min - x[i]
        diff = useMad ? diff.magnitude : diff * diff
        let w = weights[i]
        bestError += w * diff
    }
    if nstep < 1 {
        theMin.pointee = -min
        return scale
    }
    for `is` in 0...nstep {
        iscale = (rmin + rdelta * Float(`is`) + Float(nmax)) / (max - min)
        var sumL: Float = 0
        var sumL2: Float = 0
        var sumXL: Float = 0
        for i in 0..<n {
            var l = nearestInt(iscale * (x[i] - min))
            l = Swift.max(0, Swift.min(nmax, l))
            Laux[i] = UInt8(truncatingIfNeeded: l)
            let w = weights[i]
            sumL += w * Float(l)
            sumL2 += w * Float(l) * Float(l)
            sumXL += w * Float(l) * x[i]
        }
        let D = sumW * sumL2 - sumL * sumL
        if D > 0 {
            var thisScale = (sumW * sumXL - sumX * sumL) / D
            var thisMin = (sumL2 * sumX - sumL * sumXL) / D
            if thisMin > 0 {
                thisMin = 0
                thisScale = sumXL / sumL2
            }
            var curError: Float = 0
            for i in 0..<n {
                var diff = thisScale * Float(Laux[i]) + thisMin - x[i]
                diff = useMad ? diff.magnitude : diff * diff
                let w = weights[i]
                curError += w * diff
            }
            if curError < bestError {
                for i in 0..<n { L[i] = Laux[i] }
                bestError = curError
                scale = thisScale
                min = thisMin
            }
        }
    }
    theMin.pointee = -min
    return scale
}

// get_scale_min_k4
@inline(__always)
private func getScaleMinK4(_ j: Int, _ q: UnsafePointer<UInt8>) -> (d: UInt8, m: UInt8) {
    if j < 4 {
        return (q[j] & 63, q[j + 4] & 63)
    }
    return ((q[j + 4] & 0xF) | ((q[j - 4] >> 6) << 4), (q[j + 4] >> 4) | ((q[j - 0] >> 6) << 4))
}

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
        let (sc, m) = getScaleMinK4(j, ysc)
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

// best_index_int8
@inline(__always)
private func bestIndexInt8(_ n: Int, _ val: UnsafePointer<Int8>, _ x: Float) -> Int {
    if x <= Float(val[0]) { return 0 }
    if x >= Float(val[n - 1]) { return n - 1 }
    var ml = 0
    var mu = n - 1
    while mu - ml > 1 {
        let mav = (ml + mu) / 2
        if x < Float(val[mav]) { mu = mav } else { ml = mav }
    }
    return x - Float(val[mu - 1]) < Float(val[mu]) - x ? mu - 1 : mu
}

// quantize_row_iq4_nl_impl with quant_weights == NULL (weight = x²; sigma2 only feeds the
// importance-weighted branch, so it is not computed). `scalesH`/`scalesL` are used only when the
// super-block holds more than one block (IQ4_XS), as in the C.
private func quantizeRowIQ4NLImpl(
    _ superBlockSize: Int, _ blockSize: Int, _ x: UnsafePointer<Float>,
    _ dh: UnsafeMutablePointer<UInt8>, _ q4: UnsafeMutablePointer<UInt8>,
    _ scalesH: UnsafeMutablePointer<UInt8>, _ scalesL: UnsafeMutablePointer<UInt8>,
    _ scales: UnsafeMutablePointer<Float>, _ weight: UnsafeMutablePointer<Float>, _ L: UnsafeMutablePointer<UInt8>,
    _ values: UnsafePointer<Int8>, _ ntry: Int
) {
    for k in 0..<(superBlockSize / 2) { q4[k] = 0 }
    _ = storeHalf(0, dh, 0)

    var maxScale: Float = 0
    var amaxScale: Float = 0
    for ib in 0..<(superBlockSize / blockSize) {
        let xb = x + ib * blockSize
        let Lb = L + ib * blockSize
        for j in 0..<blockSize { weight[j] = xb[j] * xb[j] }
        var amax: Float = 0
        var max: Float = 0
        for j in 0..<blockSize {
            let ax = xb[j].magnitude
            if ax > amax {
                amax = ax
                max = xb[j]
            }
        }
        if amax < groupMaxEps {
            scales[ib] = 0
            continue
        }
        var d: Float = ntry > 0 ? -max / Float(values[0]) : max / Float(values[0])
        var id = 1 / d
        var sumqx: Float = 0
        var sumq2: Float = 0
        for j in 0..<blockSize {
            let al = id * xb[j]
            let l = bestIndexInt8(16, values, al)
            Lb[j] = UInt8(truncatingIfNeeded: l)
            let q = Float(values[l])
            let w = weight[j]
            sumqx += w * q * xb[j]
            sumq2 += w * q * q
        }
        d = sumq2 > 0 ? sumqx / sumq2 : 0
        var best = d * sumqx
        for itry in stride(from: -ntry, through: ntry, by: 1) {
            id = Float(itry + Int(values[0])) / max
            sumqx = 0
            sumq2 = 0
            for j in 0..<blockSize {
                let al = id * xb[j]
                let l = bestIndexInt8(16, values, al)
                let q = Float(values[l])
                let w = weight[j]
                sumqx += w * q * xb[j]
                sumq2 += w * q * q
            }
            if sumq2 > 0 && sumqx * sumqx > best * sumq2 {
                d = sumqx / sumq2
                best = d * sumqx
            }
        }
        scales[ib] = d
        let absD = d.magnitude
        if absD > amaxScale {
            amaxScale = absD
            maxScale = d
        }
    }

    if superBlockSize / blockSize > 1 {
        let nb = superBlockSize / blockSize
        for k in 0..<(((nb + 7) / 8) * 2) { scalesH[k] = 0 }  // memset(scales_h, 0, ((nb+7)/8)*sizeof(uint16_t))
        let d = -maxScale / 32
        _ = storeHalf(d, dh, 0)
        let id: Float = d != 0 ? 1 / d : 0
        for ib in 0..<(superBlockSize / blockSize) {
            var l = nearestInt(id * scales[ib])
            l = Swift.max(-32, Swift.min(31, l))
            let dl = d * Float(l)
            let idl: Float = dl != 0 ? 1 / dl : 0
            let Lb = L + ib * blockSize
            let xb = x + ib * blockSize
            for j in 0..<blockSize {
                Lb[j] = UInt8(truncatingIfNeeded: bestIndexInt8(16, values, idl * xb[j]))
            }
            l += 32
            let lL = UInt8(truncatingIfNeeded: l & 0xf)
            let lH = UInt8(truncatingIfNeeded: l >> 4)
            if ib % 2 == 0 {
                scalesL[ib / 2] = lL
            } else {
                scalesL[ib / 2] |= (lL << 4)
            }
            // scales_h[ib/8] |= (l_h << 2*(ib%8)), a little-endian uint16_t
            let hIndex = 2 * (ib / 8)
            var h = UInt16(scalesH[hIndex]) | (UInt16(scalesH[hIndex + 1]) << 8)
            h |= UInt16(truncatingIfNeeded: Int(lH) << (2 * (ib % 8)))
            scalesH[hIndex] = UInt8(truncatingIfNeeded: h)
            scalesH[hIndex + 1] = UInt8(truncatingIfNeeded: h >> 8)
        }
    } else {
        _ = storeHalf(scales[0], dh, 0)
        if ntry > 0 {
            let id: Float = scales[0] != 0 ? 1 / scales[0] : 0
            for j in 0..<superBlockSize {
                L[j] = UInt8(truncatingIfNeeded: bestIndexInt8(16, values, id * x[j]))
            }
        }
    }

    for i in 0..<(superBlockSize / 32) {
        for j in 0..<16 {
            q4[16 * i + j] = L[32 * i + j] | (L[32 * i + 16 + j] << 4)
        }
    }
}

// quantize_iq4_nl with NULL quant_weights: quantize_row_iq4_nl_impl(QK4_NL, 32, …, kvalues_iq4nl, NULL, 7) per block.
// Block: { f16 d @0; u8 qs[16] @2 }, 18 bytes.
func quantizeRowIQ4_NL(_ x: UnsafePointer<Float>, blocks: Int, into out: UnsafeMutableRawPointer) {
    guard blocks > 0 else { return }
    let yAll = out.bindMemory(to: UInt8.self, capacity: blocks &* 18)
    iq4Values.withUnsafeBufferPointer { kv in
        guard let values = kv.baseAddress, kv.count >= 16 else { return }
        // uint8_t L[QK4_NL]; float weight[QK4_NL]; float scale; uint16_t unused_h; uint8_t * unused_l
        withScratch(floats: 32 + 1, UInt8.self, count: 32 + 2 + 1) { f, b in
            let weight = f, scale = f + 32
            let L = b, unusedH = b + 32, unusedL = b + 34
            for ibl in 0..<blocks {
                let y = yAll + 18 * ibl
                quantizeRowIQ4NLImpl(32, 32, x + 32 * ibl, y, y + 2, unusedH, unusedL, scale, weight, L, values, 7)
            }
        }
    }
}

// quantize_iq4_xs with NULL quant_weights: quantize_row_iq4_nl_impl(QK_K, 32, …, kvalues_iq4nl, NULL, 7) per block.
// Block: { f16 d @0; u16 scales_h @2; u8 scales_l[4] @4; u8 qs[128] @8 }, 136 bytes.
func quantizeRowIQ4_XS(_ x: UnsafePointer<Float>, blocks: Int, into out: UnsafeMutableRawPointer) {
    guard blocks > 0 else { return }
    let yAll = out.bindMemory(to: UInt8.self, capacity: blocks &* 136)
    iq4Values.withUnsafeBufferPointer { kv in
        guard let values = kv.baseAddress, kv.count >= 16 else { return }
        // uint8_t L[QK_K]; float weight[32]; float scales[QK_K/32]
        withScratch(floats: 32 + 8, UInt8.self, count: 256) { f, L in
            let weight = f, scales = f + 32
            for ibl in 0..<blocks {
                let y = yAll + 136 * ibl
                quantizeRowIQ4NLImpl(256, 32, x + 256 * ibl, y, y + 8, y + 2, y + 4, scales, weight, L, values, 7)
            }
        }
    }
}
