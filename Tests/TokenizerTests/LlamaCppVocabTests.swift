import Foundation
import GGUF
import Testing
import TestSupport
@testable import Tokenizer

/// One case of llama.cpp's tokenizer test files: the input and the ids test-tokenizer-0 expects.
struct VocabCase: Sendable {
    let text: String
    let ids: [Int32]
}

/// Why a vocabulary could not be loaded; says what to run.
struct MissingVocabulary: Error, CustomStringConvertible {
    let path: String
    var description: String { "\(path) is missing or unreadable: run scripts/fetch-vocab.sh (scripts/setup.sh runs it)" }
}

/// llama.cpp's vocabularies and their cases, read as tests/test-tokenizer-0.cpp reads them.
enum LlamaCppVocab {
    static func tokenizer(_ name: String) throws -> Tokenizer {
        let path = TestPaths.vocabulary(name)
        guard FileManager.default.fileExists(atPath: path) else { throw MissingVocabulary(path: path) }
        return try Tokenizer(gguf: GGUFFile(path: path))
    }

    /// Inputs are separated by "\n__ggml_vocab_test__\n" (a trailing separator ends the last one);
    /// output line i holds the space-separated ids of input i.
    static func cases(_ name: String) throws -> [VocabCase] {
        let base = TestPaths.vocabulary(name)
        guard let input = FileManager.default.contents(atPath: base + ".inp"),
              let output = FileManager.default.contents(atPath: base + ".out") else {
            throw MissingVocabulary(path: base + ".inp/.out")
        }
        let texts = split(String(decoding: input, as: UTF8.self), separator: "\n__ggml_vocab_test__\n")
        var lines = String(decoding: output, as: UTF8.self).components(separatedBy: "\n")
        if lines.last == "" { lines.removeLast() }  // getline yields no line after the final newline
        guard texts.count == lines.count else {
            throw CaseCountMismatch(inputs: texts.count, outputs: lines.count)
        }
        return zip(texts, lines).map { text, line in
            VocabCase(text: text, ids: line.split(separator: " ").compactMap { Int32($0) })
        }
    }

    struct CaseCountMismatch: Error { let inputs: Int, outputs: Int }

    /// llama.cpp's loop: pieces between separators; the text after the last separator only if non-empty.
    private static func split(_ raw: String, separator: String) -> [String] {
        var pieces = raw.components(separatedBy: separator)
        if pieces.last == "" { pieces.removeLast() }
        return pieces
    }
}

/// Token-exact agreement with llama.cpp's own tokenizer test cases (add_special false, parse_special false).
struct LlamaCppVocabTests {
    @Test("every llama.cpp test case tokenizes to the expected ids and decodes back to its bytes",
          arguments: ["llama-spm", "llama-bpe", "qwen2", "gpt-2", "starcoder", "refact", "command-r", "mpt", "phi-3",
                     "falcon"])
    func fixtureCases(_ name: String) throws {
        let tokenizer = try LlamaCppVocab.tokenizer(name)
        let cases = try LlamaCppVocab.cases(name)
        #expect(cases.count == 46)
        var passed = 0
        for test in cases {
            let ids = tokenizer.encode(test.text, addSpecial: false, parseSpecial: false)
            #expect(ids == test.ids, """
                \(name): \(test.text.debugDescription)
                expected: \(describe(test.ids, with: tokenizer))
                actual:   \(describe(ids, with: tokenizer))
                """)
            if ids == test.ids { passed += 1 }
            let decoded = tokenizer.decode(test.ids, stripSpacePrefix: true)
            let shown = String(decoding: decoded, as: UTF8.self).debugDescription
            #expect(decoded == Array(test.text.utf8), "\(name): \(test.text.debugDescription) decodes to \(shown)")
        }
        #expect(passed == cases.count, "\(name): \(passed) of \(cases.count) cases match llama.cpp")
    }

    @Test func llamaSPMFacts() throws {
        let tokenizer = try LlamaCppVocab.tokenizer("llama-spm")
        #expect(tokenizer.modelName == "llama" && tokenizer.vocabularySize == 32000)
        #expect(tokenizer.bos == 1 && tokenizer.eos == 2 && tokenizer.addBOS)
        #expect(tokenizer.endOfGenerationIDs == [2])
        #expect(tokenizer.encode("Hello world") == [1, 15043, 3186])
        // Special tokens written in the text are cut out; the text after each gets the space prefix again.
        #expect(tokenizer.encode("<s>Hello</s>world", addSpecial: false) == [1, 15043, 2, 3186])
        #expect(tokenizer.tokenID(of: " Hello") == 15043 && tokenizer.tokenID(of: "<0x0A>") == 13)
        #expect(tokenizer.piece(15043) == Array(" Hello".utf8) && tokenizer.piece(13) == [0x0A])
        #expect(tokenizer.decode([1, 15043, 3186], special: false) == Array(" Hello world".utf8))
    }

    @Test func sentencePieceEncodingIsFast() throws {
        // SentencePiece merges over a whole fragment at once (no words), so a long prompt is one heap.
        let tokenizer = try LlamaCppVocab.tokenizer("llama-spm")
        let paragraph = "The quick brown fox jumps over the lazy dog; 1234 times! Ünïcödé, 日本語, emoji 😀.\n"
        let text = String(repeating: paragraph, count: 80)  // about 7 KB
        var ids: [Int32] = []
        let elapsed = ContinuousClock().measure { ids = tokenizer.encode(text, addSpecial: false) }
        #expect(tokenizer.decode(ids, stripSpacePrefix: true) == Array(text.utf8))
        #expect(elapsed < .seconds(2), "encoding \(text.utf8.count) bytes took \(elapsed)")
        print("SentencePiece encode: \(text.utf8.count) bytes → \(ids.count) tokens in \(elapsed)")
    }

    @Test func endOfGenerationFromMetadataAndTokenTexts() throws {
        // llama-bpe: eos <|end_of_text|> and <|eot_id|>; qwen2: eos <|endoftext|>, <|im_end|>, and the
        // ordinary token "</s>" (128247), which llama.cpp's list of end texts catches too.
        #expect(try LlamaCppVocab.tokenizer("llama-bpe").endOfGenerationIDs == [128001, 128009])
        let qwen = try LlamaCppVocab.tokenizer("qwen2")
        #expect(qwen.endOfGenerationIDs == [151643, 151645, 128247])
        #expect(qwen.preTokenizerName == "qwen2" && !qwen.addBOS)
        #expect(qwen.encode("<|im_start|>user\n12345<|im_end|>")
            == [151644, 872, 198, 16, 17, 18, 19, 20, 151645])
    }
}
