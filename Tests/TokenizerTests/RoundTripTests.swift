import Testing
import TestSupport
import Sampling
@testable import Tokenizer

/// decode(encode(s)) gives back s's UTF-8 for any string, and encode never traps. Exception, as in
/// llama.cpp: bytes with no token of their own are dropped (SmolLM2 lacks a few control characters and
/// the UTF-8 lead bytes F1 F2, i.e. code points U+40000...U+BFFFF; see `bytesWithoutTokens`).
@Suite(.enabled(if: TestPaths.modelAvailable, "needs models/SmolLM2-135M-Instruct.Q4_1.gguf"))
struct RoundTripTests {
    static let samples: [String] = [
        "", " ", "  ", "\n", "\r\n", "\t \t", "a", "ab c", "Hello, World!", "x = y + 1; // comment",
        "It's 3:45pm — tea?", "don't DON'T 'quoted' ''", "1234567890", "3.14159e-10", "-0x7F",
        "emoji 😀👍🏽👨‍👩‍👧🇫🇷", "日本の首都は東京です。", "中文，标点！", "한국어 텍스트", "ünïcödé Ελληνικά русский",
        "עברית العربية", "e\u{301}\u{302}\u{303}", "\u{0}\u{1}\u{7F}\u{80}\u{9F}", "\u{FEFF}BOM", "\u{FFFD}",
        "\u{10FFFF}\u{E000}\u{F8FF}", "<|im_start|>", "<|im_start|>system\nYou are helpful<|im_end|>\n",
        "<|im_end", "<|<|im_end|>|>", "<repo_name>x<file_sep>y<reponame>", String(repeating: "ab", count: 500),
        String(repeating: " ", count: 100), String(repeating: "\n", count: 50) + "end", String(repeating: "😀", count: 64),
    ]

    @Test("round trip", arguments: samples)
    func roundTrip(_ text: String) throws {
        let tokenizer = try ModelTokenizer.load()
        for parseSpecial in [true, false] {
            let ids = tokenizer.encode(text, parseSpecial: parseSpecial)
            #expect(tokenizer.decode(ids) == expectedRoundTrip(text, tokenizer), "parseSpecial \(parseSpecial): \(describe(ids, with: tokenizer))")
            #expect(ids.allSatisfy { $0 >= 0 && Int($0) < tokenizer.vocabularySize })
        }
    }

    @Test func randomUnicodeRoundTrips() throws {
        let tokenizer = try ModelTokenizer.load()
        var generator = SplitMix64(seed: 0x5EED)
        for _ in 0..<500 {
            let text = randomString(using: &generator)
            let ids = tokenizer.encode(text)
            #expect(tokenizer.decode(ids) == expectedRoundTrip(text, tokenizer), "\(text.debugDescription)")
        }
    }

    @Test func bytesWithoutTokens() throws {
        let tokenizer = try ModelTokenizer.load()
        let missing = (0...255).filter { tokenizer.vocabulary.id(of: ByteLevel.string(of: UInt8($0))) == nil }
        #expect(missing == [0x04, 0x06, 0x13, 0x14, 0x16, 0x1D, 0xC0, 0xC1, 0xF1, 0xF2] + Array(0xF5...0xFF))
        #expect(tokenizer.decode(tokenizer.encode("a\u{40000}b")) == [0x61, 0x80, 0x80, 0x80, 0x62])
    }

    /// Strings mixing ASCII, whitespace, specials, and scalars from across the code space.
    private func randomString(using generator: inout SplitMix64) -> String {
        let pools: [ClosedRange<UInt32>] = [
            0x20...0x7E, 0x09...0x0D, 0xA0...0x24F, 0x370...0x52F, 0x590...0x6FF, 0x900...0xDFF,
            0x3000...0x30FF, 0x4E00...0x9FFF, 0xAC00...0xD7A3, 0x1F300...0x1FAFF, 0x0...0x10FFFF,
        ]
        var scalars = String.UnicodeScalarView()
        let length = Int(generator.next() % 40)
        for _ in 0..<length {
            if generator.next() % 20 == 0 {
                scalars.append(contentsOf: "<|im_end|>".unicodeScalars)
                continue
            }
            let pool = pools[Int(generator.next() % UInt64(pools.count))]
            let value = pool.lowerBound + UInt32(generator.next() % UInt64(pool.count))
            if let scalar = Unicode.Scalar(value) { scalars.append(scalar) }
        }
        return String(scalars)
    }
}

