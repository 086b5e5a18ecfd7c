// Dot products of one weight row with one prepared activation row, mirroring ggml's CPU kernels
// (ggml_vec_dot_q4_0_q8_0, _q4_1_q8_1, _q8_0_q8_0, _f16, _f32): an exact integer dot per 32-weight
// block, scaled by the product of the two f16 block scales, summed in f32.
//
// The integer dots are plain loops shaped so LLVM emits one u8×s8 multiply-add per block
// (vpdpbusd with AVX-VNNI, pmaddubsw/pmaddwd otherwise): unsigned weights times signed activations.
// Signed weights are made unsigned with an offset the activation block sum corrects exactly:
//   Σ(q − 8)·x = Σq·x − 8·Σx (Q4_0)      Σw·x = Σ(w ⊕ 0x80)·x − 128·Σx (Q8_0)

/// One prepared activation row (a token).
struct ActivationRow {
    let qs: UnsafePointer<Int8>
    let scale: UnsafePointer<Float>
    let qsum: UnsafePointer<Int32>
    let scaledSum: UnsafePointer<Float>
}

/// Σ nibble·x over a 32-weight block of packed nibbles. Two 16-wide loops: this shape becomes a
/// single 32-byte multiply-add; a fused 32-iteration loop does not.
@inline(__always)
func nibbleDot(_ q: UnsafePointer<UInt8>, _ x: UnsafePointer<Int8>) -> Int32 {
    var sum: Int32 = 0
    for j in 0..<16 { sum &+= Int32(q[j] & 15) &* Int32(x[j]) }
    for j in 0..<16 { sum &+= Int32(q[j] >> 4) &* Int32(x[j &+ 16]) }
    return sum
}

/// Σ u·x over 32 unsigned bytes.
@inline(__always)
func byteDot(_ u: UnsafePointer<UInt8>, _ x: UnsafePointer<Int8>) -> Int32 {
    var sum: Int32 = 0
    for j in 0..<16 { sum &+= Int32(u[j]) &* Int32(x[j]) }
    for j in 0..<16 { sum &+= Int32(u[j &+ 16]) &* Int32(x[j &+ 16]) }
    return sum
}

/// Σ (w ⊕ 0x80)·x over 32 signed weight bytes, i.e. Σ (w + 128)·x.
@inline(__always)
func biasedByteDot(_ w: UnsafePointer<UInt8>, _ x: UnsafePointer<Int8>) -> Int32 {
    var sum: Int32 = 0
    for j in 0..<16 { sum &+= Int32(w[j] ^ 0x80) &* Int32(x[j]) }
    for j in 0..<16 { sum &+= Int32(w[j &+ 16] ^ 0x80) &* Int32(x[j &+ 16]) }
    return sum
}

@inline(__always)
func bytes(_ p: UnsafeRawPointer) -> UnsafePointer<UInt8> { p.assumingMemoryBound(to: UInt8.self) }

// MARK: - One weight row (packed) · one activation row

@inline(__always)
func dotQ4_0(_ w: UnsafeRawPointer, _ a: ActivationRow, blocks: Int, _ half: UnsafePointer<Float>) -> Float {
    var acc: Float = 0
    for b in 0..<blocks {
        let block = w + b &* 18
        let d = half[Int(block.loadUnaligned(as: UInt16.self))]
        let isum = nibbleDot(bytes(block + 2), a.qs + b &* 32) &- 8 &* a.qsum[b]
        acc += Float(isum) * (d * a.scale[b])
    }
    return acc
}

@inline(__always)
func dotQ4_1(_ w: UnsafeRawPointer, _ a: ActivationRow, blocks: Int, _ half: UnsafePointer<Float>) -> Float {
    var acc: Float = 0, mins: Float = 0
    for b in 0..<blocks {
        let block = w + b &* 20
        let dm = block.loadUnaligned(as: UInt32.self)
        let d = half[Int(dm & 0xffff)], m = half[Int(dm >> 16)]
        let isum = nibbleDot(bytes(block + 4), a.qs + b &* 32)
        acc += Float(isum) * (d * a.scale[b])
        mins += m * a.scaledSum[b]
    }
    return acc + mins
}

@inline(__always)
func dotQ8_0(_ w: UnsafeRawPointer, _ a: ActivationRow, blocks: Int, _ half: UnsafePointer<Float>) -> Float {
    var acc: Float = 0
    for b in 0..<blocks {
        let block = w + b &* 34
        let d = half[Int(block.loadUnaligned(as: UInt16.self))]
        let isum = biasedByteDot(bytes(block + 2), a.qs + b &* 32) &- 128 &* a.qsum[b]
        acc += Float(isum) * (d * a.scale[b])
    }
    return acc
}

// MARK: - Float rows

/// Σ w·x in f32 with 16 partial sums (ggml's f32/f16 dots also keep several SIMD accumulators).
@inline(__always)
func dotF32(_ wr: UnsafeRawPointer, _ x: UnsafePointer<Float>, count: Int) -> Float {
    let xr = UnsafeRawPointer(x)
    var acc0 = SIMD16<Float>(), acc1 = SIMD16<Float>()
    var i = 0
    while i &+ 32 <= count {
        acc0 += wr.loadUnaligned(fromByteOffset: i &* 4, as: SIMD16<Float>.self)
            * xr.loadUnaligned(fromByteOffset: i &* 4, as: SIMD16<Float>.self)
        acc1 += wr.loadUnaligned(fromByteOffset: i &* 4 &+ 64, as: SIMD16<Float>.self)
            * xr.loadUnaligned(fromByteOffset: i &* 4 &+ 64, as: SIMD16<Float>.self)
        i &+= 32
    }
    var sum = (acc0 + acc1).sum()
    while i < count {
        sum += wr.loadUnaligned(fromByteOffset: i &* 4, as: Float.self) * x[i]
        i &+= 1
    }
    return sum
}

/// Half → float for a whole row (vectorizes), so F16 weights reuse the f32 dot.
func widenHalves(_ src: UnsafeRawPointer, count: Int, into out: UnsafeMutablePointer<Float>) {
    for i in 0..<count { out[i] = halfToFloat(src.loadUnaligned(fromByteOffset: i &* 2, as: UInt16.self)) }
}
