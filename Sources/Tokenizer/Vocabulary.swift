/// How normal and byte tokens spell their bytes.
enum PieceStyle: Sendable {
    /// GPT-2 byte-level strings (`tokenizer.ggml.model` = gpt2).
    case byteLevel
    /// SentencePiece: text with U+2581 `▁` for each space, bytes as `<0xXX>` tokens (model = llama).
    case sentencePiece
}

/// Token texts, attributes and rendered pieces, plus the special-token bookkeeping derived from them.
struct Vocabulary: Sendable {
    let texts: [String]
    let attributes: [TokenAttributes]
    /// Raw bytes of each token as llama_token_to_piece(special: true) renders it.
    let pieces: [[UInt8]]
    /// Entry bytes → id. Keyed by bytes, not String: Swift compares strings by canonical equivalence,
    /// so "ί" U+1F77 and "ί" U+03AF (both in Llama 2's vocabulary) would collide; llama.cpp compares bytes.
    let idOfBytes: [ArraySlice<UInt8>: Int32]
    let special: SpecialTokens
    let endOfGeneration: Set<Int32>

    init(tokens: [String], tokenTypes: [Int], special: SpecialTokens, style: PieceStyle = .byteLevel,
         names: ModelNames = ModelNames()) throws {
        guard !tokens.isEmpty else { throw TokenizerError.emptyVocabulary }
        guard tokens.count < Int(Int32.max) else { throw TokenizerError.vocabularyTooLarge(tokens.count) }
        guard tokenTypes.count >= tokens.count else {
            throw TokenizerError.tokenTypeCountMismatch(tokens: tokens.count, types: tokenTypes.count)
        }
        for (name, id) in special.named {
            if let id, !(0..<Int32(tokens.count)).contains(id) {
                throw TokenizerError.specialTokenOutOfRange(name: name, id: id, vocabularySize: tokens.count)
            }
        }
        if special.addBOS && special.bos == nil {
            throw TokenizerError.missingSpecialToken(flag: "add_bos_token", idKey: "bos_token_id")
        }
        if special.addEOS && special.eos == nil {
            throw TokenizerError.missingSpecialToken(flag: "add_eos_token", idKey: "eos_token_id")
        }

        // Empty entries get a placeholder text, as in llama.cpp, so that no token matches "".
        let texts = tokens.enumerated().map { $0.element.isEmpty ? "[EMPTY_\($0.offset)]" : $0.element }
        var idOfBytes: [ArraySlice<UInt8>: Int32] = [:]
        idOfBytes.reserveCapacity(texts.count)
        for (id, text) in texts.enumerated() {
            if let first = idOfBytes.updateValue(Int32(id), forKey: Array(text.utf8)[...]) {
                throw TokenizerError.duplicateToken(text: text, firstID: Int(first), secondID: id)
            }
        }

        var attributes = (0..<texts.count).map { TokenAttributes(tokenType: tokenTypes[$0]) }
        var special = special
        endOfGeneration = SpecialTokenDetection.apply(texts: texts, attributes: &attributes, special: &special)
        SpecialTokenStrip.apply(names, texts: texts, attributes: &attributes)
        self.texts = texts
        self.attributes = attributes
        self.idOfBytes = idOfBytes
        self.special = special
        pieces = (0..<texts.count).map { id in
            switch style {
            case .byteLevel: Self.renderPiece(texts[id], attributes[id])
            case .sentencePiece: Self.renderSentencePiece(texts[id], attributes[id])
            }
        }
    }

    var count: Int { texts.count }

    func contains(_ id: Int32) -> Bool { id >= 0 && Int(id) < texts.count }

    /// The id of the entry whose text has exactly these UTF-8 bytes.
    func id(of text: String) -> Int32? { idOfBytes[Array(text.utf8)[...]] }

    /// llama.cpp's token_to_piece for BPE vocabularies, with `special = true`.
    private static func renderPiece(_ text: String, _ attributes: TokenAttributes) -> [UInt8] {
        if !attributes.isDisjoint(with: [.unknown, .control, .userDefined]) { return Array(text.utf8) }
        if attributes.contains(.normal) { return ByteLevel.decodeLenient(text) }
        if attributes.contains(.byte) {
            // Byte tokens are spelled "<0xXX>"; anything else is read as byte-level text.
            if let byte = byteOfHexToken(text) { return [byte] }
            return ByteLevel.decodeLenient(text)
        }
        return []  // unused and undefined tokens render as nothing
    }

    /// llama.cpp's token_to_piece for SentencePiece vocabularies, with `special = true`: normal tokens
    /// with `▁` turned back into spaces, byte tokens as their one byte.
    private static func renderSentencePiece(_ text: String, _ attributes: TokenAttributes) -> [UInt8] {
        if !attributes.isDisjoint(with: [.unknown, .control, .userDefined]) { return Array(text.utf8) }
        if attributes.contains(.normal) { return SpaceEscape.unescape(text.utf8) }
        // llama.cpp parses the two hex digits of "<0xXX>"; a byte token spelled otherwise renders as nothing.
        if attributes.contains(.byte) { return byteOfHexToken(text).map { [$0] } ?? [] }
        return []
    }

    /// The byte of a "<0xXX>" token text, nil for any other text.
    static func byteOfHexToken(_ text: String) -> UInt8? {
        let utf8 = Array(text.utf8)
        guard utf8.count == 6, utf8.starts(with: Array("<0x".utf8)), utf8[5] == UInt8(ascii: ">") else { return nil }
        return UInt8(String(decoding: utf8[3..<5], as: UTF8.self), radix: 16)
    }
}
