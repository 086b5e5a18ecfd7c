/// GPT-2's reversible byte ↔ character map (`bytes_to_unicode` in OpenAI's encoder.py, mirrored by
/// llama.cpp's unicode_byte_to_utf8_map). Byte-level BPE vocabularies store every token as a string of
/// these 256 characters, so that raw bytes (including spaces, controls and partial UTF-8) are printable.
enum ByteLevel {
    /// The character code point each byte is written as.
    static let scalarOfByte: [UInt32] = {
        var table = [UInt32](repeating: 0, count: 256)
        var printable = [Bool](repeating: false, count: 256)
        for byte in 0x21...0x7E { printable[byte] = true }
        for byte in 0xA1...0xAC { printable[byte] = true }
        for byte in 0xAE...0xFF { printable[byte] = true }
        // Printable bytes stand for themselves; the others are shifted to U+0100 onwards, in byte order.
        var next: UInt32 = 256
        for byte in 0..<256 {
            if printable[byte] {
                table[byte] = UInt32(byte)
            } else {
                table[byte] = next
                next += 1
            }
        }
        return table
    }()

    /// Inverse of `scalarOfByte`: code point → byte, for code points below 0x144 (the largest used).
    static let byteOfScalar: [Int16] = {
        var table = [Int16](repeating: -1, count: 0x144)
        for byte in 0..<256 { table[Int(scalarOfByte[byte])] = Int16(byte) }
        return table
    }()

    /// The byte a character stands for, nil when the character is not part of the byte-level alphabet.
    @inline(__always)
    static func byte(of scalar: Unicode.Scalar) -> UInt8? {
        let value = Int(scalar.value)
        guard value < byteOfScalar.count else { return nil }
        let byte = byteOfScalar[value]
        return byte < 0 ? nil : UInt8(byte)
    }

    /// The one-character string a byte is written as in the vocabulary.
    static func string(of byte: UInt8) -> String {
        encode(CollectionOfOne(byte))
    }

    /// Decodes a byte-level token string to raw bytes; nil if any character is outside the alphabet.
    static func decode(_ text: String) -> [UInt8]? {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(text.utf8.count)
        for scalar in text.unicodeScalars {
            guard let byte = byte(of: scalar) else { return nil }
            bytes.append(byte)
        }
        return bytes
    }

    /// Decodes like `decode`, but keeps characters outside the alphabet as their own UTF-8
    /// (llama.cpp would emit an "[UNK_BYTE_…]" marker there; no well-formed vocabulary has such tokens).
    static func decodeLenient(_ text: String) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(text.utf8.count)
        for scalar in text.unicodeScalars {
            if let byte = byte(of: scalar) {
                bytes.append(byte)
            } else {
                bytes.append(contentsOf: Array(String(Character(scalar)).utf8))
            }
        }
        return bytes
    }

    /// Encodes raw bytes as a byte-level string (the form vocabulary entries and merges are written in).
    static func encode<S: Sequence>(_ bytes: S) -> String where S.Element == UInt8 {
        var scalars = String.UnicodeScalarView()
        for byte in bytes {
            // Table entries are valid scalars by construction (see scalarOfByte).
            if let scalar = Unicode.Scalar(scalarOfByte[Int(byte)]) { scalars.append(scalar) }
        }
        return String(scalars)
    }
}
