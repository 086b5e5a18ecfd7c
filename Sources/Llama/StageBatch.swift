/// One session's rows in a batch: `input` evaluated at positions cache.length ..< cache.length + count and
/// appended to that session's cache. A batch holds several sessions' segments, so one weight pass serves them
/// all; each segment attends only over its own cache.
public struct BatchSegment {
    public let input: StageInput
    public let cache: KVCache
    /// Which of this segment's rows need logits (last stage only).
    public let logits: LogitRows

    public init(_ input: StageInput, cache: KVCache, logits: LogitRows = .last) {
        self.input = input; self.cache = cache; self.logits = logits
    }
}

/// Where each row of a batch belongs: its segment and its position in that segment's session. Built once per
/// forward call, read by rope and attention.
struct BatchLayout {
    /// Row r's segment index.
    let segment: [Int]
    /// Row r's position in its session.
    let position: [Int]
    /// The first row of each segment, then the total (segments.count + 1 values).
    let firstRow: [Int]

    var rows: Int { segment.count }

    init(counts: [Int], starts: [Int]) {
        var segment: [Int] = [], position: [Int] = [], firstRow = [0]
        for (i, (count, start)) in zip(counts, starts).enumerated() {
            segment += repeatElement(i, count: count)
            position += start..<(start + count)
            firstRow.append(firstRow[i] + count)
        }
        self.segment = segment; self.position = position; self.firstRow = firstRow
    }

    /// The rows that need logits, in order: none, the last or all of each segment's.
    func logitRows(_ wanted: [LogitRows]) -> [Int] {
        wanted.enumerated().flatMap { i, rows -> [Int] in
            switch rows {
            case .none: []
            case .last: [firstRow[i + 1] - 1]
            case .all: Array(firstRow[i]..<firstRow[i + 1])
            }
        }
    }
}
