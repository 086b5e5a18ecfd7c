import GGUF
import XCTest

/// Parses an in-memory GGUF image and runs `body` while the bytes are alive (GGUFFile(bytes:) borrows them).
func withParsed<R>(_ bytes: [UInt8], _ body: (GGUFFile) throws -> R) throws -> R {
    try bytes.withUnsafeBytes { try body(try GGUFFile(bytes: $0)) }
}

/// The GGUFError that parsing `bytes` throws; records a failure if parsing succeeds or throws anything else.
func parseError(_ bytes: [UInt8], file: StaticString = #filePath, line: UInt = #line) -> GGUFError? {
    do {
        try withParsed(bytes) { _ in }
        XCTFail("parse succeeded but should have failed", file: file, line: line)
    } catch let error as GGUFError {
        return error
    } catch {
        XCTFail("expected a GGUFError, got \(error)", file: file, line: line)
    }
    return nil
}

/// Parsing `bytes` must throw exactly `expected`, and its description must mention each of `texts`.
func assertParse(_ bytes: [UInt8], throws expected: GGUFError, mentioning texts: [String] = [],
                 file: StaticString = #filePath, line: UInt = #line) {
    guard let error = parseError(bytes, file: file, line: line) else { return }
    XCTAssertEqual(error, expected, file: file, line: line)
    assertDescription(of: error, mentions: texts, file: file, line: line)
}

func assertDescription(of error: GGUFError, mentions texts: [String],
                       file: StaticString = #filePath, line: UInt = #line) {
    for text in texts {
        XCTAssertTrue(error.description.contains(text), "'\(error.description)' does not mention '\(text)'",
                      file: file, line: line)
    }
}

/// Runs `body`, which must throw exactly `expected` (a GGUFError).
func assertThrows<R>(_ expected: GGUFError, mentioning texts: [String] = [], file: StaticString = #filePath,
                     line: UInt = #line, _ body: () throws -> R) {
    do {
        let result = try body()
        XCTFail("expected \(expected), got \(result)", file: file, line: line)
    } catch let error as GGUFError {
        XCTAssertEqual(error, expected, file: file, line: line)
        assertDescription(of: error, mentions: texts, file: file, line: line)
    } catch {
        XCTFail("expected a GGUFError, got \(error)", file: file, line: line)
    }
}

extension Array where Element == UInt8 {
    /// Overwrites one little-endian field of a written file: the corruption under test.
    mutating func patch<T: FixedWidthInteger>(at offset: Int, _ value: T) {
        Swift.withUnsafeBytes(of: value.littleEndian) { replaceSubrange(offset..<(offset + $0.count), with: $0) }
    }
}

/// Where the writer puts the header fields, from the GGUF layout: magic u32, version u32, tensor count u64,
/// metadata count u64, then metadata entries (u64 key length, key bytes, u32 type, value).
enum Layout {
    static let tensorCount = 8
    static let metadataCount = 16
    static let firstKey = 24
    /// The u32 type of the first metadata entry, whose key is `key`.
    static func firstType(key: String) -> Int { firstKey + 8 + key.utf8.count }
    static func firstValue(key: String) -> Int { firstType(key: key) + 4 }
}

/// A small valid model: two keys and two F32 tensors.
func sampleWriter() -> GGUFWriter {
    var writer = GGUFWriter()
    writer.set(GGUFKey.architecture, .string("llama"))
    writer.set(GGUFKey.blockCount("llama"), .uint32(2))
    writer.addTensor("a", dims: [4, 2], type: .f32)
    writer.addTensor("b", dims: [8], type: .f32)
    return writer
}

/// A writer whose only metadata entry is `key` = `value` (so `Layout.first…` locate its fields), one tensor.
func singleKeyWriter(_ key: String, _ value: GGUFValue) -> GGUFWriter {
    var writer = GGUFWriter()
    writer.set(key, value)
    writer.addTensor("t", dims: [4], type: .f32)
    return writer
}

/// Arrays nested `depth` deep: depth 1 is a plain array of u8.
func nestedArray(depth: Int) -> GGUFValue {
    var value = GGUFValue.array(.uint8, [.uint8(7)])
    for _ in 1..<max(depth, 1) { value = .array(.array, [value]) }
    return value
}
