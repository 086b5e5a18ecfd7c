import Foundation
import Testing
import TestSupport
@testable import Tokenizer

/// Token-exact agreement with llama.cpp on the test model.
@Suite(.enabled(if: TestPaths.modelAvailable, "needs models/SmolLM2-135M-Instruct.Q4_1.gguf"))
struct ReferenceTests {
    @Test("the 6 reference prompts tokenize exactly as llama-tokenize", arguments: 0..<6)
    func referencePrompt(_ index: Int) throws {
        let tokenizer = try ModelTokenizer.load()
        let reference = try ReferenceTokenization.loadAll()[index]
        let ids = tokenizer.encode(reference.prompt)
        #expect(ids == reference.ids_default, """
            prompt \(reference.prompt.debugDescription)
            expected: \(describe(reference.ids_default, with: tokenizer))
            actual:   \(describe(ids, with: tokenizer))
            """)
        #expect(tokenizer.encode(reference.prompt, addSpecial: false) == reference.ids_no_bos)
        #expect(tokenizer.decode(reference.ids_default) == bytes(hex: reference.prompt_utf8_hex))
        for piece in reference.pieces {
            #expect(tokenizer.piece(piece.id) == bytes(hex: piece.piece_hex), "piece of \(piece.id)")
        }
    }

    @Test("more strings tokenize exactly as llama-tokenize", arguments: llamaCppTokenizations)
    func extraFixture(_ fixture: LlamaCppTokenization) throws {
        let tokenizer = try ModelTokenizer.load()
        let ids = tokenizer.encode(fixture.text, parseSpecial: fixture.parseSpecial)
        #expect(ids == fixture.ids, """
            expected: \(describe(fixture.ids, with: tokenizer))
            actual:   \(describe(ids, with: tokenizer))
            """)
        #expect(tokenizer.decode(ids) == expectedRoundTrip(fixture.text, tokenizer))
    }

    @Test func modelFacts() throws {
        let tokenizer = try ModelTokenizer.load()
        #expect(tokenizer.vocabularySize == 49152)
        #expect(tokenizer.bos == 1)
        #expect(tokenizer.eos == 2)
        #expect(tokenizer.addBOS == false)
        #expect(tokenizer.preTokenizerName == "smollm")
        #expect(tokenizer.endOfGenerationIDs == [0, 2, 4])
        #expect(tokenizer.isEndOfGeneration(2) && !tokenizer.isEndOfGeneration(1) && !tokenizer.isEndOfGeneration(504))
        #expect(tokenizer.tokenID(of: "<|im_end|>") == 2)
        #expect(tokenizer.tokenID(of: "ĠFrance") == 4649)
        #expect(tokenizer.tokenID(of: " France") == 4649)
        #expect(tokenizer.tokenID(of: "no such token in the vocabulary") == nil)
    }

    @Test func specialTokensInText() throws {
        let tokenizer = try ModelTokenizer.load()
        #expect(tokenizer.encode("<|im_start|>user\nHi<|im_end|>") == [1, 4093, 198, 26843, 2])
        let literal = tokenizer.encode("<|im_start|>user\nHi<|im_end|>", parseSpecial: false)
        #expect(!literal.contains(1) && !literal.contains(2))
        #expect(tokenizer.decode(literal) == Array("<|im_start|>user\nHi<|im_end|>".utf8))
    }

    @Test func controlTokensRenderOnlyWhenAsked() throws {
        let tokenizer = try ModelTokenizer.load()
        #expect(tokenizer.piece(2) == Array("<|im_end|>".utf8))
        #expect(tokenizer.piece(2, special: false) == [])
        #expect(tokenizer.isControl(2) && !tokenizer.isControl(504))
        #expect(tokenizer.decode([504, 2], special: false) == Array("The".utf8))
    }

    @Test func outOfRangeIDsRenderAsNothing() throws {
        let tokenizer = try ModelTokenizer.load()
        #expect(tokenizer.piece(-1) == [])
        #expect(tokenizer.piece(49152) == [])
        #expect(tokenizer.decode([504, 1_000_000, -5]) == Array("The".utf8))
        #expect(tokenizer.tokenText(49152) == nil)
    }

    @Test func encodingIsFast() throws {
        let tokenizer = try ModelTokenizer.load()
        let paragraph = "The quick brown fox jumps over the lazy dog; 1234 times! Ünïcödé, 日本語, emoji 😀.\n"
        let text = String(repeating: paragraph, count: 80)  // about 7 KB
        let clock = ContinuousClock()
        var ids: [Int32] = []
        let elapsed = clock.measure { ids = tokenizer.encode(text) }
        #expect(tokenizer.decode(ids) == Array(text.utf8))
        // Milliseconds in release; a generous bound so debug builds on a loaded machine pass too.
        #expect(elapsed < .seconds(2), "encoding \(text.utf8.count) bytes took \(elapsed)")
        print("encode: \(text.utf8.count) bytes → \(ids.count) tokens in \(elapsed)")
    }
}
