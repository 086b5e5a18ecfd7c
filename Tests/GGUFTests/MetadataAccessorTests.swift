import GGUF
import XCTest

/// Typed metadata accessors: a missing key is `.missingKey`, a present key of the wrong type `.wrongKeyType`
/// naming the type found; each description names the key.
final class MetadataAccessorTests: XCTestCase {
    private func sample() -> [UInt8] {
        var writer = GGUFWriter()
        writer.set("u8", .uint8(200))
        writer.set("i64", .int64(-5))
        writer.set("big", .uint64(.max))
        writer.set("f32", .float32(0.5))
        writer.set("flag", .bool(true))
        writer.set("name", .string("smol"))
        writer.set("words", .array(.string, [.string("a"), .string("b")]))
        writer.set("ids", .array(.int32, [.int32(-1), .int32(7)]))
        writer.set("mixed", .array(.array, [.array(.uint8, [.uint8(1)])]))
        writer.set("zero", .uint32(0))
        return writer.bytes()
    }

    func testTypedValues() throws {
        try withParsed(sample()) { file in
            XCTAssertEqual(try file.int("u8"), 200)
            XCTAssertEqual(try file.int("i64"), -5)
            XCTAssertEqual(try file.double("f32"), 0.5)
            XCTAssertEqual(try file.double("u8"), 200)  // any number reads as a double
            XCTAssertEqual(try file.bool("flag"), true)
            XCTAssertEqual(try file.string("name"), "smol")
            XCTAssertEqual(try file.stringArray("words"), ["a", "b"])
            XCTAssertEqual(try file.intArray("ids"), [-1, 7])
            XCTAssertEqual(try file.positiveInt("u8"), 200)
            XCTAssertEqual(try file.optional("name", file.string), "smol")
            XCTAssertNil(try file.optional("absent", file.string))
        }
    }

    func testMissingKeys() throws {
        try withParsed(sample()) { file in
            let missing = GGUFError.missingKey("llama.block_count")
            let texts = ["'llama.block_count'", "missing"]
            assertThrows(missing, mentioning: texts) { try file.int("llama.block_count") }
            assertThrows(missing) { try file.double("llama.block_count") }
            assertThrows(missing) { try file.string("llama.block_count") }
            assertThrows(missing) { try file.bool("llama.block_count") }
            assertThrows(missing) { try file.stringArray("llama.block_count") }
            assertThrows(missing) { try file.intArray("llama.block_count") }
            assertThrows(missing) { try file.positiveInt("llama.block_count") }
            assertThrows(missing) { try file.value("llama.block_count") }
        }
    }

    func testWrongKeyTypes() throws {
        try withParsed(sample()) { file in
            assertThrows(.wrongKeyType(key: "name", expected: "an integer", found: .string),
                         mentioning: ["'name'", "an integer", "string"]) { try file.int("name") }
            assertThrows(.wrongKeyType(key: "big", expected: "an integer", found: .uint64)) { try file.int("big") }
            assertThrows(.wrongKeyType(key: "flag", expected: "a number", found: .bool)) { try file.double("flag") }
            assertThrows(.wrongKeyType(key: "u8", expected: "a string", found: .uint8)) { try file.string("u8") }
            assertThrows(.wrongKeyType(key: "u8", expected: "a bool", found: .uint8)) { try file.bool("u8") }
            assertThrows(.wrongKeyType(key: "ids", expected: "an array of strings", found: .array)) {
                try file.stringArray("ids")
            }
            assertThrows(.wrongKeyType(key: "words", expected: "an array of integers", found: .array)) {
                try file.intArray("words")
            }
            assertThrows(.wrongKeyType(key: "mixed", expected: "an array of integers", found: .array)) {
                try file.intArray("mixed")
            }
            assertThrows(.wrongKeyType(key: "name", expected: "an array of strings", found: .string)) {
                try file.stringArray("name")
            }
            // Present but wrong: optional does not hide it.
            assertThrows(.wrongKeyType(key: "name", expected: "a bool", found: .string)) {
                try file.optional("name", file.bool)
            }
        }
    }

    func testInvalidValues() throws {
        try withParsed(sample()) { file in
            assertThrows(.invalidValue(key: "zero", value: "0", expected: "a positive integer"),
                         mentioning: ["'zero'", "0", "positive"]) { try file.positiveInt("zero") }
            assertThrows(.invalidValue(key: "i64", value: "-5", expected: "a positive integer")) {
                try file.positiveInt("i64")
            }
        }
    }
}
