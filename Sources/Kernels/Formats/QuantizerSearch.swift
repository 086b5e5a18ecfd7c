// Search steps of ggml's K-quant quantizers (ggml-quants.c), shared by SuperBlockQuantizers.swift and
// IQ4Quantizers.swift: bit-exact Swift ports of the C (see the note at the top of SuperBlockQuantizers.swift).

let groupMaxEps: Float = 1e-15  // GROUP_MAX_EPS

/// Runs `body` with stack-style scratch: `floats` Floats and `count` elements of `B` (both uninitialized).
@inline(__always)
func withScratch<B>(
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
func storeHalf(_ f: Float, _ y: UnsafeMutablePointer<UInt8>, _ offset: Int) -> UInt16 {
    let h = floatToHalf(f)
    y[offset] = UInt8(truncatingIfNeeded: h)
    y[offset + 1] = UInt8(truncatingIfNeeded: h >> 8)
    return h
}

// nearest_int: round half to even via the 1.5·2^23 bias; outside ±2^22 it wraps as the C does (no assert).
@inline(__always)
func nearestInt(_ fval: Float) -> Int {
    let val = fval + 12582912
    let i = Int32(bitPattern: val.bitPattern)
    return Int((i & 0x007f_ffff) &- 0x0040_0000)
}

// make_qx_quants (qw == NULL: every caller here passes NULL)
func makeQxQuants(
    _ n: Int, _ nmax: Int, _ x: UnsafePointer<Float>, _ L: UnsafeMutablePointer<Int8>, _ rmseType: Int
) -> Float {
    let max = signedAbsMax(x, n), amax = max.magnitude  // the first of largest magnitude, as the C's `ax > amax`
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
func makeQ3Quants(
    _ n: Int, _ nmax: Int, _ x: UnsafePointer<Float>, _ L: UnsafeMutablePointer<Int8>, _ doRmse: Bool
) -> Float {
    let max = signedAbsMax(x, n), amax = max.magnitude  // the first of largest magnitude, as the C's `ax > amax`
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
func makeQkx2Quants(
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
