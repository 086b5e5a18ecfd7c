import GGUF
import Kernels

/// What stops `baton quantize`; each says which input or tensor and what to do instead.
public enum QuantizationError: Error, Equatable, CustomStringConvertible {
    case unknownType(String)
    case sameFile(String)
    case unsupportedArchitecture(String)
    /// A tensor that must be converted is stored in a type Baton cannot dequantize.
    case unsupportedTensorType(tensor: String, type: GGMLType)
    /// A row that is not a whole number of the chosen type's blocks, with no fallback left.
    case rowNotWholeBlocks(tensor: String, cols: Int, format: WeightFormat)
    case badLayer(tensor: String, blockCount: Int)
    case tensorTooLarge(String)
    case invalidMetadata(key: String, reason: String)
    case cannotWrite(path: String, reason: String)

    public var description: String {
        switch self {
        case .unknownType(let name):
            "unknown quantization type '\(name)': choose one of \(LlamaFileType.allCases.map(\.description).joined(separator: ", "))"
        case .sameFile(let path):
            "the output '\(path)' is the input file: write the quantized model to another path"
        case .unsupportedArchitecture(let arch):
            "architecture '\(arch)' is not supported: baton quantize applies llama-quantize's rules for \(QuantizationPlan.architectures.joined(separator: ", ")) models"
        case let .unsupportedTensorType(tensor, type):
            "tensor '\(tensor)' is \(type), which Baton cannot dequantize (supported: "
                + WeightFormat.allCases.map(\.description).joined(separator: ", ") + ")"
        case let .rowNotWholeBlocks(tensor, cols, format):
            "tensor '\(tensor)' has rows of \(cols) values, not a multiple of \(format)'s \(format.blockSize)-value blocks"
        case let .badLayer(tensor, blockCount):
            "tensor '\(tensor)' names no layer in [0, \(blockCount)): a mixture-of-experts file needs blk.N. names"
        case .tensorTooLarge(let tensor):
            "tensor '\(tensor)' would not fit in memory addresses once converted"
        case let .invalidMetadata(key, reason):
            "metadata '\(key)': \(reason)"
        case let .cannotWrite(path, reason):
            "cannot write '\(path)': \(reason); choose an output path in a writable directory with enough free space"
        }
    }
}
