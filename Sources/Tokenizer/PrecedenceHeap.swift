/// An order in which merge candidates are taken: `precedes` is llama.cpp's comparison for its queue.
protocol Precedence {
    func precedes(_ other: Self) -> Bool
}

/// A binary heap whose top is the element that precedes all others (BPE's pair queue, SentencePiece's bigrams).
struct PrecedenceHeap<Element: Precedence> {
    private var heap: [Element] = []

    mutating func removeAll() { heap.removeAll(keepingCapacity: true) }

    mutating func push(_ item: Element) {
        heap.append(item)
        var child = heap.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard heap[child].precedes(heap[parent]) else { break }
            heap.swapAt(child, parent)
            child = parent
        }
    }

    /// Removes and returns the element that precedes all others.
    mutating func pop() -> Element? {
        guard let top = heap.first else { return nil }
        let last = heap.removeLast()
        guard !heap.isEmpty else { return top }
        heap[0] = last
        var parent = 0
        while true {
            let left = 2 * parent + 1
            guard left < heap.count else { break }
            var best = left
            if left + 1 < heap.count && heap[left + 1].precedes(heap[left]) { best = left + 1 }
            guard heap[best].precedes(heap[parent]) else { break }
            heap.swapAt(best, parent)
            parent = best
        }
        return top
    }
}
