import GGUF
import XCTest

/// The ggml type table: names as ggml spells them, block geometry from ggml-common.h, overflow-safe row sizes.
final class GGMLTypeTests: XCTestCase {
    /// (id, ggml name, weights per block, bytes per block), transcribed from ggml.h / ggml-common.h.
    static let ggml: [(UInt32, String, Int, Int)] = [
        (0, "F32", 1, 4), (1, "F16", 1, 2), (2, "Q4_0", 32, 18), (3, "Q4_1", 32, 20), (6, "Q5_0", 32, 22),
        (7, "Q5_1", 32, 24), (8, "Q8_0", 32, 34), (9, "Q8_1", 32, 36), (10, "Q2_K", 256, 84), (11, "Q3_K", 256, 110),
        (12, "Q4_K", 256, 144), (13, "Q5_K", 256, 176), (14, "Q6_K", 256, 210), (15, "Q8_K", 256, 292),
        (16, "IQ2_XXS", 256, 66), (17, "IQ2_XS", 256, 74), (18, "IQ3_XXS", 256, 98), (19, "IQ1_S", 256, 50),
        (20, "IQ4_NL", 32, 18), (21, "IQ3_S", 256, 110), (22, "IQ2_S", 256, 82), (23, "IQ4_XS", 256, 136),
        (24, "I8", 1, 1), (25, "I16", 1, 2), (26, "I32", 1, 4), (27, "I64", 1, 8), (28, "F64", 1, 8),
        (29, "IQ1_M", 256, 56), (30, "BF16", 1, 2), (34, "TQ1_0", 256, 54), (35, "TQ2_0", 256, 66),
        (39, "MXFP4", 32, 17),
    ]

    func testTableMatchesGGML() throws {
        XCTAssertEqual(GGMLType.allCases.count, Self.ggml.count)
        for (id, name, blockSize, blockBytes) in Self.ggml {
            let type = try XCTUnwrap(GGMLType(rawValue: id), name)
            XCTAssertEqual(type.description, name)
            XCTAssertEqual("\(type)", name)  // interpolation goes through description without recursing
            XCTAssertEqual(type.blockSize, blockSize, name)
            XCTAssertEqual(type.blockBytes, blockBytes, name)
        }
    }

    func testRowBytes() {
        XCTAssertEqual(GGMLType.q4_1.rowBytes(elements: 576), 18 * 20)
        XCTAssertEqual(GGMLType.f16.rowBytes(elements: 3), 6)
        XCTAssertNil(GGMLType.q8_0.rowBytes(elements: 48))
        XCTAssertNil(GGMLType.q6_K.rowBytes(elements: 255))
        XCTAssertNil(GGMLType.f64.rowBytes(elements: Int.max))  // overflows: nil, not a trap
        XCTAssertNil(GGMLType.f32.rowBytes(elements: -4))
    }

    func testEveryErrorDescriptionRenders() {
        // Each case once, through `description`: none may trap or recurse.
        let errors: [GGUFError] = [
            .cannotOpen(path: "/p", reason: "r"), .badMagic(found: 0), .unsupportedVersion(7),
            .truncated(reading: "x", offset: 5, needed: .max, fileSize: 5), .absurdCount(what: "n", count: .max, limit: 0),
            .invalidUTF8(what: "k", offset: 1), .unknownValueType(key: "k", raw: 99), .nestingTooDeep(key: "k"),
            .duplicateKey("k"), .duplicateTensor("t"), .invalidAlignment(key: "k", value: "3"),
            .tooManyDimensions(tensor: "t", nDims: 9), .invalidDimensions(tensor: "t", dims: [.max]),
            .unknownTensorType(tensor: "t", raw: 4), .unsupportedTensorType(tensor: "t", type: .iq4_nl, supported: ["F32"]),
            .rowNotBlockMultiple(tensor: "t", type: .q5_K, rowLength: 3, blockSize: 256),
            .misalignedOffset(tensor: "t", offset: 3, alignment: 32), .overlappingTensors("a", "b"),
            .tensorDataPastEnd(tensor: "t", end: .max, fileSize: 0), .missingKey("k"),
            .wrongKeyType(key: "k", expected: "a string", found: .float64),
            .invalidValue(key: "k", value: "0", expected: "positive"), .missingTensor("t"),
            .wrongShape(tensor: "t", expected: [1], found: [2]), .wrongTensorType(tensor: "t", expected: "F32", found: .tq2_0),
        ]
        for error in errors { XCTAssertFalse(error.description.isEmpty) }
        assertDescription(of: errors[3], mentions: ["\(Int.max) bytes missing"])
        assertDescription(of: errors[14], mentions: ["IQ4_NL"])
        assertDescription(of: errors[15], mentions: ["Q5_K", "256"])
        assertDescription(of: errors[20], mentions: ["float64"])
    }
}
