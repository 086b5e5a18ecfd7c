import GGUF

/// Everything that can stop a tokenizer from being built, each naming what was found and what would work.
public enum TokenizerError: Error, Equatable, CustomStringConvertible {
    /// `tokenizer.ggml.model` names a tokenizer family Baton does not implement.
    case unsupportedModel(String)
    /// `tokenizer.ggml.pre` names a pre-tokenizer Baton does not implement.
    case unsupportedPreTokenizer(String)
    /// The vocabulary has no tokens.
    case emptyVocabulary
    /// More tokens than 32-bit token ids can number.
    case vocabularyTooLarge(Int)
    /// Fewer token types than tokens (llama.cpp refuses these files too).
    case tokenTypeCountMismatch(tokens: Int, types: Int)
    /// Fewer SentencePiece scores than tokens (llama.cpp refuses these files too).
    case scoreCountMismatch(tokens: Int, scores: Int)
    /// Two vocabulary entries share a text, so text → id is ambiguous.
    case duplicateToken(text: String, firstID: Int, secondID: Int)
    /// A special-token id (given explicitly) lies outside the vocabulary.
    case specialTokenOutOfRange(name: String, id: Int32, vocabularySize: Int)
    /// The model asks for BOS/EOS to be added but does not say which token that is.
    case missingSpecialToken(flag: String, idKey: String)
    /// A tokenizer key in the GGUF file is missing or has the wrong type.
    case metadata(GGUFError)

    public static let supportedModels = ["gpt2", "llama"]

    public var description: String {
        switch self {
        case .unsupportedModel(let model):
            "tokenizer model '\(model)'\(Self.family(of: model)) is not supported: Baton implements "
                + "GPT-2 style byte-level BPE ('\(GGUFKey.tokenizerModel)' = 'gpt2', as used by SmolLM, Llama 3, Qwen 2) "
                + "and SentencePiece ('llama', as used by Llama 2 and Mistral)"
        case .unsupportedPreTokenizer(let pre):
            "pre-tokenizer '\(pre)' ('\(GGUFKey.tokenizerPre)') is not supported; supported: "
                + PreTokenizerKind.supportedNames.joined(separator: ", ")
        case .emptyVocabulary:
            "the vocabulary ('\(GGUFKey.tokens)') is empty"
        case .vocabularyTooLarge(let count):
            "the vocabulary has \(count) tokens, more than 32-bit token ids allow"
        case .tokenTypeCountMismatch(let tokens, let types):
            "'\(GGUFKey.tokenTypes)' has \(types) entries but the vocabulary has \(tokens) tokens"
        case .scoreCountMismatch(let tokens, let scores):
            "'\(GGUFKey.scores)' has \(scores) entries but the vocabulary has \(tokens) tokens"
        case .duplicateToken(let text, let first, let second):
            "duplicate token in vocabulary: '\(text)' has ids \(first) and \(second)"
        case .specialTokenOutOfRange(let name, let id, let size):
            "special token \(name) = \(id) is outside the vocabulary (size \(size))"
        case .missingSpecialToken(let flag, let idKey):
            "'\(flag)' is true but '\(idKey)' is not set"
        case .metadata(let error):
            "tokenizer metadata: \(error.description)"
        }
    }

    private static func family(of model: String) -> String {
        switch model {
        case "bert": " (WordPiece)"
        case "t5": " (Unigram)"
        case "rwkv": " (RWKV)"
        default: ""
        }
    }
}
