/// GPT-2 byte-level BPE over one pre-token word, following llama.cpp's llm_tokenizer_bpe_session:
/// start from one symbol per byte, repeatedly merge the adjacent pair with the lowest merge rank
/// (ties: leftmost first), then map each final symbol to its token.
///
/// Every string that can occur as a symbol (each single byte, both sides and the result of every merge,
/// every vocabulary entry) is interned to an integer id when the table is built, so the merge loop
/// compares and hashes integers only.
struct BytePairEncoder: Sendable {
    struct Merge: Sendable {
        let rank: Int32
        let result: Int32
    }

    /// (left symbol id << 32 | right symbol id) → the merge.
    private let merges: [UInt64: Merge]
    /// Symbol id of each single byte.
    private let byteSymbols: [Int32]
    /// Symbol id → token id (-1: the string is not a vocabulary entry).
    private let tokenOfSymbol: [Int32]
    /// Token whose text is exactly this one ASCII character (-1 if none): llama.cpp's fallback for a
    /// final symbol that is not in the vocabulary looks up each UTF-8 byte of the symbol's byte-level
    /// text as a one-byte string, which only ever finds printable ASCII; other bytes are dropped.
    private let asciiTokens: [Int32]

    /// - Parameters:
    ///   - tokens: vocabulary entries as stored (byte-level strings; special tokens verbatim).
    ///   - merges: "left right" strings, rank = index.
    init(tokens: [String], merges: [String]) {
        var ids: [String: Int32] = [:]
        ids.reserveCapacity(tokens.count + merges.count)
        func intern(_ s: String) -> Int32 {
            if let id = ids[s] { return id }
            let id = Int32(clamping: ids.count)
            ids[s] = id
            return id
        }
        var tokenOf: [Int32: Int32] = [:]
        for (index, text) in tokens.enumerated() where tokenOf[intern(text)] == nil {
            tokenOf[intern(text)] = Int32(index)
        }
        byteSymbols = (0..<256).map { intern(ByteLevel.string(of: UInt8($0))) }

        var table: [UInt64: Merge] = [:]
        table.reserveCapacity(merges.count)
        for (rank, line) in merges.enumerated() {
            guard let (left, right) = Self.splitMerge(line) else { continue }
            let key = UInt64(UInt32(bitPattern: intern(left))) << 32 | UInt64(UInt32(bitPattern: intern(right)))
            // The first (lowest-rank) occurrence of a pair wins, as with llama.cpp's map emplace.
            if table[key] == nil {
                table[key] = Merge(rank: Int32(clamping: rank), result: intern(left + right))
            }
        }
        self.merges = table

        var tokenOfSymbol = [Int32](repeating: -1, count: ids.count)
        for (symbol, token) in tokenOf { tokenOfSymbol[Int(symbol)] = token }
        self.tokenOfSymbol = tokenOfSymbol

        var asciiTokens = [Int32](repeating: -1, count: 128)
        for byte in 0x21...0x7E {
            if let symbol = ids[String(UnicodeScalar(UInt8(byte)))] { asciiTokens[byte] = tokenOfSymbol[Int(symbol)] }
        }
        self.asciiTokens = asciiTokens
    }

    /// Splits "left right" at the first space after the first byte (llama.cpp: `find(' ', 1)`).
    private static func splitMerge(_ line: String) -> (String, String)? {
        let utf8 = line.utf8
        guard utf8.count > 1,
              let space = utf8.dropFirst().firstIndex(of: 0x20) else { return nil }
        let left = String(line[..<space])
        let right = String(line[line.index(after: space)...])
        return (left, right)
    }

    /// Appends the tokens of one word (raw bytes) to `output`.
    func encode(_ word: ArraySlice<UInt8>, into output: inout [Int32], scratch: inout BPEScratch) {
        guard !word.isEmpty else { return }
        if word.count == 1 {
            appendSymbol(byteSymbols[Int(word[word.startIndex])], bytes: word, into: &output)
            return
        }
        scratch.reset(word: word, byteSymbols: byteSymbols)
        for i in 1..<word.count { considerPair(i - 1, i, scratch: &scratch) }

        while let candidate = scratch.queue.pop() {
            let left = Int(candidate.left)
            let right = Int(candidate.right)
            // Stale when either side has been merged since the pair was queued.
            guard scratch.symbols[left].id == candidate.leftID,
                  scratch.symbols[right].id == candidate.rightID else { continue }
            scratch.merge(left, right, into: candidate.result)
            let prev = Int(scratch.symbols[left].prev)
            let next = Int(scratch.symbols[left].next)
            if prev >= 0 { considerPair(prev, left, scratch: &scratch) }
            if next >= 0 { considerPair(left, next, scratch: &scratch) }
        }

        var index = 0
        while index >= 0 {
            let symbol = scratch.symbols[index]
            let start = word.startIndex + Int(symbol.start)
            appendSymbol(symbol.id, bytes: word[start..<(start + Int(symbol.length))], into: &output)
            index = Int(symbol.next)
        }
    }

    @inline(__always)
    private func considerPair(_ left: Int, _ right: Int, scratch: inout BPEScratch) {
        let leftID = scratch.symbols[left].id
        let rightID = scratch.symbols[right].id
        let key = UInt64(UInt32(bitPattern: leftID)) << 32 | UInt64(UInt32(bitPattern: rightID))
        guard let merge = merges[key] else { return }
        scratch.queue.push(PairCandidate(rank: merge.rank, left: Int32(left), right: Int32(right),
                                         leftID: leftID, rightID: rightID, result: merge.result))
    }

    private func appendSymbol(_ symbol: Int32, bytes: ArraySlice<UInt8>, into output: inout [Int32]) {
        let token = tokenOfSymbol[Int(symbol)]
        if token >= 0 {
            output.append(token)
            return
        }
        for byte in bytes where byte < 0x80 && asciiTokens[Int(byte)] >= 0 {
            output.append(asciiTokens[Int(byte)])
        }
    }
}
