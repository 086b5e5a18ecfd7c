import Foundation
import GGUF
import TestSupport
@testable import Tokenizer

/// The test model's tokenizer, loaded once for all tests.
enum ModelTokenizer {
    private static let loaded: Result<Tokenizer, any Error> = Result {
        try Tokenizer(gguf: GGUFFile(path: TestPaths.model))
    }

    static func load() throws -> Tokenizer { try loaded.get() }
}

/// llama.cpp's tokenize.json for the 6 reference prompts.
struct ReferenceTokenization: Decodable, Sendable {
    struct Piece: Decodable, Sendable {
        let id: Int32
        let piece_hex: String
    }

    let prompt: String
    let prompt_utf8_hex: String
    let ids_default: [Int32]
    let ids_no_bos: [Int32]
    let pieces: [Piece]

    static func loadAll() throws -> [ReferenceTokenization] {
        struct File: Decodable { let prompts: [ReferenceTokenization] }
        let url = TestPaths.refs.appendingPathComponent("tokenize.json")
        return try JSONDecoder().decode(File.self, from: Data(contentsOf: url)).prompts
    }
}

func bytes(hex: String) -> [UInt8] {
    var result: [UInt8] = []
    var index = hex.startIndex
    while index < hex.endIndex {
        let next = hex.index(index, offsetBy: 2)
        result.append(UInt8(hex[index..<next], radix: 16) ?? 0)
        index = next
    }
    return result
}

/// "id 'piece'" lines for a failure message.
func describe(_ ids: [Int32], with tokenizer: Tokenizer) -> String {
    ids.map { "\($0) \(String(decoding: tokenizer.piece($0), as: UTF8.self).debugDescription)" }
        .joined(separator: ", ")
}

/// Words of a pre-tokenizer split, as strings.
func words(_ text: String, pre: String) throws -> [String] {
    guard let kind = PreTokenizerKind(name: pre) else { throw TokenizerError.unsupportedPreTokenizer(pre) }
    let utf8 = Array(text.utf8)
    return PreTokenizer(kind: kind).split(utf8[...]).map { String(decoding: utf8[$0], as: UTF8.self) }
}

/// A tiny vocabulary: every byte as a normal token (GPT-2 style), then `extra` normal tokens,
/// then `special` control tokens.
func tinyTokenizer(extra: [String] = [], merges: [String] = [], special: [String] = [], userDefined: [String] = [],
                   pre: String = "gpt-2") throws -> Tokenizer {
    let bytes = (0..<256).map { ByteLevel.string(of: UInt8($0)) }
    let tokens = bytes + extra + special + userDefined
    let types = Array(repeating: 1, count: bytes.count + extra.count) + Array(repeating: 3, count: special.count)
        + Array(repeating: 4, count: userDefined.count)
    return try Tokenizer(tokens: tokens, tokenTypes: types, merges: merges, pre: pre, special: SpecialTokens())
}

/// What decode(encode(text)) must give: the UTF-8 of `text` without the bytes that have no token of
/// their own (llama.cpp drops those; SmolLM2 lacks 04 06 13 14 16 1D C0 C1 F1 F2 F5-FF).
func expectedRoundTrip(_ text: String, _ tokenizer: Tokenizer) -> [UInt8] {
    text.utf8.filter { tokenizer.vocabulary.id(of: ByteLevel.string(of: $0)) != nil }
}
