import GGUF

extension Tokenizer {
    /// Builds the tokenizer from a GGUF file's `tokenizer.ggml.*` metadata, with llama.cpp's defaults
    /// for absent keys (BPE: bos = eos = 11 if in range, add_bos per pre-tokenizer, add_eos false).
    public convenience init(gguf: GGUFFile) throws {
        do {
            let model = try gguf.string(GGUFKey.tokenizerModel)
            guard TokenizerError.supportedModels.contains(model) else { throw TokenizerError.unsupportedModel(model) }
            let pre = try gguf.optional(GGUFKey.tokenizerPre, gguf.string)
            guard let kind = PreTokenizerKind(name: pre) else {
                throw TokenizerError.unsupportedPreTokenizer(pre ?? "default")
            }
            let tokens = try gguf.stringArray(GGUFKey.tokens)
            let types = try gguf.optional(GGUFKey.tokenTypes, gguf.intArray) ?? Array(repeating: 1, count: tokens.count)
            let merges = try gguf.stringArray(GGUFKey.merges)
            let special = try Self.specialTokens(gguf, vocabularySize: tokens.count, kind: kind)
            try self.init(tokens: tokens, tokenTypes: types, merges: merges, pre: kind.name, special: special)
        } catch let error as GGUFError {
            throw TokenizerError.metadata(error)
        }
    }

    private static func specialTokens(_ gguf: GGUFFile, vocabularySize: Int, kind: PreTokenizerKind) throws -> SpecialTokens {
        // An id the file sets outside the vocabulary is ignored (llama.cpp warns and keeps the default).
        func id(_ key: String, default fallback: Int32? = nil) throws -> Int32? {
            let inRange = { (id: Int) in (0..<vocabularySize).contains(id) }
            let fallback = fallback.flatMap { inRange(Int($0)) ? $0 : nil }
            guard let value = try gguf.optional(key, gguf.int), inRange(value) else { return fallback }
            return Int32(value)
        }
        var special = SpecialTokens(
            bos: try id(GGUFKey.bosTokenID, default: 11), eos: try id(GGUFKey.eosTokenID, default: 11),
            eot: try id(GGUFKey.eotTokenID), eom: try id(GGUFKey.eomTokenID),
            unknown: try id(GGUFKey.unknownTokenID), padding: try id(GGUFKey.paddingTokenID),
            addBOS: try gguf.optional(GGUFKey.addBOS, gguf.bool) ?? kind.addsBOSByDefault,
            addEOS: try gguf.optional(GGUFKey.addEOS, gguf.bool) ?? false)
        special.fimPrefix = try id(GGUFKey.fimPrefixTokenID)
        special.fimSuffix = try id(GGUFKey.fimSuffixTokenID)
        special.fimMiddle = try id(GGUFKey.fimMiddleTokenID)
        special.fimPad = try id(GGUFKey.fimPadTokenID)
        special.fimRepo = try id(GGUFKey.fimRepoTokenID)
        special.fimSeparator = try id(GGUFKey.fimSeparatorTokenID)
        return special
    }
}
