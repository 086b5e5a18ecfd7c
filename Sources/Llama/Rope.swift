#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Rotary position embedding, "normal" (GPT-J / non-NeoX) layout: adjacent pairs (x[2i], x[2i+1]) rotate by
/// θᵢ = pos · base^(−2i/d). The angles are built the way ggml's rope cache builds them (θ multiplied by the
/// same float scale step after step), so positions rotate by exactly llama.cpp's angles.
final class RopeTable {
    let pairs: Int                                // rope_dims / 2
    private let cos: UnsafeMutablePointer<Float>  // [n_tokens × pairs]
    private let sin: UnsafeMutablePointer<Float>

    init(maxTokens: Int, ropeDimensions: Int) {
        pairs = ropeDimensions / 2
        cos = .allocate(capacity: maxTokens * pairs)
        sin = .allocate(capacity: maxTokens * pairs)
    }

    deinit { cos.deallocate(); sin.deallocate() }

    /// Fills the table for positions start ..< start+count.
    func fill(start: Int, count: Int, base: Float) {
        let thetaScale = powf(base, -2 / Float(pairs * 2))
        for t in 0..<count {
            var theta = Float(start + t)
            for i in 0..<pairs {
                cos[t * pairs + i] = cosf(theta)
                sin[t * pairs + i] = sinf(theta)
                theta *= thetaScale
            }
        }
    }

    /// Rotates the first rope_dims of each of `heads` heads of one token's vector.
    func apply(_ x: UnsafeMutablePointer<Float>, token: Int, heads: Int, headDimension: Int) {
        let c = cos + token * pairs, s = sin + token * pairs
        for h in 0..<heads {
            let v = x + h * headDimension
            for i in 0..<pairs {
                let x0 = v[2 * i], x1 = v[2 * i + 1]
                v[2 * i] = x0 * c[i] - x1 * s[i]
                v[2 * i + 1] = x0 * s[i] + x1 * c[i]
            }
        }
    }
}
