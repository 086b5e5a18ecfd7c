/// The character classes llama.cpp's pre-tokenizer regexes ask about (its unicode-data.cpp tables):
/// `\p{L}` = general category L*, `\p{N}` = N* (Nd, Nl, No), `\p{P}` = P*, `\s` = the Unicode
/// White_Space property (the same 25 code points as `Unicode.Scalar.Properties.isWhitespace`).
/// Both are generated from the Unicode Character Database, so they agree up to Unicode version drift
/// for code points assigned in the newest versions.
struct CodepointClass: OptionSet, Sendable {
    let rawValue: UInt8

    /// Set for every real code point; a position past the end of a fragment has no bits at all
    /// (llama.cpp's `unicode_cpt_flags{}`), which is what `[^\s\p{L}\p{N}]` tests against.
    static let inRange = CodepointClass(rawValue: 1 << 0)
    static let letter = CodepointClass(rawValue: 1 << 1)
    static let number = CodepointClass(rawValue: 1 << 2)
    static let whitespace = CodepointClass(rawValue: 1 << 3)
    static let punctuation = CodepointClass(rawValue: 1 << 4)

    static let wordLike: CodepointClass = [.letter, .number, .whitespace]

    /// ASCII is by far the most common input: look it up instead of asking the Unicode tables.
    private static let ascii: [CodepointClass] = (0..<128).map { classify(Unicode.Scalar(UInt8($0))) }

    @inline(__always)
    static func of(_ value: UInt32) -> CodepointClass {
        if value < 128 { return ascii[Int(value)] }
        guard let scalar = Unicode.Scalar(value) else { return .inRange }
        return classify(scalar)
    }

    private static func classify(_ scalar: Unicode.Scalar) -> CodepointClass {
        var result: CodepointClass = .inRange
        let properties = scalar.properties
        if properties.isWhitespace { result.insert(.whitespace) }
        switch properties.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter:
            result.insert(.letter)
        case .decimalNumber, .letterNumber, .otherNumber:
            result.insert(.number)
        case .connectorPunctuation, .dashPunctuation, .openPunctuation, .closePunctuation,
             .initialPunctuation, .finalPunctuation, .otherPunctuation:
            result.insert(.punctuation)
        default:
            break
        }
        return result
    }
}

/// One fragment of text as code points, their classes, and where each starts in the UTF-8 bytes.
struct ScalarText {
    var scalars: [UInt32] = []
    var classes: [CodepointClass] = []
    /// `offsets[i]` is the byte offset of scalar i; `offsets[count]` is the byte count.
    var offsets: [Int] = []

    var count: Int { scalars.count }

    /// Decodes UTF-8 bytes. Swift strings are valid UTF-8, but a malformed byte is still handled
    /// (as U+FFFD covering that one byte, like llama.cpp's unicode_cpts_from_utf8) rather than trusted.
    init(utf8 bytes: ArraySlice<UInt8>) {
        scalars.reserveCapacity(bytes.count)
        classes.reserveCapacity(bytes.count)
        offsets.reserveCapacity(bytes.count + 1)
        let base = bytes.startIndex
        var index = base
        while index < bytes.endIndex {
            let (value, length) = Self.decodeScalar(bytes, at: index)
            scalars.append(value)
            classes.append(CodepointClass.of(value))
            offsets.append(index - base)
            index += length
        }
        offsets.append(bytes.count)
    }

    /// Class of position `i`, or no class at all outside `range` (the end of the current fragment).
    @inline(__always)
    func classAt(_ i: Int, in range: Range<Int>) -> CodepointClass {
        i < range.upperBound ? classes[i] : []
    }

    @inline(__always)
    func scalarAt(_ i: Int, in range: Range<Int>) -> UInt32 {
        i < range.upperBound ? scalars[i] : UInt32.max
    }

    private static func decodeScalar(_ bytes: ArraySlice<UInt8>, at index: Int) -> (UInt32, Int) {
        let lead = bytes[index]
        if lead < 0x80 { return (UInt32(lead), 1) }
        let length: Int
        let initial: UInt32
        switch lead {
        case 0xC2...0xDF: length = 2; initial = UInt32(lead & 0x1F)
        case 0xE0...0xEF: length = 3; initial = UInt32(lead & 0x0F)
        case 0xF0...0xF4: length = 4; initial = UInt32(lead & 0x07)
        default: return (0xFFFD, 1)
        }
        guard index + length <= bytes.endIndex else { return (0xFFFD, 1) }
        var value = initial
        for k in 1..<length {
            let byte = bytes[index + k]
            guard byte & 0xC0 == 0x80 else { return (0xFFFD, 1) }
            value = value << 6 | UInt32(byte & 0x3F)
        }
        return (value, length)
    }
}
