/// The list the chain works on, like llama.cpp's `llama_token_data_array`: parallel arrays of token ids
/// and logits. Logits are never NaN here (NaN becomes -∞ on the way in) so every comparison below is a
/// total order and the chain cannot be steered by a corrupt logit.
struct Candidates: Sendable, Equatable {
    var ids: [Int32]
    var logits: [Float]
    /// Ordered best first: logit descending, ties by ascending id. Steps that need this order reuse it.
    var isSorted: Bool

    var count: Int { ids.count }

    init(ids: [Int32], logits: [Float], isSorted: Bool = false) {
        self.ids = ids
        self.logits = logits.map(Self.sanitized)
        self.isSorted = isSorted
    }

    /// Every token of the vocabulary, id = index.
    init(allOf logits: UnsafeBufferPointer<Float>) {
        let n = logits.count
        // Plain loops into uninitialized storage: this runs on all 49152 entries whenever top-k is off.
        ids = [Int32](unsafeUninitializedCapacity: n) { out, count in
            for i in 0..<n { out[i] = Int32(truncatingIfNeeded: i) }
            count = n
        }
        self.logits = [Float](unsafeUninitializedCapacity: n) { out, count in
            for i in 0..<n { out[i] = Self.sanitized(logits[i]) }
            count = n
        }
        isSorted = n <= 1
    }

    /// The best `k` tokens of a whole vocabulary, sorted, without copying or sorting the rest.
    init(top k: Int, of logits: UnsafeBufferPointer<Float>) {
        let best = TopSelection.best(k, logits: logits, ids: nil)
        ids = best.ids
        self.logits = best.logits
        isSorted = true
    }

    /// Keeps only the entries at `positions` (in that order).
    mutating func keep(positions: some Collection<Int>, sorted: Bool) {
        ids = positions.map { ids[$0] }
        logits = positions.map { logits[$0] }
        isSorted = sorted
    }

    /// Sorts in place, or keeps only the best `k` (sorted) when `k` is smaller than the list.
    mutating func sortBest(_ k: Int) {
        let best = logits.withUnsafeBufferPointer { l in
            ids.withUnsafeBufferPointer { i in TopSelection.best(k, logits: l, ids: i) }
        }
        ids = best.ids
        logits = best.logits
        isSorted = true
    }

    static func sanitized(_ x: Float) -> Float { x.isNaN ? -.infinity : x }
}

/// Partial selection of the best `k` entries with a size-k min-heap whose root is the worst entry kept.
/// After the heap fills, almost every entry of a 49152-token vocabulary fails the single comparison with
/// the root, so the cost is one pass plus O(k log k) to order the winners, instead of a full sort.
enum TopSelection {
    struct Entry {
        var logit: Float
        var id: Int32
        /// Strict "ranks before": higher logit, or same logit and lower id.
        @inline(__always) func beats(_ o: Entry) -> Bool {
            logit > o.logit || (logit == o.logit && id < o.id)
        }
    }

    /// The best `k` entries (all of them if `k` ≥ count), best first. `ids == nil` means id = index.
    static func best(_ k: Int, logits: UnsafeBufferPointer<Float>, ids: UnsafeBufferPointer<Int32>?) -> (ids: [Int32], logits: [Float]) {
        let k = min(max(k, 0), logits.count)
        guard k > 0 else { return ([], []) }
        var heap: [Entry] = []
        heap.reserveCapacity(k)
        func entry(_ i: Int) -> Entry {
            Entry(logit: Candidates.sanitized(logits[i]), id: ids?[i] ?? Int32(truncatingIfNeeded: i))
        }
        for i in 0..<k {
            heap.append(entry(i))
            siftUp(&heap, i)
        }
        // The hot loop: one float comparison per entry against the worst kept logit. `>=` is false for
        // NaN, so NaN entries are skipped here without a separate check.
        var worst = heap[0].logit
        for i in k..<logits.count where logits[i] >= worst {
            let e = entry(i)
            guard e.beats(heap[0]) else { continue }
            heap[0] = e
            siftDown(&heap, 0)
            worst = heap[0].logit
        }
        heap.sort { $0.beats($1) }
        return (heap.map(\.id), heap.map(\.logit))
    }

    // Heap invariant: no parent beats its children, so the root is the worst entry kept.
    private static func siftUp(_ h: inout [Entry], _ start: Int) {
        var child = start
        while child > 0 {
            let parent = (child - 1) / 2
            guard h[parent].beats(h[child]) else { return }
            h.swapAt(parent, child)
            child = parent
        }
    }

    private static func siftDown(_ h: inout [Entry], _ start: Int) {
        var parent = start
        while true {
            let left = 2 * parent + 1
            guard left < h.count else { return }
            var worst = left
            if left + 1 < h.count, h[worst].beats(h[left + 1]) { worst = left + 1 }
            guard h[parent].beats(h[worst]) else { return }
            h.swapAt(parent, worst)
            parent = worst
        }
    }
}
