import Testing
@testable import Tokenizer

/// llama.cpp strips whitespace around some special tokens, chosen by model name (no GGUF key says so).
struct SpecialTokenStripTests {
    /// 0 `<unk>`, 1 `<s>`, 2 `</s>`, 3 `<|user|>`, 4 `<|end|>`, 5 `▁`, 6 `a`, 7 `▁a`, 8 `\n`.
    private func phiLike(name: String?) throws -> Tokenizer {
        let tokens = ["<unk>", "<s>", "</s>", "<|user|>", "<|end|>", "\u{2581}", "a", "\u{2581}a", "\n"]
        return try Tokenizer(sentencePieceTokens: tokens, tokenTypes: [2, 3, 3, 3, 3, 1, 1, 1, 1],
                             scores: [0, 0, 0, 0, 0, 0, 0, 1, 0], special: SpecialTokens(bos: 1, eos: 2, unknown: 0),
                             names: ModelNames(name: name))
    }

    @Test func phi3SpecialTokensSwallowTheWhitespaceAfterThem() throws {
        let phi = try phiLike(name: "Phi3 Mini 4K Instruct")
        // "\n a" after <|user|> is stripped to "a", which then gets the space prefix; </s> strips too.
        #expect(phi.encode("<|user|>\n a<|end|>", addSpecial: false) == [3, 7, 4])
        #expect(phi.encode("</s>  a", addSpecial: false) == [2, 7])
        // <s> is exempt, so its following space stays: "  a" → "▁▁a" → ▁ ▁a.
        #expect(phi.encode("<s> a", addSpecial: false) == [1, 5, 7])
        // Without the name nothing is stripped: "\n a" → "▁\n▁a".
        let plain = try phiLike(name: "Llama 2")
        #expect(plain.encode("<|user|>\n a<|end|>", addSpecial: false) == [3, 5, 8, 7, 4])
    }

    @Test func maskTokensSwallowTheWhitespaceBeforeThem() throws {
        let tokens = (0..<256).map { ByteLevel.string(of: UInt8($0)) } + ["<mask>"]
        let types = Array(repeating: 1, count: 256) + [3]
        let jina = try Tokenizer(tokens: tokens, tokenTypes: types, merges: [], pre: "jina-v2-es", special: SpecialTokens())
        #expect(jina.encode("a  <mask>") == [97, 256])
        let gpt2 = try Tokenizer(tokens: tokens, tokenTypes: types, merges: [], pre: "gpt-2", special: SpecialTokens())
        #expect(gpt2.encode("a  <mask>") == [97, 32, 32, 256])
    }
}
