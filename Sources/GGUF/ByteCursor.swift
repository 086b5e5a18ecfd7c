/// A read cursor over untrusted little-endian bytes: every read is bounds-checked and throws
/// `GGUFError.truncated` naming what was being read.
struct ByteCursor {
    let bytes: UnsafeRawBufferPointer
    private(set) var offset: Int = 0

    init(_ bytes: UnsafeRawBufferPointer) { self.bytes = bytes }

    var remaining: Int { bytes.count - offset }

    mutating func read<T: FixedWidthInteger>(_: T.Type, _ what: @autoclosure () -> String) throws -> T {
        let size = MemoryLayout<T>.size
        guard size <= remaining else {
            throw GGUFError.truncated(reading: what(), offset: offset, needed: size, fileSize: bytes.count)
        }
        let value = bytes.loadUnaligned(fromByteOffset: offset, as: T.self)
        offset += size
        return T(littleEndian: value)
    }

    mutating func readFloat(_ what: @autoclosure () -> String) throws -> Float {
        Float(bitPattern: try read(UInt32.self, what()))
    }

    mutating func readDouble(_ what: @autoclosure () -> String) throws -> Double {
        Double(bitPattern: try read(UInt64.self, what()))
    }

    /// A GGUF string: u64 length, then that many UTF-8 bytes.
    mutating func readString(_ what: @autoclosure () -> String) throws -> String {
        let start = offset
        let length = try read(UInt64.self, "length of \(what())")
        // A length beyond the end is either a corrupt field (it may be near 2^64) or a cut file; both are reported
        // as a count the rest of the file cannot hold, so no arithmetic is ever done on the untrusted length.
        guard length <= UInt64(remaining) else {
            throw GGUFError.absurdCount(what: "length of \(what())", count: length, limit: UInt64(remaining))
        }
        let slice = UnsafeRawBufferPointer(rebasing: bytes[offset..<(offset + Int(length))])
        offset += Int(length)
        guard let string = String(validating: slice.bindMemory(to: UInt8.self), as: UTF8.self) else {
            throw GGUFError.invalidUTF8(what: what(), offset: start)
        }
        return string
    }

    mutating func skip(to newOffset: Int, _ what: @autoclosure () -> String) throws {
        guard newOffset <= bytes.count else {
            throw GGUFError.truncated(reading: what(), offset: offset, needed: newOffset - offset, fileSize: bytes.count)
        }
        offset = newOffset
    }
}
