import Testing
@testable import Tokenizer

/// SentencePiece rules on tiny vocabularies, where the expected ids follow from the rules by hand.
struct SentencePieceTests {
    /// ids: 0 `<unk>`, 1 `<s>`, 2 `</s>`, then (with `byteTokens`) 3...258 `<0x00>`...`<0xFF>`, then `pieces`
    /// in order (spaces written as `▁`).
    private func tokenizer(_ pieces: [(String, Float)], byteTokens: Bool = true, unknown: Bool = true,
                           addSpacePrefix: Bool = true) throws -> Tokenizer {
        let hex = Array("0123456789ABCDEF")
        let bytes = byteTokens ? (0..<256).map { "<0x\(hex[$0 >> 4])\(hex[$0 & 15])>" } : []
        let tokens = ["<unk>", "<s>", "</s>"] + bytes + pieces.map(\.0)
        let types = [2, 3, 3] + Array(repeating: 6, count: bytes.count) + Array(repeating: 1, count: pieces.count)
        let scores = [0, 0, 0] + Array(repeating: 0, count: bytes.count) + pieces.map(\.1)
        let special = SpecialTokens(bos: 1, eos: 2, unknown: unknown ? 0 : nil, addBOS: true)
        return try Tokenizer(sentencePieceTokens: tokens, tokenTypes: types, scores: scores, special: special,
                             addSpacePrefix: addSpacePrefix)
    }

    private func id(_ t: Tokenizer, _ text: String) -> Int32 { t.tokenID(of: text) ?? -1 }

    @Test func mergesFollowScoresNotOrder() throws {
        // "abc": both "ab" and "bc" are entries; the higher score merges first, ties go to the left pair.
        let bcWins = try tokenizer([("a", 0), ("b", 0), ("c", 0), ("ab", 1), ("bc", 2)], addSpacePrefix: false)
        #expect(bcWins.encode("abc", addSpecial: false) == [id(bcWins, "a"), id(bcWins, "bc")])
        let abWins = try tokenizer([("a", 0), ("b", 0), ("c", 0), ("ab", 3), ("bc", 2)], addSpacePrefix: false)
        #expect(abWins.encode("abc", addSpecial: false) == [id(abWins, "ab"), id(abWins, "c")])
        let tie = try tokenizer([("a", 0), ("b", 0), ("c", 0), ("bc", 2), ("ab", 2)], addSpacePrefix: false)
        #expect(tie.encode("abc", addSpecial: false) == [id(tie, "ab"), id(tie, "c")])
        // A merge only happens when the concatenation is an entry: "abc" is, but only via "ab" or "bc".
        let whole = try tokenizer([("a", 0), ("b", 0), ("c", 0), ("ab", 1), ("abc", 5)], addSpacePrefix: false)
        #expect(whole.encode("abc", addSpecial: false) == [id(whole, "abc")])
    }

    @Test func spacesBecomeEscapedAndAPrefixIsAdded() throws {
        let t = try tokenizer([("\u{2581}", 0), ("a", 0), ("\u{2581}a", 1), ("\u{2581}\u{2581}", 1)])
        #expect(t.encode("a a") == [1, id(t, " a"), id(t, " a")])
        #expect(t.encode(" a", addSpecial: false) == [id(t, "  "), id(t, "a")])
        #expect(t.encode("", addSpecial: true) == [1])
        #expect(t.encode("", addSpecial: false) == [])
    }

    @Test func addSpacePrefixFalseAddsNoSpace() throws {
        let t = try tokenizer([("\u{2581}", 0), ("a", 0), ("\u{2581}a", 1)], addSpacePrefix: false)
        #expect(t.encode("a a", addSpecial: false) == [id(t, "a"), id(t, " a")])
        #expect(t.decode(t.encode("a a", addSpecial: false), stripSpacePrefix: true) == Array("a a".utf8))
    }

    @Test func textAfterASpecialTokenGetsThePrefixAgain() throws {
        let t = try tokenizer([("\u{2581}", 0), ("a", 0), ("\u{2581}a", 1)])
        #expect(t.encode("a</s>a", addSpecial: false) == [id(t, " a"), 2, id(t, " a")])
        #expect(t.encode("a</s>a", addSpecial: false, parseSpecial: false).contains(2) == false)
    }

    @Test func charactersOutsideTheVocabularyFallBackToByteTokens() throws {
        let t = try tokenizer([("\u{2581}", 0), ("a", 0)])
        // "é" is C3 A9, "😀" F0 9F 98 80; byte token of value b has id 3 + b.
        let fallback: [Int32] = [0xC3, 0xA9, 0xF0, 0x9F, 0x98, 0x80].map { 3 + $0 }
        #expect(t.encode("é😀", addSpecial: false) == [id(t, " ")] + fallback)
        #expect(t.decode(t.encode("é😀", addSpecial: false), stripSpacePrefix: true) == Array("é😀".utf8))
        // As in llama_detokenize, a leading BOS (rendered or not) takes the strip, so the space stays.
        #expect(t.decode(t.encode("é😀"), special: false, stripSpacePrefix: true) == Array(" é😀".utf8))
        #expect(t.piece(3 + 0xC3) == [0xC3])
    }

    @Test func withoutByteTokensTheUnknownTokenStandsIn() throws {
        let t = try tokenizer([("\u{2581}", 0), ("a", 0)], byteTokens: false)
        #expect(t.encode("aé", addSpecial: false) == [id(t, " "), id(t, "a"), 0, 0])
        let noUnknown = try tokenizer([("\u{2581}", 0), ("a", 0)], byteTokens: false, unknown: false)
        #expect(noUnknown.encode("aé", addSpecial: false) == [id(noUnknown, " "), id(noUnknown, "a")])
        // `<unk>` renders as its text only when special tokens are asked for.
        #expect(t.decode([0]) == Array("<unk>".utf8) && t.decode([0], special: false) == [])
    }

    @Test func decodingRemovesOnlyTheAddedSpace() throws {
        let t = try tokenizer([("\u{2581}", 0), ("a", 0), ("\u{2581}a", 1)])
        let ids = t.encode(" a", addSpecial: false)
        #expect(t.decode(ids) == Array("  a".utf8))
        #expect(t.decode(ids, stripSpacePrefix: true) == Array(" a".utf8))
    }

    @Test func streamingDecodeJoinsByteTokensIntoCharacters() throws {
        let t = try tokenizer([("\u{2581}", 0), ("a", 0), ("\u{2581}a", 1)])
        var decoder = StreamingDecoder(tokenizer: t)
        #expect(decoder.append(id(t, " a")) == " a")
        let emoji = Array("😀".utf8).map { 3 + Int32($0) }
        #expect(emoji.map { decoder.append($0) } == ["", "", "", "😀"])
        #expect(decoder.append(3 + 0xC3) == "")
        #expect(decoder.append(3 + 0xA9) == "é")
        #expect(decoder.append(3 + 0xE6) == "")
        #expect(decoder.flush() == "\u{FFFD}")
    }
}
