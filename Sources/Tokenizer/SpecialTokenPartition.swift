/// A piece of input after special tokens were cut out: either a special token or raw text to BPE.
enum Fragment: Equatable {
    case token(Int32)
    case text(Range<Int>)
}

/// Cuts special tokens (control, unknown and user-defined tokens) out of text before BPE, like
/// llama.cpp's tokenizer_st_partition: tokens are tried longest text first, and each one splits every
/// text fragment left so far at all its (non-overlapping, left-to-right) occurrences.
struct SpecialTokenPartition: Sendable {
    struct Candidate: Sendable {
        let id: Int32
        let bytes: [UInt8]
        /// Control and unknown tokens are only matched when parsing special tokens; user-defined always.
        let onlyWhenParsingSpecial: Bool
        /// Drop the whitespace before / after a match (llama.cpp's LSTRIP / RSTRIP attributes).
        let lstrip: Bool
        let rstrip: Bool
    }

    /// Longest first; equal lengths by id (llama.cpp's unstable sort leaves that order unspecified).
    private let candidates: [Candidate]
    /// Candidate indices by first byte, to find which candidates occur in a text in one pass.
    private let byFirstByte: [[Int]]

    init(texts: [String], attributes: [TokenAttributes]) {
        var list: [Candidate] = []
        for (id, text) in texts.enumerated() where !attributes[id].isDisjoint(with: .matchedInText) {
            let bytes = Array(text.utf8)
            guard !bytes.isEmpty else { continue }
            list.append(Candidate(id: Int32(id), bytes: bytes,
                                  onlyWhenParsingSpecial: !attributes[id].isDisjoint(with: .special),
                                  lstrip: attributes[id].contains(.lstrip), rstrip: attributes[id].contains(.rstrip)))
        }
        list.sort { $0.bytes.count != $1.bytes.count ? $0.bytes.count > $1.bytes.count : $0.id < $1.id }
        candidates = list
        var index = [[Int]](repeating: [], count: 256)
        for (i, candidate) in list.enumerated() { index[Int(candidate.bytes[0])].append(i) }
        byFirstByte = index
    }

    /// Splits `bytes` into special tokens and text fragments.
    func partition(_ bytes: [UInt8], parseSpecial: Bool) -> [Fragment] {
        guard !bytes.isEmpty else { return [] }
        var fragments: [Fragment] = [.text(0..<bytes.count)]
        for index in occurringCandidates(in: bytes, parseSpecial: parseSpecial) {
            let candidate = candidates[index]
            var next: [Fragment] = []
            next.reserveCapacity(fragments.count + 2)
            for fragment in fragments {
                guard case .text(let range) = fragment else {
                    next.append(fragment)
                    continue
                }
                split(range, of: bytes, at: candidate, into: &next)
            }
            fragments = next
        }
        return fragments
    }

    /// Indices (in priority order) of the candidates that occur somewhere in `bytes`.
    private func occurringCandidates(in bytes: [UInt8], parseSpecial: Bool) -> [Int] {
        var present = Set<Int>()
        bytes.withUnsafeBufferPointer { text in
            for position in 0..<text.count {
                for index in byFirstByte[Int(text[position])] where !present.contains(index) {
                    let candidate = candidates[index]
                    if candidate.onlyWhenParsingSpecial && !parseSpecial { continue }
                    if Self.matches(candidate.bytes, in: text, at: position) { present.insert(index) }
                }
            }
        }
        return present.sorted()
    }

    private func split(_ range: Range<Int>, of bytes: [UInt8], at candidate: Candidate, into out: inout [Fragment]) {
        var start = range.lowerBound
        bytes.withUnsafeBufferPointer { text in
            var position = range.lowerBound
            let last = range.upperBound - candidate.bytes.count
            while position <= last {
                if text[position] == candidate.bytes[0] && Self.matches(candidate.bytes, in: text, at: position,
                                                                        end: range.upperBound) {
                    var leftEnd = position
                    if candidate.lstrip { while leftEnd > start && Self.isCSpace(text[leftEnd - 1]) { leftEnd -= 1 } }
                    if leftEnd > start { out.append(.text(start..<leftEnd)) }
                    out.append(.token(candidate.id))
                    position += candidate.bytes.count
                    if candidate.rstrip {
                        while position < range.upperBound && Self.isCSpace(text[position]) { position += 1 }
                    }
                    start = position
                } else {
                    position += 1
                }
            }
        }
        if start < range.upperBound { out.append(.text(start..<range.upperBound)) }
    }

    /// C's isspace in the "C" locale: space, \t, \n, \v, \f, \r.
    @inline(__always)
    private static func isCSpace(_ byte: UInt8) -> Bool { byte == 0x20 || (0x09...0x0D).contains(byte) }

    @inline(__always)
    private static func matches(_ needle: [UInt8], in text: UnsafeBufferPointer<UInt8>, at position: Int,
                                end: Int? = nil) -> Bool {
        let limit = end ?? text.count
        guard position + needle.count <= limit else { return false }
        for k in 0..<needle.count where text[position + k] != needle[k] { return false }
        return true
    }
}
