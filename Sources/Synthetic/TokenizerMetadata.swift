import GGUF

/// The `tokenizer.*` metadata of a real model (vocabulary, merges, special ids, chat template), copied into a
/// synthetic model so that prompts tokenize as they would with the real one.
public struct TokenizerMetadata: Sendable {
    /// Every `tokenizer.*` key in file order.
    public let entries: [(key: String, value: GGUFValue)]
    /// Tokens in `tokenizer.ggml.tokens`.
    public let tokenCount: Int

    /// Token type of padding entries: llama.cpp's LLAMA_TOKEN_TYPE_UNUSED, which renders as nothing and is never
    /// matched in text.
    public static let unusedTokenType = 5

    /// The text of the padding token with id `id`.
    public static func padText(_ id: Int) -> String { "<|synthetic_pad_\(id)|>" }

    public init(entries: [(key: String, value: GGUFValue)], source: String) throws {
        guard let tokens = entries.first(where: { $0.key == GGUFKey.tokens })?.value.array, !tokens.isEmpty else {
            throw SyntheticError.tokenizerIncomplete(path: source, reason: "no \(GGUFKey.tokens) array")
        }
        guard entries.contains(where: { $0.key == GGUFKey.tokenizerModel }) else {
            throw SyntheticError.tokenizerIncomplete(path: source, reason: "no \(GGUFKey.tokenizerModel)")
        }
        self.entries = entries
        tokenCount = tokens.count
    }

    /// Reads the tokenizer keys of the GGUF file at `path` (metadata only: the mapping is dropped afterwards).
    public init(path: String) throws {
        let file: GGUFFile
        do { file = try GGUFFile(path: path) } catch {
            throw SyntheticError.tokenizerUnreadable(path: path, reason: "\(error)")
        }
        let entries = file.metadataKeys.filter { $0.hasPrefix(GGUFKey.tokenizerPrefix) }.compactMap { key in
            file.metadata[key].map { (key: key, value: $0) }
        }
        try self.init(entries: entries, source: path)
    }

    /// The entries for a model of `vocabularySize` tokens: per-token arrays (tokens, types, scores) grow with
    /// unused padding tokens, so the tokenizer and the model agree on the vocabulary; nothing else changes.
    public func padded(to vocabularySize: Int) -> [(key: String, value: GGUFValue)] {
        let extra = vocabularySize - tokenCount
        guard extra > 0 else { return entries }
        return entries.map { entry in
            guard case .array(let type, let items) = entry.value, items.count == tokenCount,
                  let pad = padding(for: entry.key, type: type) else { return entry }
            let added = (tokenCount..<vocabularySize).map(pad)
            return (entry.key, .array(type, items + added))
        }
    }

    /// How to fill one padding entry of a per-token array, or nil for arrays that are not per-token.
    private func padding(for key: String, type: GGUFValueType) -> ((Int) -> GGUFValue)? {
        switch key {
        case GGUFKey.tokens where type == .string: { .string(Self.padText($0)) }
        case GGUFKey.tokenTypes: Self.integer(Self.unusedTokenType, as: type).map { value in { _ in value } }
        case GGUFKey.scores where type == .float32: { _ in .float32(0) }
        default: nil
        }
    }

    private static func integer(_ v: Int, as type: GGUFValueType) -> GGUFValue? {
        switch type {
        case .int32: .int32(Int32(v))
        case .uint32: .uint32(UInt32(v))
        case .int8: .int8(Int8(v))
        case .uint8: .uint8(UInt8(v))
        case .int16: .int16(Int16(v))
        case .uint16: .uint16(UInt16(v))
        case .int64: .int64(Int64(v))
        case .uint64: .uint64(UInt64(v))
        default: nil
        }
    }
}
