/// SentencePiece's space escape: vocabularies spell a space as U+2581 `▁` (UTF-8 E2 96 81).
enum SpaceEscape {
    static let escaped: [UInt8] = [0xE2, 0x96, 0x81]

    /// `bytes` with every ASCII space written as `▁` (llama_escape_whitespace), after an optional `▁` prefix.
    static func escape(_ bytes: ArraySlice<UInt8>, prefixSpace: Bool) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count + 8)
        if prefixSpace { out.append(contentsOf: escaped) }
        for byte in bytes {
            if byte == 0x20 { out.append(contentsOf: escaped) } else { out.append(byte) }
        }
        return out
    }

    /// `bytes` with every `▁` written as a space (llama_unescape_whitespace).
    static func unescape<C: Collection>(_ bytes: C) -> [UInt8] where C.Element == UInt8 {
        let input = Array(bytes)
        var out: [UInt8] = []
        out.reserveCapacity(input.count)
        var i = 0
        while i < input.count {
            if i + 2 < input.count, input[i] == 0xE2, input[i + 1] == 0x96, input[i + 2] == 0x81 {
                out.append(0x20)
                i += 3
            } else {
                out.append(input[i])
                i += 1
            }
        }
        return out
    }
}

/// SentencePiece (BPE by score) over one text fragment, following llama.cpp's llm_tokenizer_spm_session:
/// start from one symbol per UTF-8 character, repeatedly merge the adjacent pair whose concatenation is
/// the vocabulary entry with the highest score (ties: leftmost first), then emit each final symbol's
/// token, or its bytes as `<0xXX>` byte tokens when the symbol is not a vocabulary entry.
struct SentencePieceEncoder: Sendable {
    /// Entry bytes → id, byte-exact like llama.cpp's text_to_token (a String key would let "e" + U+0301
    /// find the entry "é").
    private let idOfBytes: [ArraySlice<UInt8>: Int32]
    private let scores: [Float]
    /// Token for each byte value when a symbol falls back to bytes (-1: none).
    private let byteTokens: [Int32]
    /// `tokenizer.ggml.add_space_prefix`: a space goes before the first fragment and every fragment
    /// that follows a special token.
    let addSpacePrefix: Bool

    /// - Parameters:
    ///   - scores: per token; missing entries count as 0 (llama.cpp's default when the file has none).
    init(vocabulary: Vocabulary, scores: [Float], addSpacePrefix: Bool) {
        idOfBytes = vocabulary.idOfBytes
        self.scores = scores
        self.addSpacePrefix = addSpacePrefix
        byteTokens = (0..<256).map { Self.byteToken(UInt8($0), vocabulary.idOfBytes, unknown: vocabulary.special.unknown) }
    }

    /// llama.cpp's byte_to_token for SentencePiece: `<0xXX>` (upper-case hex), else the byte as a
    /// one-character token. Where neither exists llama.cpp throws out of llama_tokenize; Baton emits the
    /// unknown token instead (nothing when there is none), so that hostile input cannot stop the server.
    private static func byteToken(_ byte: UInt8, _ idOfBytes: [ArraySlice<UInt8>: Int32], unknown: Int32?) -> Int32 {
        let hex = Array("0123456789ABCDEF".utf8)
        let spelled = Array("<0x".utf8) + [hex[Int(byte >> 4)], hex[Int(byte & 15)], UInt8(ascii: ">")]
        if let id = idOfBytes[spelled[...]] { return id }
        if let id = idOfBytes[[byte][...]] { return id }
        return unknown ?? -1
    }

    /// Appends the tokens of one fragment of raw text; `prefixSpace` adds the leading `▁`.
    func encode(_ fragment: ArraySlice<UInt8>, prefixSpace: Bool, into output: inout [Int32]) {
        let text = SpaceEscape.escape(fragment, prefixSpace: prefixSpace)
        guard !text.isEmpty else { return }
        var symbols = Self.characterSymbols(text)
        mergeByScore(text, &symbols)
        var index = 0
        while index >= 0 {
            emit(text, symbols[index], into: &output)
            index = symbols[index].next
        }
    }

    /// One symbol per UTF-8 character; the length comes from the lead byte alone, as in llama.cpp's
    /// unicode_len_utf8 (a stray continuation byte is a symbol of its own), clipped to the text.
    private static func characterSymbols(_ text: [UInt8]) -> [SPMSymbol] {
        var symbols: [SPMSymbol] = []
        symbols.reserveCapacity(text.count)
        var offset = 0
        while offset < text.count {
            let length = min(utf8Length(lead: text[offset]), text.count - offset)
            let index = symbols.count
            offset += length
            symbols.append(SPMSymbol(start: offset - length, length: length, prev: index - 1,
                                     next: offset == text.count ? -1 : index + 1))
        }
        return symbols
    }

    private static func utf8Length(lead: UInt8) -> Int {
        switch lead >> 4 {
        case 0xC, 0xD: 2
        case 0xE: 3
        case 0xF: 4
        default: 1
        }
    }

    /// The merge loop: the best-scoring pair first; a queued pair whose sides changed since is skipped.
    private func mergeByScore(_ text: [UInt8], _ symbols: inout [SPMSymbol]) {
        var queue = PrecedenceHeap<Bigram>()
        for right in symbols.indices.dropFirst() { tryAddBigram(text, symbols, right - 1, right, &queue) }
        while let bigram = queue.pop() {
            let left = bigram.left
            let right = bigram.right
            // llama.cpp's staleness test: either side emptied, or the sizes no longer add up.
            guard symbols[left].length > 0, symbols[right].length > 0,
                  symbols[left].length + symbols[right].length == bigram.size else { continue }
            symbols[left].length += symbols[right].length
            symbols[right].length = 0
            symbols[left].next = symbols[right].next
            if symbols[right].next >= 0 { symbols[symbols[right].next].prev = left }
            tryAddBigram(text, symbols, symbols[left].prev, left, &queue)
            tryAddBigram(text, symbols, left, symbols[left].next, &queue)
        }
    }

    /// Queues the pair when its concatenation is a vocabulary entry (any entry, control tokens included,
    /// as llama.cpp's text_to_token finds them all).
    private func tryAddBigram(_ text: [UInt8], _ symbols: [SPMSymbol], _ left: Int, _ right: Int,
                              _ queue: inout PrecedenceHeap<Bigram>) {
        guard left >= 0, right >= 0 else { return }
        let start = symbols[left].start
        let size = symbols[left].length + symbols[right].length
        guard let token = token(text[start..<(start + size)]) else { return }
        let score = Int(token) < scores.count ? scores[Int(token)] : 0
        queue.push(Bigram(score: score, left: left, right: right, size: size))
    }

    /// A final symbol: its token, else its bytes one by one. (llama.cpp first looks the text up among
    /// earlier merges to re-split it; every merged symbol is itself an entry, and an unmerged one is a
    /// single character that no merge of two symbols can spell, so that branch never applies.)
    private func emit(_ text: [UInt8], _ symbol: SPMSymbol, into output: inout [Int32]) {
        let bytes = text[symbol.start..<(symbol.start + symbol.length)]
        if let id = token(bytes) {
            output.append(id)
            return
        }
        for byte in bytes where byteTokens[Int(byte)] >= 0 { output.append(byteTokens[Int(byte)]) }
    }

    /// The entry spelled exactly by `bytes`.
    @inline(__always)
    private func token(_ bytes: ArraySlice<UInt8>) -> Int32? { idOfBytes[bytes] }
}

/// A run of the text being merged, linked to its neighbours; length 0 once merged into its left neighbour.
struct SPMSymbol {
    var start: Int
    var length: Int
    var prev: Int
    var next: Int
}

/// A candidate merge, ordered like llama.cpp's llm_bigram_spm: higher score first, then leftmost.
struct Bigram: Precedence {
    var score: Float
    var left: Int
    var right: Int
    /// Byte length of the merged text when queued, to detect stale entries.
    var size: Int

    @inline(__always)
    func precedes(_ other: Bigram) -> Bool {
        score > other.score || (score == other.score && left < other.left)
    }
}
