#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Element-wise steps of the forward pass, each mirroring ggml's CPU arithmetic where it matters for agreement.
enum VectorMath {
    /// out = x / sqrt(mean(x²) + eps) · weight. Sum of squares in double, as ggml's rms_norm does.
    @inline(__always)
    static func rmsNorm(_ out: UnsafeMutablePointer<Float>, _ x: UnsafePointer<Float>, _ weight: UnsafePointer<Float>,
                        count: Int, eps: Float) {
        var sum: Double = 0
        for i in 0..<count { sum += Double(x[i] * x[i]) }
        let mean = Float(sum / Double(count))
        let scale = 1 / (mean + eps).squareRoot()
        for i in 0..<count { out[i] = (x[i] * scale) * weight[i] }
    }

    /// x += y
    @inline(__always)
    static func add(_ x: UnsafeMutablePointer<Float>, _ y: UnsafePointer<Float>, count: Int) {
        for i in 0..<count { x[i] += y[i] }
    }

    /// gate = silu(gate) · up, silu(g) = g / (1 + e^−g)
    @inline(__always)
    static func swiglu(_ gate: UnsafeMutablePointer<Float>, _ up: UnsafePointer<Float>, count: Int) {
        for i in 0..<count {
            let g = gate[i]
            gate[i] = g / (1 + expf(-g)) * up[i]
        }
    }

    /// In-place softmax over `count` scores.
    @inline(__always)
    static func softmax(_ x: UnsafeMutablePointer<Float>, count: Int) {
        var maxValue = -Float.infinity
        for i in 0..<count { maxValue = max(maxValue, x[i]) }
        var sum: Double = 0
        for i in 0..<count {
            let e = expf(x[i] - maxValue)
            x[i] = e
            sum += Double(e)
        }
        let inverse = Float(1 / sum)
        for i in 0..<count { x[i] *= inverse }
    }
}
