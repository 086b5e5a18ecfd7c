/// One symbol of a word being merged: a byte range of the word, linked to its neighbours.
struct BPESymbol {
    var id: Int32
    var start: Int32
    var length: Int32
    var prev: Int32
    var next: Int32
}

/// A mergeable adjacent pair, ordered by rank then by left position (llama.cpp's llm_bigram_bpe order).
struct PairCandidate: Precedence {
    var rank: Int32
    var left: Int32
    var right: Int32
    var leftID: Int32
    var rightID: Int32
    var result: Int32

    @inline(__always)
    func precedes(_ other: PairCandidate) -> Bool {
        rank < other.rank || (rank == other.rank && left < other.left)
    }
}

/// Buffers reused across the words of one encode call.
struct BPEScratch {
    var symbols: [BPESymbol] = []
    var queue = PrecedenceHeap<PairCandidate>()

    /// One symbol per byte, chained in order.
    mutating func reset(word: ArraySlice<UInt8>, byteSymbols: [Int32]) {
        symbols.removeAll(keepingCapacity: true)
        queue.removeAll()
        let count = word.count
        var i = 0
        for byte in word {
            symbols.append(BPESymbol(id: byteSymbols[Int(byte)], start: Int32(i), length: 1,
                                     prev: Int32(i - 1), next: i + 1 == count ? -1 : Int32(i + 1)))
            i += 1
        }
    }

    /// Merges `right` into `left`; `right` is marked dead (id -1) so queued pairs naming it go stale.
    mutating func merge(_ left: Int, _ right: Int, into result: Int32) {
        symbols[left].id = result
        symbols[left].length += symbols[right].length
        let next = symbols[right].next
        symbols[left].next = next
        symbols[right].id = -1
        symbols[right].length = 0
        if next >= 0 { symbols[Int(next)].prev = Int32(left) }
    }
}
