import GGUF
import XCTest

/// Corruptions of the file header and metadata section: each written with GGUFWriter (plus, where the writer
/// cannot express it, one patched field) and each expected to fail with its own specific error.
final class HeaderCorruptionTests: XCTestCase {
    func testValidSampleParses() throws {
        try withParsed(sampleWriter().bytes()) { file in
            XCTAssertEqual(file.tensors.map(\.name), ["a", "b"])
            XCTAssertEqual(try file.string(GGUFKey.architecture), "llama")
        }
    }

    func testBadMagic() {
        var writer = sampleWriter()
        writer.magic = 0x4655_4746
        assertParse(writer.bytes(), throws: .badMagic(found: 0x4655_4746), mentioning: ["0x46554746", "0x46554747"])
        assertParse(Array("hello world, not a model".utf8), throws: .badMagic(found: 0x6c6c_6568))
    }

    func testUnsupportedVersion() {
        for version: UInt32 in [0, 1, 4, 0xFFFF_FFFF] {
            var writer = sampleWriter()
            writer.version = version
            guard let error = parseError(writer.bytes()) else { continue }
            XCTAssertEqual(error, .unsupportedVersion(version))
            assertDescription(of: error, mentions: ["version \(version)", "only 2 and 3"])
            XCTAssertFalse(error.description.contains("byte-swapped"), error.description)
        }
    }

    func testByteSwappedVersionGetsBigEndianHint() {
        for version: UInt32 in [2, 3] {
            var writer = sampleWriter()
            writer.version = version.byteSwapped
            assertParse(writer.bytes(), throws: .unsupportedVersion(version.byteSwapped),
                        mentioning: ["\(version.byteSwapped)", "reads as \(version) byte-swapped", "big-endian"])
        }
    }

    func testAbsurdTensorCount() {
        var bytes = sampleWriter().bytes()
        bytes.patch(at: Layout.tensorCount, UInt64.max)
        let limit = UInt64((bytes.count - 24) / 32)  // a tensor entry takes at least 32 bytes
        assertParse(bytes, throws: .absurdCount(what: "tensor count", count: .max, limit: limit),
                    mentioning: ["tensor count", "18446744073709551615", "\(limit)", "corrupt"])
        bytes.patch(at: Layout.tensorCount, limit + 1)
        assertParse(bytes, throws: .absurdCount(what: "tensor count", count: limit + 1, limit: limit))
    }

    func testAbsurdMetadataCount() {
        var bytes = sampleWriter().bytes()
        bytes.patch(at: Layout.metadataCount, UInt64(1) << 40)
        let limit = UInt64((bytes.count - 24) / 13)  // a key-value pair takes at least 13 bytes
        assertParse(bytes, throws: .absurdCount(what: "metadata count", count: 1 << 40, limit: limit),
                    mentioning: ["metadata count", "1099511627776", "\(limit)"])
    }

    func testAbsurdArrayLength() {
        var bytes = singleKeyWriter("arr", .array(.uint32, [.uint32(1), .uint32(2)])).bytes()
        let lengthField = Layout.firstValue(key: "arr") + 4  // after the element type
        bytes.patch(at: lengthField, UInt64.max - 1)
        let limit = UInt64((bytes.count - lengthField - 8) / 4)
        assertParse(bytes, throws: .absurdCount(what: "length of array 'arr'", count: .max - 1, limit: limit),
                    mentioning: ["'arr'", "18446744073709551614", "\(limit)"])
    }

    func testAbsurdStringLengths() {
        // A value string: its length (near 2^64) must be reported, never added to an offset.
        var bytes = singleKeyWriter("name", .string("abc")).bytes()
        let lengthField = Layout.firstValue(key: "name")
        bytes.patch(at: lengthField, UInt64.max)
        let limit = UInt64(bytes.count - lengthField - 8)
        assertParse(bytes, throws: .absurdCount(what: "length of value of 'name'", count: .max, limit: limit),
                    mentioning: ["'name'", "18446744073709551615", "\(limit)"])
        // A key: one byte more than the file holds.
        bytes = singleKeyWriter("name", .string("abc")).bytes()
        let remaining = UInt64(bytes.count - Layout.firstKey - 8)
        bytes.patch(at: Layout.firstKey, remaining + 1)
        assertParse(bytes, throws: .absurdCount(what: "length of metadata key #0", count: remaining + 1, limit: remaining))
    }

    func testDuplicateKey() {
        var writer = sampleWriter()
        writer.metadata.append((GGUFKey.architecture, .string("gpt2")))
        assertParse(writer.bytes(), throws: .duplicateKey(GGUFKey.architecture),
                    mentioning: ["'general.architecture'", "twice"])
    }

    func testUnknownValueType() {
        var bytes = singleKeyWriter("k", .uint32(5)).bytes()
        bytes.patch(at: Layout.firstType(key: "k"), UInt32(13))
        assertParse(bytes, throws: .unknownValueType(key: "k", raw: 13), mentioning: ["'k'", "13"])
    }

    func testUnknownArrayElementType() {
        var bytes = singleKeyWriter("arr", .array(.uint8, [.uint8(1)])).bytes()
        bytes.patch(at: Layout.firstValue(key: "arr"), UInt32(99))
        assertParse(bytes, throws: .unknownValueType(key: "arr", raw: 99), mentioning: ["'arr'", "99"])
    }

    func testInvalidUTF8Key() {
        var bytes = singleKeyWriter("kAy", .uint8(1)).bytes()
        bytes[Layout.firstKey + 8 + 1] = 0xFF
        assertParse(bytes, throws: .invalidUTF8(what: "metadata key #0", offset: Layout.firstKey),
                    mentioning: ["metadata key #0", "offset 24", "UTF-8"])
    }

    func testInvalidUTF8StringValue() {
        var bytes = singleKeyWriter("s", .string("ok")).bytes()
        bytes[Layout.firstValue(key: "s") + 8] = 0xC3  // a lead byte followed by 'k': not a continuation
        assertParse(bytes, throws: .invalidUTF8(what: "value of 's'", offset: Layout.firstValue(key: "s")))
    }

    func testNestedArraysWithinLimitParse() throws {
        let value = nestedArray(depth: 8)
        try withParsed(singleKeyWriter("deep", value).bytes()) { file in
            XCTAssertEqual(try file.value("deep"), value)
        }
    }

    func testNestingTooDeep() {
        assertParse(singleKeyWriter("deep", nestedArray(depth: 9)).bytes(), throws: .nestingTooDeep(key: "deep"),
                    mentioning: ["'deep'", "too deeply"])
        // Absurd nesting must fail fast, not recurse until the stack overflows.
        assertParse(singleKeyWriter("abyss", nestedArray(depth: 5000)).bytes(), throws: .nestingTooDeep(key: "abyss"))
    }

    func testInvalidAlignment() {
        let bad: [GGUFValue] = [.uint32(0), .uint32(3), .uint32(48), .uint32(1 << 17), .int32(-32),
                                .uint64(.max), .string("32"), .float32(32)]
        for value in bad {
            var writer = sampleWriter()
            writer.set(GGUFKey.alignment, value)
            assertParse(writer.bytes(), throws: .invalidAlignment(key: GGUFKey.alignment, value: "\(value)"),
                        mentioning: ["general.alignment", "power of two"])
        }
    }

    func testEmptyAndTinyInputsAreTruncated() {
        assertParse([], throws: .truncated(reading: "magic", offset: 0, needed: 4, fileSize: 0),
                    mentioning: ["truncated", "4 bytes missing"])
        assertParse([0x47, 0x47, 0x55, 0x46, 3, 0], throws: .truncated(reading: "version", offset: 4, needed: 4, fileSize: 6),
                    mentioning: ["version", "2 bytes missing"])
    }
}
