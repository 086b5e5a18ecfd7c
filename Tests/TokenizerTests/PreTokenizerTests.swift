import Testing
@testable import Tokenizer

/// The hand-written scanners split like llama.cpp's regex implementations.
struct PreTokenizerTests {
    @Test func smollmSplitsEveryDigit() throws {
        #expect(try words("abc123 4,5", pre: "smollm") == ["abc", "1", "2", "3", " ", "4", ",", "5"])
        // Non-ASCII numbers (Arabic-Indic digits, superscripts, fractions, roman numerals) too.
        #expect(try words("x١٢²½Ⅻ", pre: "smollm") == ["x", "١", "٢", "²", "½", "Ⅻ"])
    }

    @Test func gpt2KeepsNumberRuns() throws {
        #expect(try words("abc123 456", pre: "gpt-2") == ["abc", "123", " 456"])
    }

    @Test func contractionsAreCaseSensitiveInGPT2() throws {
        #expect(try words("I'm we'll they've I'd it's", pre: "gpt-2")
            == ["I", "'m", " we", "'ll", " they", "'ve", " I", "'d", " it", "'s"])
        #expect(try words("DON'T", pre: "gpt-2") == ["DON", "'", "T"])
        #expect(try words("'", pre: "gpt-2") == ["'"])
        #expect(try words("x'r", pre: "gpt-2") == ["x", "'", "r"])
    }

    @Test func contractionsIgnoreCaseInLlama3() throws {
        #expect(try words("DON'T we'LL", pre: "llama-bpe") == ["DON", "'T", " we", "'LL"])
    }

    @Test func whitespaceRunsLeaveOneSpaceForTheNextWord() throws {
        #expect(try words("a   b", pre: "gpt-2") == ["a", "  ", " b"])
        #expect(try words("a  ", pre: "gpt-2") == ["a", "  "])
        #expect(try words(" ", pre: "gpt-2") == [" "])
        #expect(try words("a \n b", pre: "gpt-2") == ["a", " \n", " b"])
        #expect(try words("\t\tx", pre: "gpt-2") == ["\t", "\t", "x"])
        // Non-ASCII White_Space counts as whitespace; U+200B (a format character) does not.
        #expect(try words("a\u{3000}\u{A0}b\u{200B}c", pre: "gpt-2") == ["a", "\u{3000}", "\u{A0}", "b", "\u{200B}", "c"])
    }

    @Test func punctuationRunsTakeOneLeadingSpace() throws {
        #expect(try words("hi!!! ?? (x)", pre: "gpt-2") == ["hi", "!!!", " ??", " (", "x", ")"])
        #expect(try words("😀👍 中文", pre: "gpt-2") == ["😀👍", " 中文"])
    }

    @Test func llama3GroupsDigitsByThreeAndKeepsLineBreaks() throws {
        #expect(try words("12345", pre: "llama3") == ["123", "45"])
        #expect(try words("a\n\nb", pre: "llama3") == ["a", "\n\n", "b"])
        #expect(try words("x  \n  y", pre: "llama3") == ["x", "  \n", " ", " y"])
        #expect(try words("(hello) ...\n", pre: "llama3") == ["(hello", ")", " ...\n"])
        #expect(try words("a ", pre: "llama3") == ["a", " "])
    }

    @Test func defaultAppliesFourRegexesInSequence() throws {
        // [\p{P}$+<=>^~|]+, then GPT-2, then \p{N}+, then [0-9]{3}.
        #expect(try words("Hello, world!!! 1234", pre: "default") == ["Hello", ",", " world", "!!!", " ", "123", "4"])
        #expect(try words("a+b", pre: "default") == ["a", "+", "b"])
    }

    @Test func splitsCoverTheTextExactly() throws {
        let text = "Mixed: 12 ünïcödé\t\t😀 \n\n  end  "
        for pre in ["smollm", "gpt-2", "llama3", "qwen2", "default"] {
            #expect(try words(text, pre: pre).joined() == text, "\(pre)")
            #expect(try words(text, pre: pre).allSatisfy { !$0.isEmpty }, "\(pre)")
        }
    }

    @Test func qwen2IsLlama3WithSingleDigits() throws {
        #expect(try words("abc 12345 x٣٤", pre: "qwen2") == ["abc", " ", "1", "2", "3", "4", "5", " x", "٣", "٤"])
        #expect(try words("abc 12345 x٣٤", pre: "llama3") == ["abc", " ", "123", "45", " x", "٣٤"])
        #expect(try words("DON'T\n\n  go", pre: "qwen2") == ["DON", "'T", "\n\n", " ", " go"])
        for name in ["deepseek-r1-qwen", "megrez", "stablelm2", "hunyuan", "grok-2"] {
            #expect(try words("a 12", pre: name) == ["a", " ", "1", "2"], "\(name)")
        }
    }

    @Test func falconIsolatesBackticksLikePunctuation() throws {
        #expect(try words("a `b 1234", pre: "falcon") == ["a", " ", "`", "b", " ", "123", "4"])
        #expect(try words("a `b 1234", pre: "default") == ["a", " `", "b", " ", "123", "4"])
    }

    @Test func unknownPreTokenizerIsRejected() {
        #expect(PreTokenizerKind(name: "chatglm-bpe") == nil)
        #expect(PreTokenizerKind(name: nil)?.name == "default")
    }
}
