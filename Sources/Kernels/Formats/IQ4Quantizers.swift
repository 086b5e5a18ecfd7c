// IQ4_NL and IQ4_XS quantizers: bit-exact ports of ggml-quants.c as llama-quantize runs them without an
// importance matrix (see the note at the top of SuperBlockQuantizers.swift).

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
