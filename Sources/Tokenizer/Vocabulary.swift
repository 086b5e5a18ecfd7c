/// Token texts, attributes and rendered pieces, plus the special-token bookkeeping derived from them.
struct Vocabulary: Sendable {
    let texts: [String]
    let attributes: [TokenAttributes]
    /// Raw bytes of each token as llama_token_to_piece(special: true) renders it.
    let pieces: [[UInt8]]
    let idOfText: [String: Int32]
    let special: SpecialTokens
    let endOfGeneration: Set<Int32>

    init(tokens: [String], tokenTypes: [Int], special: SpecialTokens) throws {
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
        var idOfText: [String: Int32] = [:]
        idOfText.reserveCapacity(texts.count)
        for (id, text) in texts.enumerated() {
            if let first = idOfText.updateValue(Int32(id), forKey: text) {
                throw TokenizerError.duplicateToken(text: text, firstID: Int(first), secondID: id)
            }
        }

        var attributes = (0..<texts.count).map { TokenAttributes(tokenType: tokenTypes[$0]) }
        var special = special
        endOfGeneration = SpecialTokenDetection.apply(texts: texts, attributes: &attributes, special: &special)
        self.texts = texts
        self.attributes = attributes
        self.idOfText = idOfText
        self.special = special
        pieces = (0..<texts.count).map { Self.renderPiece(texts[$0], attributes[$0]) }
    }

    var count: Int { texts.count }

    func contains(_ id: Int32) -> Bool { id >= 0 && Int(id) < texts.count }

    /// llama.cpp's token_to_piece for BPE vocabularies, with `special = true`.
    private static func renderPiece(_ text: String, _ attributes: TokenAttributes) -> [UInt8] {
        if !attributes.isDisjoint(with: [.unknown, .control, .userDefined]) { return Array(text.utf8) }
        if attributes.contains(.normal) { return ByteLevel.decodeLenient(text) }
        if attributes.contains(.byte) {
            // Byte tokens are spelled "<0xXX>"; anything else is read as byte-level text.
            let utf8 = Array(text.utf8)
            if utf8.count == 6, utf8.starts(with: Array("<0x".utf8)), utf8[5] == UInt8(ascii: ">"),
               let byte = UInt8(String(decoding: utf8[3..<5], as: UTF8.self), radix: 16) {
                return [byte]
            }
            return ByteLevel.decodeLenient(text)
        }
        return []  // unused and undefined tokens render as nothing
    }
}
