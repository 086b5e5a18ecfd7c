// Counter-based random numbers: every weight is a pure function of (seed, tensor name, row, column), so rows can
// be generated in any order on any number of threads and the file is still byte-identical.

/// splitmix64's output function (Stafford's mix 13): a bijection of 64-bit integers that scrambles every bit.
@inline(__always)
func mix64(_ x: UInt64) -> UInt64 {
    var z = x
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
}

/// splitmix64's increment (2^64 / golden ratio): consecutive counters land far apart before mixing.
let golden: UInt64 = 0x9E37_79B9_7F4A_7C15

/// FNV-1a of a tensor name: keys a tensor's stream by its name, not its position in the file, so that a model
/// written with `--layers 2` holds exactly the first two blocks of the full model.
func nameHash(_ name: String) -> UInt64 {
    var h: UInt64 = 0xCBF2_9CE4_8422_2325
    for byte in name.utf8 { h = (h ^ UInt64(byte)) &* 0x0000_0100_0000_01B3 }
    return h
}

/// The key of one tensor's random stream.
func tensorKey(seed: UInt64, name: String) -> UInt64 {
    mix64(mix64(seed &+ golden) ^ nameHash(name))
}

/// The key of one row's random stream within a tensor.
@inline(__always)
func rowKey(tensor: UInt64, row: Int) -> UInt64 {
    mix64(tensor ^ mix64(UInt64(truncatingIfNeeded: row) &* golden &+ 1))
}

/// Fills `out[0..<count]` (`count` even) with values uniform in [-amplitude, amplitude): each 64-bit draw gives
/// two signed 32-bit halves, scaled. A plain loop over a counter, so LLVM vectorizes it.
func fillUniform(_ out: UnsafeMutablePointer<Float>, count: Int, key: UInt64, amplitude: Float) {
    let scale = amplitude / 2_147_483_648
    for i in 0..<count / 2 {
        let z = mix64(key &+ UInt64(truncatingIfNeeded: i) &* golden)
        out[2 * i] = Float(Int32(truncatingIfNeeded: z)) * scale
        out[2 * i + 1] = Float(Int32(truncatingIfNeeded: z >> 32)) * scale
    }
}
