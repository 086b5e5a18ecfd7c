import GGUF

extension Tokenizer {
    /// Builds the tokenizer from a GGUF file's `tokenizer.ggml.*` metadata, with llama.cpp's defaults
    /// for absent keys (BPE: bos = eos = 11 if in range, add_bos per pre-tokenizer, add_eos false;
    /// SentencePiece: bos 1, eos 2, unknown 0, add_bos true, add_space_prefix true, scores 0).
    public convenience init(gguf: GGUFFile) throws {
        do {
            let model = try gguf.string(GGUFKey.tokenizerModel)
            switch model {
            case "gpt2": try self.init(bytePairGGUF: gguf)
            case "llama": try self.init(sentencePieceGGUF: gguf)
            default: throw TokenizerError.unsupportedModel(model)
            }
        } catch let error as GGUFError {
            throw TokenizerError.metadata(error)
        }
    }

    private convenience init(bytePairGGUF gguf: GGUFFile) throws {
        let pre = try gguf.optional(GGUFKey.tokenizerPre, gguf.string)
        guard let kind = PreTokenizerKind(name: pre) else { throw TokenizerError.unsupportedPreTokenizer(pre ?? "default") }
        let tokens = try gguf.stringArray(GGUFKey.tokens)
        let types = try gguf.optional(GGUFKey.tokenTypes, gguf.intArray) ?? Array(repeating: 1, count: tokens.count)
        let merges = try gguf.stringArray(GGUFKey.merges)
        let defaults = SpecialTokens(bos: 11, eos: 11, addBOS: kind.addsBOSByDefault)
        let special = try Self.specialTokens(gguf, vocabularySize: tokens.count, defaults: defaults)
        // llama.cpp forces add_space_prefix off for BPE, then lets the file turn it back on (decoding only).
        let addSpacePrefix = try gguf.optional(GGUFKey.addSpacePrefix, gguf.bool) ?? false
        try self.init(tokens: tokens, tokenTypes: types, merges: merges, pre: kind.name, special: special,
                      addSpacePrefix: addSpacePrefix, names: try Self.names(gguf))
    }

    private convenience init(sentencePieceGGUF gguf: GGUFFile) throws {
        // tokenizer.ggml.pre is ignored: llama.cpp gives every SentencePiece vocabulary the default one.
        let tokens = try gguf.stringArray(GGUFKey.tokens)
        let types = try gguf.optional(GGUFKey.tokenTypes, gguf.intArray) ?? Array(repeating: 1, count: tokens.count)
        let scores = try Self.scores(gguf) ?? []
        guard scores.isEmpty || scores.count >= tokens.count else {
            throw TokenizerError.scoreCountMismatch(tokens: tokens.count, scores: scores.count)
        }
        let defaults = SpecialTokens(bos: 1, eos: 2, unknown: 0, addBOS: true)
        let special = try Self.specialTokens(gguf, vocabularySize: tokens.count, defaults: defaults)
        let addSpacePrefix = try gguf.optional(GGUFKey.addSpacePrefix, gguf.bool) ?? true
        try self.init(sentencePieceTokens: tokens, tokenTypes: types, scores: scores, special: special,
                      addSpacePrefix: addSpacePrefix, names: try Self.names(gguf))
    }

    private static func names(_ gguf: GGUFFile) throws -> ModelNames {
        ModelNames(name: try gguf.optional(GGUFKey.name, gguf.string), pre: try gguf.optional(GGUFKey.tokenizerPre, gguf.string),
                   architecture: try gguf.optional(GGUFKey.architecture, gguf.string))
    }

    /// `tokenizer.ggml.scores` (llama.cpp accepts float32 or int32 arrays), nil when absent.
    private static func scores(_ gguf: GGUFFile) throws -> [Float]? {
        guard let value = try gguf.optional(GGUFKey.scores, gguf.value) else { return nil }
        guard case .array(let type, let items) = value, type == .float32 || type == .int32 else {
            throw GGUFError.wrongKeyType(key: GGUFKey.scores, expected: "an array of float32 or int32", found: value.type)
        }
        // Every item has the array's declared type, so each converts; anything else would count as 0.
        return items.map { Float($0.double ?? 0) }
    }

    /// Special ids from the file over `defaults`; flags from the file over the defaults' flags.
    private static func specialTokens(_ gguf: GGUFFile, vocabularySize: Int, defaults: SpecialTokens) throws -> SpecialTokens {
        // An id the file sets outside the vocabulary is ignored (llama.cpp warns and keeps the default).
        func id(_ key: String, default fallback: Int32? = nil) throws -> Int32? {
            let inRange = { (id: Int) in (0..<vocabularySize).contains(id) }
            let fallback = fallback.flatMap { inRange(Int($0)) ? $0 : nil }
            guard let value = try gguf.optional(key, gguf.int), inRange(value) else { return fallback }
            return Int32(value)
        }
        var special = SpecialTokens(
            bos: try id(GGUFKey.bosTokenID, default: defaults.bos), eos: try id(GGUFKey.eosTokenID, default: defaults.eos),
            eot: try id(GGUFKey.eotTokenID), eom: try id(GGUFKey.eomTokenID),
            unknown: try id(GGUFKey.unknownTokenID, default: defaults.unknown), padding: try id(GGUFKey.paddingTokenID),
            addBOS: try gguf.optional(GGUFKey.addBOS, gguf.bool) ?? defaults.addBOS,
            addEOS: try gguf.optional(GGUFKey.addEOS, gguf.bool) ?? defaults.addEOS)
        special.fimPrefix = try id(GGUFKey.fimPrefixTokenID)
        special.fimSuffix = try id(GGUFKey.fimSuffixTokenID)
        special.fimMiddle = try id(GGUFKey.fimMiddleTokenID)
        special.fimPad = try id(GGUFKey.fimPadTokenID)
        special.fimRepo = try id(GGUFKey.fimRepoTokenID)
        special.fimSeparator = try id(GGUFKey.fimSeparatorTokenID)
        return special
    }
}
