import Kernels

/// llama.cpp's `llama_ftype`: what `general.file_type` says a file "mostly" is, and the quantization mix
/// llama-quantize applies for it. Only the mixes whose every tensor type is in Baton's registry (and that
/// need no importance matrix) are here; the raw value is the number stored in the file.
public enum LlamaFileType: UInt32, Sendable, CaseIterable, CustomStringConvertible {
    case allF32 = 0, f16 = 1, q4_0 = 2, q4_1 = 3, q8_0 = 7, q5_0 = 8, q5_1 = 9
    case q2_K = 10, q3_K_S = 11, q3_K_M = 12, q3_K_L = 13, q4_K_S = 14, q4_K_M = 15, q5_K_S = 16, q5_K_M = 17
    case q6_K = 18, iq4_nl = 25, iq4_xs = 30, bf16 = 32

    /// llama-quantize's spelling (its TYPE argument): Q4_K_M, IQ4_NL, F32.
    public var description: String {
        switch self {
        case .allF32: "F32"
        case .f16: "F16"
        case .bf16: "BF16"
        case .q4_0: "Q4_0"
        case .q4_1: "Q4_1"
        case .q5_0: "Q5_0"
        case .q5_1: "Q5_1"
        case .q8_0: "Q8_0"
        case .q2_K: "Q2_K"
        case .q3_K_S: "Q3_K_S"
        case .q3_K_M: "Q3_K_M"
        case .q3_K_L: "Q3_K_L"
        case .q4_K_S: "Q4_K_S"
        case .q4_K_M: "Q4_K_M"
        case .q5_K_S: "Q5_K_S"
        case .q5_K_M: "Q5_K_M"
        case .q6_K: "Q6_K"
        case .iq4_nl: "IQ4_NL"
        case .iq4_xs: "IQ4_XS"
        }
    }

    /// The type llama-quantize names `name` (case-insensitive), with its aliases Q3_K, Q4_K and Q5_K for the
    /// _M mixes; nil for any other name.
    public init?(name: String) {
        let upper = name.uppercased()
        let aliases = ["Q3_K": Self.q3_K_M, "Q4_K": .q4_K_M, "Q5_K": .q5_K_M]
        if let alias = aliases[upper] { self = alias; return }
        guard let type = Self.allCases.first(where: { $0.description == upper }) else { return nil }
        self = type
    }

    /// llama_ftype_get_default_type: the format of every tensor no rule of the mix changes.
    public var defaultFormat: WeightFormat {
        switch self {
        case .allF32: .f32
        case .f16: .f16
        case .bf16: .bf16
        case .q4_0: .q4_0
        case .q4_1: .q4_1
        case .q5_0: .q5_0
        case .q5_1: .q5_1
        case .q8_0: .q8_0
        case .q2_K: .q2_K
        case .q3_K_S, .q3_K_M, .q3_K_L: .q3_K
        case .q4_K_S, .q4_K_M: .q4_K
        case .q5_K_S, .q5_K_M: .q5_K
        case .q6_K: .q6_K
        case .iq4_nl: .iq4_nl
        case .iq4_xs: .iq4_xs
        }
    }

    /// The file type of a file whose every matrix is `format` (llama-quantize --pure): the _S mix of a K-quant.
    public init(pure format: WeightFormat) {
        switch format {
        case .f32: self = .allF32
        case .f16: self = .f16
        case .bf16: self = .bf16
        case .q4_0: self = .q4_0
        case .q4_1: self = .q4_1
        case .q5_0: self = .q5_0
        case .q5_1: self = .q5_1
        case .q8_0: self = .q8_0
        case .iq4_nl: self = .iq4_nl
        case .q2_K: self = .q2_K
        case .q3_K: self = .q3_K_S
        case .q4_K: self = .q4_K_S
        case .q5_K: self = .q5_K_S
        case .q6_K: self = .q6_K
        case .iq4_xs: self = .iq4_xs
        }
    }

    /// ggml_is_quantized(default type): only then do the mix rules and the shape fallbacks apply.
    var quantizesByBlocks: Bool { defaultFormat.blockSize > 1 }
}
