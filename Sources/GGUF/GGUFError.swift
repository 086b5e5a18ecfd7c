/// Everything that can be wrong with a GGUF file, each naming the key or tensor and the numbers involved.
public enum GGUFError: Error, Equatable, CustomStringConvertible {
    case cannotOpen(path: String, reason: String)
    case badMagic(found: UInt32)
    case unsupportedVersion(UInt32)
    case truncated(reading: String, offset: Int, needed: Int, fileSize: Int)
    case absurdCount(what: String, count: UInt64, limit: UInt64)
    case invalidUTF8(what: String, offset: Int)
    case unknownValueType(key: String, raw: UInt32)
    case nestingTooDeep(key: String)
    case duplicateKey(String)
    case duplicateTensor(String)
    case invalidAlignment(key: String, value: String)
    case tooManyDimensions(tensor: String, nDims: UInt32)
    case invalidDimensions(tensor: String, dims: [UInt64])
    case unknownTensorType(tensor: String, raw: UInt32)
    case unsupportedTensorType(tensor: String, type: GGMLType, supported: [String])
    case rowNotBlockMultiple(tensor: String, type: GGMLType, rowLength: Int, blockSize: Int)
    case misalignedOffset(tensor: String, offset: UInt64, alignment: Int)
    case overlappingTensors(String, String)
    case tensorDataPastEnd(tensor: String, end: Int, fileSize: Int)
    case missingKey(String)
    case wrongKeyType(key: String, expected: String, found: GGUFValueType)
    case invalidValue(key: String, value: String, expected: String)
    case missingTensor(String)
    case wrongShape(tensor: String, expected: [Int], found: [Int])
    case wrongTensorType(tensor: String, expected: String, found: GGMLType)

    public var description: String {
        switch self {
        case .cannotOpen(let path, let reason):
            "cannot open GGUF file '\(path)': \(reason)"
        case .badMagic(let found):
            "not a GGUF file: magic is 0x\(String(found, radix: 16)), expected 0x46554747 ('GGUF')"
        case .unsupportedVersion(let v) where v.byteSwapped == 2 || v.byteSwapped == 3:
            "GGUF version \(v) is not supported; it reads as \(v.byteSwapped) byte-swapped: this is a big-endian file, convert it to little-endian"
        case .unsupportedVersion(let v):
            "GGUF version \(v) is not supported (only 2 and 3): re-convert the model with a current llama.cpp"
        case .truncated(let what, let offset, let needed, let fileSize):
            "file ends at byte \(fileSize) while reading \(what) (\(needed) bytes at offset \(offset)): the file is truncated, \(needed - max(0, fileSize - offset)) bytes missing; download it again"
        case .absurdCount(let what, let count, let limit):
            "\(what) is \(count), more than the \(limit) the rest of the file could hold: the file is corrupt or truncated"
        case .invalidUTF8(let what, let offset):
            "\(what) at offset \(offset) is not valid UTF-8"
        case .unknownValueType(let key, let raw):
            "metadata key '\(key)' has unknown value type \(raw)"
        case .nestingTooDeep(let key):
            "metadata key '\(key)' nests arrays too deeply"
        case .duplicateKey(let key):
            "metadata key '\(key)' appears twice"
        case .duplicateTensor(let name):
            "tensor '\(name)' appears twice"
        case .invalidAlignment(let key, let value):
            "'\(key)' is \(value): alignment must be a power of two between 1 and 65536"
        case .tooManyDimensions(let name, let n):
            "tensor '\(name)' has \(n) dimensions; GGUF allows at most 4"
        case .invalidDimensions(let name, let dims):
            "tensor '\(name)' has dimensions \(dims): each must be positive and the tensor must be smaller than 2^61 bytes"
        case .unknownTensorType(let name, let raw):
            "tensor '\(name)' has unknown ggml type id \(raw)"
        case .unsupportedTensorType(let name, let type, let supported):
            "tensor '\(name)' is \(type), which Baton cannot compute with (supported: \(supported.joined(separator: ", "))); re-quantize the model to one of those"
        case .rowNotBlockMultiple(let name, let type, let row, let block):
            "tensor '\(name)' rows hold \(row) elements, not a multiple of \(type)'s block size \(block)"
        case .misalignedOffset(let name, let offset, let alignment):
            "tensor '\(name)' data offset \(offset) is not a multiple of the alignment \(alignment)"
        case .overlappingTensors(let a, let b):
            "tensors '\(a)' and '\(b)' overlap in the file"
        case .tensorDataPastEnd(let name, let end, let fileSize):
            "the file is truncated: tensor data from '\(name)' on needs bytes up to \(end), but the file has only \(fileSize) (\(end - fileSize) bytes missing); download it again"
        case .missingKey(let key):
            "required metadata key '\(key)' is missing"
        case .wrongKeyType(let key, let expected, let found):
            "metadata key '\(key)' should be \(expected) but is \(found)"
        case .invalidValue(let key, let value, let expected):
            "metadata key '\(key)' is \(value); expected \(expected)"
        case .missingTensor(let name):
            "required tensor '\(name)' is missing"
        case .wrongShape(let name, let expected, let found):
            "tensor '\(name)' has shape \(found), expected \(expected)"
        case .wrongTensorType(let name, let expected, let found):
            "tensor '\(name)' is \(found), expected \(expected)"
        }
    }
}
