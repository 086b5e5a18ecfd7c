/// Turns generated token ids into text as they arrive. A token may end in the middle of a UTF-8
/// sequence (emoji and CJK are often split over several byte tokens), so the decoder holds back an
/// incomplete trailing sequence until the bytes completing it arrive and only ever returns whole
/// characters. Bytes that can never become valid UTF-8 are returned as U+FFFD straight away.
public struct StreamingDecoder: Sendable {
    private let tokenizer: Tokenizer
    private let renderSpecial: Bool
    private var pending: [UInt8] = []

    /// - Parameter renderSpecial: whether control tokens contribute their text (llama.cpp's default).
    public init(tokenizer: Tokenizer, renderSpecial: Bool = true) {
        self.tokenizer = tokenizer
        self.renderSpecial = renderSpecial
    }

    /// Adds one token; returns the text that is now complete (possibly empty).
    public mutating func append(_ id: Int32) -> String {
        pending.append(contentsOf: tokenizer.piece(id, special: renderSpecial))
        let keep = Self.incompleteSuffixLength(pending)
        let ready = pending.count - keep
        guard ready > 0 else { return "" }
        let text = String(decoding: pending[..<ready], as: UTF8.self)
        pending.removeFirst(ready)
        return text
    }

    /// Returns whatever is held back (an incomplete sequence becomes U+FFFD) and resets.
    public mutating func flush() -> String {
        defer { pending.removeAll() }
        return String(decoding: pending, as: UTF8.self)
    }

    /// Length of the trailing bytes that form a valid but unfinished UTF-8 sequence (0...3).
    static func incompleteSuffixLength(_ bytes: [UInt8]) -> Int {
        // A sequence is at most 4 bytes, so its lead byte is among the last 3 when it is unfinished.
        for back in stride(from: 1, through: min(3, bytes.count), by: 1) {
            let index = bytes.count - back
            let byte = bytes[index]
            if byte & 0xC0 == 0x80 { continue }  // continuation byte: keep looking for the lead
            guard let needed = sequenceLength(lead: byte), needed > back else { return 0 }
            return isValidPrefix(bytes[index...]) ? back : 0
        }
        return 0
    }

    private static func sequenceLength(lead: UInt8) -> Int? {
        switch lead {
        case 0xC2...0xDF: 2
        case 0xE0...0xEF: 3
        case 0xF0...0xF4: 4
        default: nil
        }
    }

    /// Whether the bytes can still be completed into a well-formed sequence (no overlongs, no surrogates,
    /// nothing above U+10FFFF), so that holding them back is worth it.
    private static func isValidPrefix(_ bytes: ArraySlice<UInt8>) -> Bool {
        let lead = bytes[bytes.startIndex]
        for (offset, byte) in bytes.dropFirst().enumerated() {
            var range: ClosedRange<UInt8> = 0x80...0xBF
            if offset == 0 {
                switch lead {
                case 0xE0: range = 0xA0...0xBF
                case 0xED: range = 0x80...0x9F
                case 0xF0: range = 0x90...0xBF
                case 0xF4: range = 0x80...0x8F
                default: break
                }
            }
            guard range.contains(byte) else { return false }
        }
        return true
    }
}
