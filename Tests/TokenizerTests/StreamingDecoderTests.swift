import Testing
import TestSupport
@testable import Tokenizer

/// The streaming decoder never emits a broken character and loses nothing.
struct StreamingDecoderTests {
    /// A vocabulary of the 256 single bytes, so any byte sequence can be fed token by token.
    private func byteTokenizer() throws -> Tokenizer { try tinyTokenizer() }

    private func feed(_ bytes: [UInt8], to decoder: inout StreamingDecoder) -> [String] {
        bytes.map { decoder.append(Int32($0)) }
    }

    @Test func holdsBackPartialSequencesUntilComplete() throws {
        var decoder = StreamingDecoder(tokenizer: try byteTokenizer())
        let emoji = Array("😀".utf8)
        #expect(feed(Array(emoji.prefix(3)), to: &decoder) == ["", "", ""])
        #expect(decoder.append(Int32(emoji[3])) == "😀")
        #expect(feed(Array("a日".utf8), to: &decoder) == ["a", "", "", "日"])
        #expect(decoder.flush() == "")
    }

    @Test func invalidBytesBecomeReplacementCharactersImmediately() throws {
        var decoder = StreamingDecoder(tokenizer: try byteTokenizer())
        #expect(decoder.append(0x80) == "\u{FFFD}")           // stray continuation byte
        #expect(decoder.append(0xFF) == "\u{FFFD}")           // never valid
        #expect(feed([0xE0, 0x80], to: &decoder) == ["", "\u{FFFD}\u{FFFD}"])  // overlong prefix
        #expect(feed([0xED, 0xA0], to: &decoder) == ["", "\u{FFFD}\u{FFFD}"])  // surrogate prefix
        #expect(feed([0xC3, 0x41], to: &decoder) == ["", "\u{FFFD}A"])         // interrupted sequence
    }

    @Test func flushReplacesAnUnfinishedSequence() throws {
        var decoder = StreamingDecoder(tokenizer: try byteTokenizer())
        #expect(feed([0x61, 0xF0, 0x9F], to: &decoder) == ["a", "", ""])
        #expect(decoder.flush() == "\u{FFFD}")
        #expect(decoder.flush() == "")
        #expect(decoder.append(0x62) == "b")
    }

    @Test func incompleteSuffixLength() {
        #expect(StreamingDecoder.incompleteSuffixLength([]) == 0)
        #expect(StreamingDecoder.incompleteSuffixLength([0x61]) == 0)
        #expect(StreamingDecoder.incompleteSuffixLength([0x61, 0xE6]) == 1)
        #expect(StreamingDecoder.incompleteSuffixLength([0xE6, 0x97]) == 2)
        #expect(StreamingDecoder.incompleteSuffixLength([0xE6, 0x97, 0xA5]) == 0)
        #expect(StreamingDecoder.incompleteSuffixLength([0xF0, 0x9F, 0x98]) == 3)
        #expect(StreamingDecoder.incompleteSuffixLength([0xF4, 0x90]) == 0)  // above U+10FFFF
        #expect(StreamingDecoder.incompleteSuffixLength([0x80, 0x80, 0x80]) == 0)
    }

    @Test(.enabled(if: TestPaths.modelAvailable, "needs the test model"),
          arguments: ["emoji 😀👍🏽 family 👨‍👩‍👧 flag 🇫🇷", "日本の首都は東京です。", "ünïcödé ελληνικά", "<|im_start|>hi<|im_end|>"])
    func modelTokensStreamToTheSameText(_ text: String) throws {
        let tokenizer = try ModelTokenizer.load()
        let ids = tokenizer.encode(text)
        // Real multi-byte characters are split over several byte-level tokens here.
        var decoder = StreamingDecoder(tokenizer: tokenizer)
        var chunks = ids.map { decoder.append($0) }
        chunks.append(decoder.flush())
        #expect(chunks.joined() == text)
        #expect(!chunks.joined().unicodeScalars.contains("\u{FFFD}"))
    }

    @Test(.enabled(if: TestPaths.modelAvailable, "needs the test model"))
    func japanesePromptSplitsCharactersAcrossTokens() throws {
        // 日本の首都は: llama.cpp gives 11 tokens for 6 characters, several of them partial UTF-8.
        let tokenizer = try ModelTokenizer.load()
        let ids = tokenizer.encode("日本の首都は")
        #expect(ids.contains { String(validating: tokenizer.piece($0), as: UTF8.self) == nil })
        var decoder = StreamingDecoder(tokenizer: tokenizer, renderSpecial: false)
        let chunks = ids.map { decoder.append($0) } + [decoder.flush()]
        #expect(chunks.joined() == "日本の首都は")
        #expect(chunks.filter { !$0.isEmpty }.count <= 6)
    }

    @Test(.enabled(if: TestPaths.modelAvailable, "needs the test model"))
    func controlTokensCanBeSilenced() throws {
        let tokenizer = try ModelTokenizer.load()
        var decoder = StreamingDecoder(tokenizer: tokenizer, renderSpecial: false)
        #expect(decoder.append(2) == "")
        var rendering = StreamingDecoder(tokenizer: tokenizer)
        #expect(rendering.append(2) == "<|im_end|>")
    }
}
