import Testing
@testable import Tokenizer

/// BPE, special-token matching and rendering on vocabularies small enough to reason about by hand.
struct HandcraftedVocabTests {
    // Token ids: 0...255 are the bytes; extra tokens follow from 256.
    @Test func mergesApplyLowestRankFirst() throws {
        // "ab" (rank 0) beats "bc" (rank 1): "abc" → "ab" + "c", then "ab c" (rank 2) → "abc".
        let tokenizer = try tinyTokenizer(extra: ["ab", "bc", "abc"], merges: ["a b", "b c", "ab c"])
        #expect(tokenizer.encode("abc") == [258])
        let reversed = try tinyTokenizer(extra: ["ab", "bc"], merges: ["b c", "a b"])
        #expect(reversed.encode("abc") == [97, 257])  // "a" + "bc"
    }

    @Test func equalRanksMergeLeftmostFirst() throws {
        let tokenizer = try tinyTokenizer(extra: ["aa"], merges: ["a a"])
        #expect(tokenizer.encode("aaa") == [256, 97])
        #expect(tokenizer.encode("aaaa") == [256, 256])
    }

    @Test func mergesWorkOnByteLevelText() throws {
        // " a" is written "Ġa" in a byte-level vocabulary.
        let tokenizer = try tinyTokenizer(extra: ["Ġa"], merges: ["Ġ a"])
        #expect(tokenizer.encode("a a") == [97, 256])
        #expect(tokenizer.decode([97, 256]) == Array("a a".utf8))
    }

    @Test func symbolsOutsideTheVocabularyFallBackToASCIIBytes() throws {
        // "xy" and "é" merge into strings that are not tokens; llama.cpp then looks up each UTF-8 byte of
        // the byte-level text as a token, which finds printable ASCII only.
        let e = ByteLevel.encode("é".utf8)
        let tokenizer = try tinyTokenizer(merges: ["x y", "\(e.prefix(1)) \(e.dropFirst())"])
        #expect(tokenizer.encode("xy") == [120, 121])
        #expect(tokenizer.encode("é") == [])
    }

    @Test func controlTokensMatchLongestFirst() throws {
        let tokenizer = try tinyTokenizer(special: ["<a>", "<a><b>", "<b>"])
        // ids: <a> 256, <a><b> 257, <b> 258
        #expect(tokenizer.encode("x<a><b><a>y<b>") == [120, 257, 256, 121, 258])
        #expect(tokenizer.encode("<a><b>", parseSpecial: false) == Array("<a><b>".utf8).map(Int32.init))
    }

    @Test func userDefinedTokensMatchEvenWithoutParsingSpecial() throws {
        let tokenizer = try tinyTokenizer(userDefined: ["<tool>"])
        #expect(tokenizer.encode("a<tool>b", parseSpecial: false) == [97, 256, 98])
        #expect(tokenizer.piece(256, special: false) == Array("<tool>".utf8))
    }

    @Test func addSpecialAddsOnlyWhatTheModelAsksFor() throws {
        let tokens = (0..<256).map { ByteLevel.string(of: UInt8($0)) } + ["<s>", "</s>"]
        let types = Array(repeating: 1, count: 256) + [3, 3]
        let plain = try Tokenizer(tokens: tokens, tokenTypes: types, merges: [], pre: "gpt-2",
                                  special: SpecialTokens(bos: 256, eos: 257))
        #expect(plain.encode("a") == [97])
        let both = try Tokenizer(tokens: tokens, tokenTypes: types, merges: [], pre: "gpt-2",
                                 special: SpecialTokens(bos: 256, eos: 257, addBOS: true, addEOS: true))
        #expect(both.encode("a") == [256, 97, 257])
        #expect(both.encode("a", addSpecial: false) == [97])
        #expect(both.encode("") == [256, 257])
        #expect(both.endOfGenerationIDs == [257])  // eos, and "</s>" by text
    }

    @Test func endOfGenerationFollowsLlamaCpp() throws {
        let tokenizer = try tinyTokenizer(special: ["<|endoftext|>", "<|im_start|>", "<|im_end|>", "<reponame>", "<|eom_id|>"])
        #expect(tokenizer.endOfGenerationIDs == [256, 258, 259, 260])
        #expect(tokenizer.specialTokens.eom == 260)
        #expect(tokenizer.specialTokens.fimRepo == 259)
    }

    @Test func piecesRenderByTokenType() throws {
        let bytes = (0..<256).map { ByteLevel.string(of: UInt8($0)) }
        let tokens = bytes + ["<0x41>", "ĠĠunused", "<ctl>", ""]
        let types = Array(repeating: 1, count: 256) + [6, 5, 3, 1]
        let tokenizer = try Tokenizer(tokens: tokens, tokenTypes: types, merges: [], pre: "gpt-2", special: SpecialTokens())
        #expect(tokenizer.piece(256) == [0x41])          // byte token
        #expect(tokenizer.piece(257) == [])              // unused renders as nothing
        #expect(tokenizer.piece(258) == Array("<ctl>".utf8))
        #expect(tokenizer.piece(258, special: false) == [])
        #expect(tokenizer.tokenText(259) == "[EMPTY_259]")
        #expect(tokenizer.piece(32) == [0x20] && tokenizer.tokenText(32) == "Ġ")
    }

    @Test func llama3EmitsWholeWordsWithoutMerging() throws {
        // No merge leads to "hello", but the word is a vocabulary entry: llama3 takes it whole.
        let bytes = (0..<256).map { ByteLevel.string(of: UInt8($0)) }
        let tokens = bytes + ["hello", "<|begin_of_text|>"]
        let types = Array(repeating: 1, count: 257) + [3]
        let llama3 = try Tokenizer(tokens: tokens, tokenTypes: types, merges: [], pre: "llama-bpe",
                                   special: SpecialTokens(bos: 257, addBOS: true))
        #expect(llama3.encode("hello") == [257, 256])
        let gpt2 = try Tokenizer(tokens: tokens, tokenTypes: types, merges: [], pre: "gpt-2", special: SpecialTokens())
        #expect(gpt2.encode("hello") == Array("hello".utf8).map(Int32.init))
    }

    @Test func byteLevelMapIsGPT2s() {
        #expect(ByteLevel.string(of: 0x20) == "Ġ")
        #expect(ByteLevel.string(of: 0x0A) == "Ċ")
        #expect(ByteLevel.string(of: 0x41) == "A")
        #expect(ByteLevel.string(of: 0xAD) == "Ń")
        #expect(ByteLevel.string(of: 0xA0) == "ł")
        #expect(ByteLevel.string(of: 0x00) == "Ā")
        let all = (0..<256).map { UInt8($0) }
        #expect(ByteLevel.decode(ByteLevel.encode(all)) == all)
        #expect(ByteLevel.decode("é ") == nil)  // raw space is not in the alphabet
    }
}
