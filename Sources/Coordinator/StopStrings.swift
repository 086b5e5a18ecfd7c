/// Finds stop strings in generated text that arrives piece by piece. A stop string may be split across any
/// number of tokens, so text that could still turn into one is held back; nothing of a stop string, nor
/// anything after it, is ever released.
///
/// Matching is on UTF-8 bytes, as llama-server does, so a stop string matches inside a grapheme cluster too.
/// The pieces it receives are whole characters (the streaming decoder holds partial UTF-8), a stop string starts
/// with a lead byte, so every cut it makes is on a character boundary.
public struct StopStringMatcher: Sendable {
    public let stops: [[UInt8]]
    private var pending: [UInt8] = []
    public private(set) var stopped = false

    public init(_ stops: [String]) {
        self.stops = stops.map { Array($0.utf8) }.filter { !$0.isEmpty }
    }

    /// Adds text; returns what is now safe to release. After a match (`stopped`), returns the text before the
    /// stop string and ignores everything later.
    public mutating func append(_ text: String) -> String {
        guard !stopped else { return "" }
        pending.append(contentsOf: text.utf8)
        if let cut = earliestMatch() {
            stopped = true
            let before = String(decoding: pending[..<cut], as: UTF8.self)
            pending.removeAll()
            return before
        }
        let ready = pending.count - heldBack()
        guard ready > 0 else { return "" }
        let released = String(decoding: pending[..<ready], as: UTF8.self)
        pending.removeFirst(ready)
        return released
    }

    /// Text held back because it could have started a stop string; at the end of a generation it is output.
    public mutating func flush() -> String {
        defer { pending.removeAll() }
        return stopped ? "" : String(decoding: pending, as: UTF8.self)
    }

    /// Whether some text is held back (a partial stop string at the end of what came so far).
    public var isHolding: Bool { !pending.isEmpty }

    /// Byte offset of the first stop string occurrence in the pending text.
    private func earliestMatch() -> Int? {
        var best: Int?
        for stop in stops where stop.count <= pending.count {
            var i = 0
            while i + stop.count <= pending.count, i < (best ?? Int.max) {
                if pending[i] == stop[0] && pending[i..<(i + stop.count)].elementsEqual(stop) {
                    best = i
                    break
                }
                i += 1
            }
        }
        return best
    }

    /// Length of the longest pending suffix that is a proper prefix of some stop string.
    private func heldBack() -> Int {
        var longest = 0
        for stop in stops {
            var k = min(stop.count - 1, pending.count)
            while k > longest {
                if pending.suffix(k).elementsEqual(stop.prefix(k)) {
                    longest = k
                    break
                }
                k -= 1
            }
        }
        return longest
    }
}
