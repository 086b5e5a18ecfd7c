/// How a `tokenizer.ggml.pre` value splits text into words before BPE, following llama.cpp's
/// llm_tokenizer_bpe constructor: a list of regexes applied in sequence, each splitting every fragment
/// left by the previous one into its matches *and* the gaps between them.
/// Each regex is implemented here as a hand-written scanner over code points (no regex engine).
enum SplitStage: Sendable {
    /// `\p{N}`: every number code point alone.
    case isolateNumbers
    /// `\p{N}+`: runs of number code points.
    case numberRuns
    /// `[\p{P}\$\+<=>\^~\|]+`: runs of punctuation and those ASCII symbols.
    case punctuationRuns
    /// ``[\p{P}\$\+<=>\^~\|`]+``: the same with the backtick (Falcon).
    case punctuationRunsWithBacktick
    /// `[0-9][0-9][0-9]`: ASCII digit triples, left to right.
    case asciiDigitTriples
    /// `'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)` (GPT-2).
    case gpt2
    /// `(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+`
    case llama3
    /// Llama 3's regex with `\p{N}` (one digit) in place of `\p{N}{1,3}` (Qwen 2).
    case qwen2
}

/// A supported pre-tokenizer: its split stages and the vocabulary flags llama.cpp ties to it.
struct PreTokenizerKind: Sendable {
    let name: String
    let stages: [SplitStage]
    /// A word that is itself a vocabulary entry is emitted whole, without running merges (llama.cpp `ignore_merges`).
    let ignoreMerges: Bool
    /// BOS is added unless `tokenizer.ggml.add_bos_token` says otherwise.
    let addsBOSByDefault: Bool

    /// Pre-tokenizer names accepted (llama.cpp's names; those sharing a regex set share an entry).
    static let supportedNames: [String] = families.flatMap(\.names)

    /// Every name llama_vocab::impl::load maps onto one of these regex sets, except those it also gives
    /// behaviour Baton lacks: a cleared BOS (chatglm-bpe, glm4), an added SEP (jina-v1-en, jina-v2-code,
    /// roberta-bpe) or a newline pre-split (laguna).
    private static let families: [(names: [String], stages: [SplitStage], ignoreMerges: Bool, addsBOS: Bool)] = [
        (["smollm", "starcoder", "refact", "command-r", "codeshell", "exaone", "minerva-7b", "mellum2"],
         [.isolateNumbers, .gpt2], false, false),
        (["gpt-2", "phi-2", "mpt", "olmo", "jais", "exaone4", "jina-es", "jina-de", "gigachat", "a.x-4.0", "mellum",
          "trillion", "granite-docling", "jina-v2-es", "jina-v2-de", "modern-bert"], [.gpt2], false, false),
        (["llama3", "llama-v3", "llama-bpe", "falcon3", "falcon-h1", "pixtral", "midm-2.0", "lfm2", "jina-v5-nano"],
         [.llama3], true, true),
        (["dbrx", "smaug-bpe"], [.llama3], false, false),
        (["qwen2", "deepseek-r1-qwen", "kormo", "f2llmv2", "megrez", "stablelm2", "hunyuan", "solar-open", "grok-2"],
         [.qwen2], false, false),
        (["falcon"], [.punctuationRunsWithBacktick, .gpt2, .asciiDigitTriples], false, false),
        (["default"], [.punctuationRuns, .gpt2, .numberRuns, .asciiDigitTriples], false, false),
    ]

    /// The kind for a `tokenizer.ggml.pre` value; a missing value means "default", as in llama.cpp.
    init?(name: String?) {
        let name = name ?? "default"
        guard let family = Self.families.first(where: { $0.names.contains(name) }) else { return nil }
        self.name = name
        stages = family.stages
        ignoreMerges = family.ignoreMerges
        addsBOSByDefault = family.addsBOS
    }
}

/// Splits a UTF-8 fragment into pre-token words (as byte ranges).
struct PreTokenizer: Sendable {
    let kind: PreTokenizerKind

    /// Byte ranges of the words of `bytes`, in order, covering it completely.
    func split(_ bytes: ArraySlice<UInt8>) -> [Range<Int>] {
        guard !bytes.isEmpty else { return [] }
        let text = ScalarText(utf8: bytes)
        var fragments = [0..<text.count]
        var next: [Range<Int>] = []
        for stage in kind.stages {
            next.removeAll(keepingCapacity: true)
            next.reserveCapacity(fragments.count * 2)
            for fragment in fragments {
                Self.apply(stage, to: text, fragment, into: &next)
            }
            swap(&fragments, &next)
        }
        let base = bytes.startIndex
        return fragments.map { (base + text.offsets[$0.lowerBound])..<(base + text.offsets[$0.upperBound]) }
    }

    static func apply(_ stage: SplitStage, to text: ScalarText, _ range: Range<Int>, into out: inout [Range<Int>]) {
        switch stage {
        case .isolateNumbers:
            splitRuns(text, range, into: &out, isolating: true) { $1.contains(.number) }
        case .numberRuns:
            splitRuns(text, range, into: &out, isolating: false) { $1.contains(.number) }
        case .punctuationRuns:
            splitRuns(text, range, into: &out, isolating: false) { scalar, cls in
                cls.contains(.punctuation) || Self.defaultRegexSymbols.contains(scalar)
            }
        case .punctuationRunsWithBacktick:
            splitRuns(text, range, into: &out, isolating: false) { scalar, cls in
                cls.contains(.punctuation) || Self.defaultRegexSymbols.contains(scalar) || scalar == 0x60
            }
        case .asciiDigitTriples:
            splitDigitTriples(text, range, into: &out)
        case .gpt2:
            WordScanner.gpt2(text, range, into: &out)
        case .llama3:
            WordScanner.llama3(text, range, into: &out)
        case .qwen2:
            WordScanner.llama3(text, range, into: &out, maxDigits: 1)
        }
    }

    /// `$ + < = > ^ ~ |`, the ASCII symbols the default regex adds to `\p{P}`.
    private static let defaultRegexSymbols: Set<UInt32> = [0x24, 0x2B, 0x3C, 0x3D, 0x3E, 0x5E, 0x7E, 0x7C]

    /// Emits matches of a one-code-point class (each alone when `isolating`, else as runs) and the gaps.
    private static func splitRuns(_ text: ScalarText, _ range: Range<Int>, into out: inout [Range<Int>],
                                  isolating: Bool, _ matches: (UInt32, CodepointClass) -> Bool) {
        var start = range.lowerBound
        var pos = range.lowerBound
        while pos < range.upperBound {
            guard matches(text.scalars[pos], text.classes[pos]) else { pos += 1; continue }
            if pos > start { out.append(start..<pos) }
            var end = pos + 1
            if !isolating {
                while end < range.upperBound && matches(text.scalars[end], text.classes[end]) { end += 1 }
            }
            out.append(pos..<end)
            start = end
            pos = end
        }
        if start < range.upperBound { out.append(start..<range.upperBound) }
    }

    private static func splitDigitTriples(_ text: ScalarText, _ range: Range<Int>, into out: inout [Range<Int>]) {
        func isDigit(_ i: Int) -> Bool { i < range.upperBound && (0x30...0x39).contains(text.scalars[i]) }
        var start = range.lowerBound
        var pos = range.lowerBound
        while pos < range.upperBound {
            if isDigit(pos) && isDigit(pos + 1) && isDigit(pos + 2) {
                if pos > start { out.append(start..<pos) }
                out.append(pos..<(pos + 3))
                pos += 3
                start = pos
            } else {
                pos += 1
            }
        }
        if start < range.upperBound { out.append(start..<range.upperBound) }
    }
}
