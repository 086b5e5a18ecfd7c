#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// How rope angles are stretched for positions past the training context (`{arch}.rope.scaling.*`).
public enum RopeScaling: Sendable, Equatable, CustomStringConvertible {
    case none
    /// Every angle divided by `factor` (position interpolation).
    case linear(factor: Float)
    /// YaRN: low frequencies interpolated, high ones kept, a ramp between, and attention sharpened
    /// (`originalContext` is the length the model was trained at before the extension).
    case yarn(factor: Float, originalContext: Int)

    public var description: String {
        switch self {
        case .none: "none"
        case .linear(let f): "linear ×\(f)"
        case .yarn(let f, let n): "yarn ×\(f) from \(n)"
        }
    }

    /// The scaling's name as GGUF and llama.cpp's `--rope-scaling` spell it.
    public static let names = ["none", "linear", "yarn"]

    public var name: String {
        switch self {
        case .none: "none"
        case .linear: "linear"
        case .yarn: "yarn"
        }
    }

    public var factor: Float {
        switch self {
        case .none: 1
        case .linear(let f), .yarn(let f, _): f
        }
    }

    /// yarn's original context (nil for the others).
    public var originalContext: Int? {
        if case .yarn(_, let n) = self { return n }
        return nil
    }

    /// From a scaling's name and factor, as a GGUF file or llama.cpp's `--rope-scaling NAME --rope-scale F
    /// [--yarn-orig-ctx N]` give them (N nil or 0: the training context). `none` ignores the factor.
    public init(name: String, factor: Float, originalContext: Int?, trainingContext: Int) throws {
        guard name == "none" || (factor.isFinite && factor > 0) else {
            throw LlamaError.invalidConfig("rope scale \(factor) must be a positive number")
        }
        switch name {
        case "none": self = .none
        case "linear": self = factor == 1 ? .none : .linear(factor: factor)
        case "yarn": self = .yarn(factor: factor, originalContext: originalContext.flatMap { $0 > 0 ? $0 : nil } ?? trainingContext)
        default:
            throw LlamaError.invalidConfig("rope scaling '\(name)' is not one of \(Self.names.joined(separator: ", "))")
        }
    }

    /// ggml's freq_scale: angles are multiplied by it (1 = no interpolation).
    var frequencyScale: Float {
        switch self {
        case .none: 1
        case .linear(let f), .yarn(let f, _): f == 0 ? 1 : 1 / f
        }
    }

    /// The longest context the scaling makes valid: the training context stretched by the factor.
    func validContext(trainingContext: Int) -> Int {
        switch self {
        case .none: trainingContext
        case .linear(let f): Int((Float(trainingContext) * max(f, 1)).rounded(.down))
        case .yarn(let f, let n): Int((Float(n) * max(f, 1)).rounded(.down))
        }
    }
}

/// The per-call constants of ggml's rope (ggml_rope_ext's arguments), derived once as llama.cpp derives them in
/// llama_context's constructor, so every angle and magnitude matches its float for float.
struct RopeConstants: Sendable, Equatable {
    var base: Float
    var dimensions: Int            // n_rot
    var frequencyScale: Float      // freq_scale
    var extrapolationFactor: Float // ext_factor: 1 for YaRN, else 0
    var attentionFactor: Float     // attn_factor (mscale before ggml's own YaRN correction)
    var correctionDims: (low: Float, high: Float)

    static func == (a: Self, b: Self) -> Bool {
        a.base == b.base && a.dimensions == b.dimensions && a.frequencyScale == b.frequencyScale
            && a.extrapolationFactor == b.extrapolationFactor && a.attentionFactor == b.attentionFactor
            && a.correctionDims == b.correctionDims
    }

    /// llama.cpp's defaults: beta_fast 32, beta_slow 1; `rope.scaling.attn_factor` multiplies the magnitude.
    init(base: Float, dimensions: Int, scaling: RopeScaling, trainingContext: Int, attentionFactor extra: Float = 1) {
        self.base = base
        self.dimensions = dimensions
        frequencyScale = scaling.frequencyScale
        var attn: Float = 1
        var originalContext = trainingContext
        if case .yarn(_, let n) = scaling {
            extrapolationFactor = 1
            originalContext = n
            let factor = 1 / frequencyScale
            // get_mscale(factor, 1), then cancelled by the factor ggml_rope applies itself (llama-context.cpp).
            let mscale: Float = factor <= 1 ? 1 : 0.1 * logf(factor) + 1
            attn = mscale * (1 / (1 + 0.1 * logf(factor)))
        } else {
            extrapolationFactor = 0
        }
        attentionFactor = attn * extra
        correctionDims = Self.correctionDims(dimensions: dimensions, originalContext: originalContext, base: base,
                                             betaFast: 32, betaSlow: 1)
    }

    /// ggml_rope_yarn_corr_dims: the dimension range over which YaRN ramps from interpolation to extrapolation.
    private static func correctionDims(dimensions n: Int, originalContext: Int, base: Float,
                                       betaFast: Float, betaSlow: Float) -> (low: Float, high: Float) {
        func dim(_ rotations: Float) -> Float {
            Float(n) * logf(Float(originalContext) / (rotations * 2 * Float.pi)) / (2 * logf(base))
        }
        let start = floorf(dim(betaFast)), end = ceilf(dim(betaSlow))
        return (max(0, start), min(Float(n - 1), end))
    }

    /// rope_yarn: cos and sin of pair `i0 / 2`'s angle `thetaExtrapolated`, with YaRN's mix and magnitude.
    @inline(__always)
    func rotation(thetaExtrapolated: Float, i0: Int) -> (cos: Float, sin: Float) {
        let interpolated = frequencyScale * thetaExtrapolated
        var theta = interpolated
        var mscale = attentionFactor
        if extrapolationFactor != 0 {
            let (low, high) = correctionDims
            let y = (Float(i0 / 2) - low) / max(0.001, high - low)
            let rampMix = (1 - min(1, max(0, y))) * extrapolationFactor
            theta = interpolated * (1 - rampMix) + thetaExtrapolated * rampMix
            mscale *= 1 + 0.1 * logf(1 / frequencyScale)
        }
        return (cosf(theta) * mscale, sinf(theta) * mscale)
    }
}
