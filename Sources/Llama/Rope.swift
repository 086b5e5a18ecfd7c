#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Rotary position embedding over the first n_rot values of each head: pair i rotates by
/// θᵢ = pos · base^(−2i/n_rot) / freq_factor[i], scaled as `RopeConstants` says. The angles are built the way
/// ggml's rope cache builds them (θ multiplied by the same float step after step), so positions rotate by exactly
/// llama.cpp's angles. Pairs are adjacent values (Llama) or the two halves of the rotated part (NeoX, Qwen).
final class RopeTable {
    let pairs: Int                                // n_rot / 2
    let style: RopeStyle
    let constants: RopeConstants
    /// Llama 3's rope_freqs.weight: each pair's angle is divided by its factor.
    private let frequencyFactors: [Float]?
    private let cos: UnsafeMutablePointer<Float>  // [n_tokens × pairs]
    private let sin: UnsafeMutablePointer<Float>

    init(maxTokens: Int, constants: RopeConstants, style: RopeStyle, frequencyFactors: [Float]?) {
        pairs = constants.dimensions / 2
        self.style = style
        self.constants = constants
        self.frequencyFactors = frequencyFactors
        cos = .allocate(capacity: maxTokens * pairs)
        sin = .allocate(capacity: maxTokens * pairs)
    }

    deinit { cos.deallocate(); sin.deallocate() }

    /// Fills rows row ..< row+count of the table for positions start ..< start+count.
    func fill(start: Int, count: Int, row: Int = 0) {
        let thetaScale = powf(constants.base, -2 / Float(pairs * 2))
        for t in row..<(row + count) {
            var theta = Float(start + t - row)
            for i in 0..<pairs {
                let factor = frequencyFactors?[i] ?? 1
                let (c, s) = constants.rotation(thetaExtrapolated: theta / factor, i0: 2 * i)
                cos[t * pairs + i] = c
                sin[t * pairs + i] = s
                theta *= thetaScale
            }
        }
    }

    /// Rotates the first n_rot values of each of `heads` heads of one token's vector.
    func apply(_ x: UnsafeMutablePointer<Float>, token: Int, heads: Int, headDimension: Int) {
        let c = cos + token * pairs, s = sin + token * pairs
        // Adjacent pairs sit 1 apart and advance by 2; halves sit n_rot/2 apart and advance by 1.
        let (offset, step) = style == .adjacentPairs ? (1, 2) : (pairs, 1)
        for h in 0..<heads {
            let v = x + h * headDimension
            for i in 0..<pairs {
                let a = i * step, b = a + offset
                let x0 = v[a], x1 = v[b]
                v[a] = x0 * c[i] - x1 * s[i]
                v[b] = x0 * s[i] + x1 * c[i]
            }
        }
    }
}
