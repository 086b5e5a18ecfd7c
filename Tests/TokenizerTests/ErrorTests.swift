import GGUF
import Testing
@testable import Tokenizer

/// Unsupported or malformed vocabularies fail with an error that says what is wrong.
struct ErrorTests {
    /// An in-memory GGUF file with the given tokenizer metadata.
    private func gguf(_ metadata: [(String, GGUFValue)]) throws -> GGUFFile {
        var writer = GGUFWriter()
        for (key, value) in metadata { writer.set(key, value) }
        let bytes = writer.bytes()
        return try bytes.withUnsafeBytes { try GGUFFile(bytes: $0) }
    }

    private func strings(_ values: [String]) -> GGUFValue { .array(.string, values.map { .string($0) }) }

    private func minimalMetadata(model: String = "gpt2", pre: String? = "gpt-2") -> [(String, GGUFValue)] {
        var metadata: [(String, GGUFValue)] = [
            (GGUFKey.tokenizerModel, .string(model)),
            (GGUFKey.tokens, strings(["a", "b", "ab", "<|endoftext|>"])),
            (GGUFKey.tokenTypes, .array(.int32, [1, 1, 1, 3].map { .int32($0) })),
            (GGUFKey.merges, strings(["a b"])),
            (GGUFKey.eosTokenID, .uint32(3)),
        ]
        if let pre { metadata.append((GGUFKey.tokenizerPre, .string(pre))) }
        return metadata
    }

    @Test func loadsFromGGUFMetadata() throws {
        let tokenizer = try Tokenizer(gguf: gguf(minimalMetadata()))
        #expect(tokenizer.encode("ab<|endoftext|>") == [2, 3])
        #expect(tokenizer.eos == 3)
        #expect(tokenizer.bos == nil)  // llama.cpp's default 11 is outside this vocabulary
        #expect(tokenizer.endOfGenerationIDs == [3])
    }

    @Test func unsupportedModelsAreRejectedByName() throws {
        let error = #expect(throws: TokenizerError.self) { try Tokenizer(gguf: gguf(minimalMetadata(model: "t5"))) }
        #expect(error == .unsupportedModel("t5"))
        #expect(error?.description.contains("'t5' (Unigram) is not supported") == true)
        #expect(error?.description.contains("gpt2") == true && error?.description.contains("llama") == true)
        #expect(throws: TokenizerError.unsupportedModel("bert")) { try Tokenizer(gguf: gguf(minimalMetadata(model: "bert"))) }
    }

    @Test func sentencePieceLoadsWithLlamaCppDefaults() throws {
        // No scores, bos/eos/unk ids, add_bos or add_space_prefix in the file: llama.cpp's SPM defaults apply.
        let metadata: [(String, GGUFValue)] = [
            (GGUFKey.tokenizerModel, .string("llama")),
            (GGUFKey.tokens, strings(["<unk>", "<s>", "</s>", "\u{2581}a"])),
            (GGUFKey.tokenTypes, .array(.int32, [2, 3, 3, 1].map { .int32($0) })),
        ]
        let tokenizer = try Tokenizer(gguf: gguf(metadata))
        #expect(tokenizer.modelName == "llama" && tokenizer.preTokenizerName == nil)
        #expect(tokenizer.bos == 1 && tokenizer.eos == 2 && tokenizer.specialTokens.unknown == 0 && tokenizer.addBOS)
        #expect(tokenizer.encode("a") == [1, 3])
        #expect(tokenizer.endOfGenerationIDs == [2])
    }

    @Test func sentencePieceScoresMustCoverTheVocabulary() throws {
        let metadata: [(String, GGUFValue)] = [
            (GGUFKey.tokenizerModel, .string("llama")),
            (GGUFKey.tokens, strings(["<unk>", "<s>", "</s>"])),
            (GGUFKey.scores, .array(.float32, [.float32(0)])),
        ]
        #expect(throws: TokenizerError.scoreCountMismatch(tokens: 3, scores: 1)) { try Tokenizer(gguf: gguf(metadata)) }
        let wrongType = [metadata[0], metadata[1], (GGUFKey.scores, strings(["x", "y", "z"]))]
        #expect(throws: TokenizerError.metadata(.wrongKeyType(key: GGUFKey.scores, expected: "an array of float32 or int32",
                                                               found: .array))) { try Tokenizer(gguf: gguf(wrongType)) }
    }

    @Test func unknownPreTokenizerIsRejectedWithTheSupportedList() throws {
        let error = #expect(throws: TokenizerError.self) { try Tokenizer(gguf: gguf(minimalMetadata(pre: "chatglm-bpe"))) }
        #expect(error == .unsupportedPreTokenizer("chatglm-bpe"))
        #expect(error?.description.contains("smollm") == true)
    }

    @Test func missingPreTokenizerMeansDefault() throws {
        #expect(try Tokenizer(gguf: gguf(minimalMetadata(pre: nil))).preTokenizerName == "default")
    }

    @Test func missingMergesIsAMetadataError() throws {
        let metadata = minimalMetadata().filter { $0.0 != GGUFKey.merges }
        #expect(throws: TokenizerError.metadata(.missingKey(GGUFKey.merges))) { try Tokenizer(gguf: gguf(metadata)) }
    }

    @Test func malformedVocabulariesAreRejected() {
        #expect(throws: TokenizerError.emptyVocabulary) {
            try Tokenizer(tokens: [], tokenTypes: [], merges: [], pre: "gpt-2", special: SpecialTokens())
        }
        #expect(throws: TokenizerError.tokenTypeCountMismatch(tokens: 2, types: 1)) {
            try Tokenizer(tokens: ["a", "b"], tokenTypes: [1], merges: [], pre: "gpt-2", special: SpecialTokens())
        }
        #expect(throws: TokenizerError.duplicateToken(text: "a", firstID: 0, secondID: 2)) {
            try Tokenizer(tokens: ["a", "b", "a"], tokenTypes: [1, 1, 1], merges: [], pre: "gpt-2", special: SpecialTokens())
        }
        #expect(throws: TokenizerError.specialTokenOutOfRange(name: "eos", id: 5, vocabularySize: 2)) {
            try Tokenizer(tokens: ["a", "b"], tokenTypes: [1, 1], merges: [], pre: "gpt-2", special: SpecialTokens(eos: 5))
        }
        #expect(throws: TokenizerError.missingSpecialToken(flag: "add_bos_token", idKey: "bos_token_id")) {
            try Tokenizer(tokens: ["a"], tokenTypes: [1], merges: [], pre: "gpt-2", special: SpecialTokens(addBOS: true))
        }
        #expect(throws: TokenizerError.unsupportedPreTokenizer("nope")) {
            try Tokenizer(tokens: ["a"], tokenTypes: [1], merges: [], pre: "nope", special: SpecialTokens())
        }
    }
}
