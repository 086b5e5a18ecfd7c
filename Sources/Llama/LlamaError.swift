/// Errors from building or running a model stage. Each says what was wrong and with which numbers.
public enum LlamaError: Error, Equatable, CustomStringConvertible {
    case unsupportedArchitecture(String)
    case invalidConfig(String)
    case invalidLayerRange(requested: Range<Int>, blockCount: Int)
    case contextExceeded(position: Int, tokens: Int, contextLength: Int)
    case nonContiguousPosition(expected: Int, got: Int)
    case tokenOutOfRange(token: Int32, vocabularySize: Int)
    case batchTooLarge(tokens: Int, maximum: Int)
    case hiddenStateSize(floats: Int, embeddingLength: Int)
    case missingInput(String)
    case unsupportedKey(String)
    case unsupportedValue(key: String, value: String, why: String)
    case unusedTensor(String, architecture: String)
    case contextBeyondTraining(requested: Int, trained: Int, scaling: RopeScaling)

    public var description: String {
        switch self {
        case .unsupportedArchitecture(let arch):
            "architecture '\(arch)' is not supported: Baton runs \(ModelArchitecture.allCases.map(\.rawValue).joined(separator: ", "))"
        case .invalidConfig(let why):
            "invalid model configuration: \(why)"
        case .invalidLayerRange(let range, let count):
            "layer range \(range.lowerBound)..<\(range.upperBound) does not exist: the model has layers 0..<\(count)"
        case .contextExceeded(let position, let tokens, let context):
            "positions \(position)..<\(position + tokens) exceed the context length \(context): shorten the prompt or raise --ctx-size"
        case .nonContiguousPosition(let expected, let got):
            "batch starts at position \(got) but the session's KV cache holds \(expected) positions"
        case .tokenOutOfRange(let token, let vocab):
            "token id \(token) is outside the vocabulary (0..<\(vocab))"
        case .batchTooLarge(let tokens, let maximum):
            "batch of \(tokens) tokens exceeds this stage's maximum batch of \(maximum)"
        case .hiddenStateSize(let floats, let embd):
            "hidden state holds \(floats) floats, not a whole number of tokens of n_embd = \(embd)"
        case .missingInput(let what):
            "missing input: \(what)"
        case .unsupportedKey(let key):
            "metadata key '\(key)' changes the model's arithmetic in a way Baton does not implement: refusing to load rather than compute something else"
        case .unsupportedValue(let key, let value, let why):
            "metadata key '\(key)' = \(value) is not supported: \(why)"
        case .unusedTensor(let name, let arch):
            "tensor '\(name)' is not part of a '\(arch)' model as Baton runs it: refusing to load rather than ignore it"
        case .contextBeyondTraining(let requested, let trained, let scaling):
            "context \(requested) is past the \(trained) positions the model was trained for (rope scaling: \(scaling)): "
                + "lower --ctx-size to at most \(trained), or extend the positions explicitly as llama.cpp does: "
                + "--rope-scaling yarn --rope-scale F [--yarn-orig-ctx N]"
        }
    }
}
