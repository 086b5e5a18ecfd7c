import GGUF

/// What can stop a synthetic model from being written; each says what to do next.
public enum SyntheticError: Error, Equatable, CustomStringConvertible {
    case unknownShape(String)
    case unknownType(String)
    case invalidLayerCount(Int, limit: Int)
    case tokenizerUnreadable(path: String, reason: String)
    case tokenizerIncomplete(path: String, reason: String)
    case cannotWrite(path: String, reason: String)
    case invalidRopeScaling(String)

    public var description: String {
        switch self {
        case .unknownShape(let name):
            "unknown shape '\(name)': choose one of \(ModelShape.names.joined(separator: ", "))"
        case .unknownType(let name):
            "unknown weight type '\(name)': choose one of \(SyntheticType.allCases.map(\.rawValue).joined(separator: ", "))"
        case .invalidLayerCount(let n, let limit):
            "--layers \(n) is out of range: give between 1 and \(limit)"
        case .tokenizerUnreadable(let path, let reason):
            "cannot read the tokenizer model '\(path)': \(reason); pass --tokenizer-model PATH (a GGUF with a "
                + "tokenizer, e.g. models/SmolLM2-135M-Instruct.Q4_1.gguf from scripts/fetch-model.sh)"
        case .tokenizerIncomplete(let path, let reason):
            "'\(path)' has no usable tokenizer (\(reason)); pass --tokenizer-model with a GGUF that has one"
        case .cannotWrite(let path, let reason):
            "cannot write '\(path)': \(reason); choose an --out path in a writable directory with enough free space"
        case .invalidRopeScaling(let why):
            "invalid --rope-scaling / --rope-scale: \(why)"
        }
    }
}
