// Prefill (tokens > 1) for the quantized formats. Vector lanes are tokens: each weight is broadcast
// and multiplied with the same weight position of 16 tokens (QuantizedInput's lane groups), so there
// is no per-block horizontal reduction and one decoded weight serves 16 tokens.
//
// The arithmetic is still ggml's: weights and activation quants are small integers held in floats, so
// every product and the 32-term block sum are exact (|Σ| < 2^21 < 2^24) and equal ggml's integer dot;
// each block then adds Σ·(d_w·d_x), plus m·s for Q4_1 / Q5_1, exactly as ggml_vec_dot_q4_1_q8_1 does.

typealias Lanes = SIMD16<Float>

/// A weight row decoded once: integer weight values as floats (Q4_0 already offset by −8) plus the
/// f32 block scales and, for Q4_1 / Q5_1, minimums.
struct DecodedRow {
    let w: UnsafeMutablePointer<Float>
    let d: UnsafeMutablePointer<Float>
    let m: UnsafeMutablePointer<Float>
}

/// Decodes one row of a lane-decodable format (`FormatTraits.laneDecodable`).
func decodeRow(_ format: WeightFormat, _ src: UnsafeRawPointer, blocks: Int, into row: DecodedRow) {
    let blockBytes = format.blockBytes
    for b in 0..<blocks {
        let block = src + b &* blockBytes, w = row.w + b &* 32
        let (d, m): (Float, Float)
        switch format {
        case .q4_0: (d, m) = decodeQ4_0(block, w)
        case .q4_1: (d, m) = decodeQ4_1(block, w)
        case .q5_0: (d, m) = decodeQ5_0(block, w)
        case .q5_1: (d, m) = decodeQ5_1(block, w)
        case .q8_0: (d, m) = decodeQ8_0(block, w)
        case .iq4_nl: (d, m) = decodeIQ4_NL(block, w)
        case .f32, .f16, .bf16, .q2_K, .q3_K, .q4_K, .q5_K, .q6_K, .iq4_xs:
            // Not lane-decodable: matmul never sends these here. Poison the row rather than guess.
            (d, m) = (.nan, .nan)
        }
        row.d[b] = d
        row.m[b] = m
    }
}

extension WeightFormat {
    /// 32-value formats with a per-block minimum (w = d·q + m), whose dots add m·s with Q8_1's s = d·Σq.
    var hasMinimum: Bool { self == .q4_1 || self == .q5_1 }
}

/// One decoded weight row against one lane group: the row's result for 16 tokens.
@inline(never)
func dotLanes(_ row: DecodedRow, _ x: LaneGroup, blocks: Int, hasMin: Bool) -> Lanes {
    var acc = Lanes(), mins = Lanes()
    for b in 0..<blocks {
        let w = row.w + b &* 32
        let q = x.quants + b &* (32 &* 64)
        // Four independent chains so the adds overlap; integer-valued, so the split changes nothing.
        var s0 = Lanes(), s1 = Lanes(), s2 = Lanes(), s3 = Lanes()
        var j = 0
        while j < 32 {
            s0 += Lanes(repeating: w[j]) * q.loadUnaligned(fromByteOffset: j &* 64, as: Lanes.self)
            s1 += Lanes(repeating: w[j &+ 1]) * q.loadUnaligned(fromByteOffset: j &* 64 &+ 64, as: Lanes.self)
            s2 += Lanes(repeating: w[j &+ 2]) * q.loadUnaligned(fromByteOffset: j &* 64 &+ 128, as: Lanes.self)
            s3 += Lanes(repeating: w[j &+ 3]) * q.loadUnaligned(fromByteOffset: j &* 64 &+ 192, as: Lanes.self)
            j &+= 4
        }
        let isum = (s0 + s1) + (s2 + s3)
        let dx = x.scale.loadUnaligned(fromByteOffset: b &* 64, as: Lanes.self)
        acc += (row.d[b] * dx) * isum
        if hasMin {
            mins += row.m[b] * x.scaledSum.loadUnaligned(fromByteOffset: b &* 64, as: Lanes.self)
        }
    }
    return hasMin ? acc + mins : acc
}

/// Four decoded weight rows against one lane group. Each activation vector loaded from L2 is used by
/// four rows, which keeps the loop bound by arithmetic rather than by L2 bandwidth.
@inline(never)
func dotLanes4(_ rows: UnsafePointer<DecodedRow>, _ x: LaneGroup, blocks: Int, hasMin: Bool) -> (Lanes, Lanes, Lanes, Lanes) {
    let r0 = rows[0], r1 = rows[1], r2 = rows[2], r3 = rows[3]
    var a0 = Lanes(), a1 = Lanes(), a2 = Lanes(), a3 = Lanes()
    for b in 0..<blocks {
        let o = b &* 32
        let q = x.quants + b &* (32 &* 64)
        var s0 = Lanes(), s1 = Lanes(), s2 = Lanes(), s3 = Lanes()
        for j in 0..<32 {
            let v = q.loadUnaligned(fromByteOffset: j &* 64, as: Lanes.self)
            s0 += Lanes(repeating: r0.w[o &+ j]) * v
            s1 += Lanes(repeating: r1.w[o &+ j]) * v
            s2 += Lanes(repeating: r2.w[o &+ j]) * v
            s3 += Lanes(repeating: r3.w[o &+ j]) * v
        }
        let dx = x.scale.loadUnaligned(fromByteOffset: b &* 64, as: Lanes.self)
        a0 += (r0.d[b] * dx) * s0
        a1 += (r1.d[b] * dx) * s1
        a2 += (r2.d[b] * dx) * s2
        a3 += (r3.d[b] * dx) * s3
    }
    guard hasMin else { return (a0, a1, a2, a3) }
    var m0 = Lanes(), m1 = Lanes(), m2 = Lanes(), m3 = Lanes()
    for b in 0..<blocks {
        let s = x.scaledSum.loadUnaligned(fromByteOffset: b &* 64, as: Lanes.self)
        m0 += r0.m[b] * s
        m1 += r1.m[b] * s
        m2 += r2.m[b] * s
        m3 += r3.m[b] * s
    }
    return (a0 + m0, a1 + m1, a2 + m2, a3 + m3)
}
