import GGUF
import XCTest

/// Corruptions of the tensor directory and data layout, each written with GGUFWriter and expected to fail
/// with its own specific error; plus the loader-side checks (computable type, shape, type).
final class TensorCorruptionTests: XCTestCase {
    private typealias Entry = GGUFWriter.TensorEntry

    /// Offset of the first tensor entry: after the header and `general.architecture` = "llama".
    private let firstTensor = Layout.firstValue(key: GGUFKey.architecture) + 8 + 5

    /// Header and directory of a file whose tensors are exactly `entries`, no data.
    private func header(_ entries: [Entry], alignment: Int? = nil) -> [UInt8] {
        var writer = GGUFWriter()
        if let alignment { writer.alignment = alignment }
        writer.set(GGUFKey.architecture, .string("llama"))
        writer.tensors = entries
        return writer.headerBytes()
    }

    /// A file whose tensors are exactly `entries`; data is zero-filled to cover every entry (up to 1 MiB: the
    /// absurd entries fail before their data is looked for).
    private func bytes(_ entries: [Entry], alignment: Int? = nil) -> [UInt8] {
        let end = entries.map { Int(clamping: $0.offset) &+ $0.byteCount }.max() ?? 0
        return header(entries, alignment: alignment) + [UInt8](repeating: 0, count: min(max(end, 0), 1 << 20))
    }

    private func f32(_ name: String, _ dims: [UInt64], offset: UInt64 = 0) -> Entry {
        Entry(name: name, dims: dims, typeID: GGMLType.f32.rawValue, offset: offset)
    }

    func testDuplicateTensorName() {
        assertParse(bytes([f32("w", [8]), f32("x", [8], offset: 32), f32("w", [8], offset: 64)]),
                    throws: .duplicateTensor("w"), mentioning: ["'w'", "twice"])
    }

    func testTooManyDimensions() {
        assertParse(bytes([f32("w5", [2, 2, 2, 2, 2])]), throws: .tooManyDimensions(tensor: "w5", nDims: 5),
                    mentioning: ["'w5'", "5 dimensions", "at most 4"])
        var file = bytes([f32("w", [2])])
        file.patch(at: firstTensor + 8 + 1, UInt32.max)  // n_dims of tensor "w"
        assertParse(file, throws: .tooManyDimensions(tensor: "w", nDims: .max))
    }

    func testZeroDimensions() {
        assertParse(bytes([f32("scalar", [])]), throws: .invalidDimensions(tensor: "scalar", dims: []),
                    mentioning: ["'scalar'", "[]"])
    }

    func testZeroAndOverflowingDims() {
        for dims: [UInt64] in [[4, 0], [0], [1 << 32, 1 << 32], [UInt64.max], [1 << 31, 1 << 31, 2], [3, 1 << 62]] {
            assertParse(bytes([f32("w", dims)]), throws: .invalidDimensions(tensor: "w", dims: dims),
                        mentioning: ["'w'", "\(dims)"])
        }
    }

    func testByteSizeOverflowIsInvalidDimensions() {
        // 2^60 f64 elements pass the element-count bound but take 2^63 bytes: must be an error, not a trap.
        let huge = Entry(name: "f64", dims: [1 << 60], typeID: GGMLType.f64.rawValue, offset: 0)
        assertParse(bytes([huge]), throws: .invalidDimensions(tensor: "f64", dims: [1 << 60]))
        let quantized = Entry(name: "q", dims: [1 << 40, 1 << 21], typeID: GGMLType.q8_0.rawValue, offset: 0)
        assertParse(bytes([quantized]), throws: .invalidDimensions(tensor: "q", dims: [1 << 40, 1 << 21]))
        // 2^62 bytes placed near 2^62: data offset + offset + size used to overflow in the layout check.
        assertParse(header([f32("big", [1 << 60], offset: (1 << 62) - 32)]),
                    throws: .invalidDimensions(tensor: "big", dims: [1 << 60]))
    }

    func testLargestAcceptedExtentsStillReportPastEnd() {
        // Size and offset each just under the 2^61 bound: the sums stay representable and the error is exact.
        let file = header([f32("edge", [(1 << 59) - 8], offset: (1 << 61) - 32)])
        assertParse(file, throws: .tensorDataPastEnd(tensor: "edge", end: file.count + (1 << 62) - 64, fileSize: file.count))
    }

    func testRowNotBlockMultiple() {
        let q40 = Entry(name: "q", dims: [33, 2], typeID: GGMLType.q4_0.rawValue, offset: 0)
        assertParse(bytes([q40]), throws: .rowNotBlockMultiple(tensor: "q", type: .q4_0, rowLength: 33, blockSize: 32),
                    mentioning: ["'q'", "33", "Q4_0", "32"])
        let q6k = Entry(name: "k", dims: [128, 2], typeID: GGMLType.q6_K.rawValue, offset: 0)
        assertParse(bytes([q6k]), throws: .rowNotBlockMultiple(tensor: "k", type: .q6_K, rowLength: 128, blockSize: 256))
    }

    func testUnknownTensorType() {
        for raw: UInt32 in [4, 5, 31, 40, 1000, .max] {
            let entry = Entry(name: "w", dims: [32], typeID: raw, offset: 0)
            assertParse(bytes([entry]), throws: .unknownTensorType(tensor: "w", raw: raw),
                        mentioning: ["'w'", "type id \(raw)"])
        }
    }

    /// Parsing accepts every ggml type, so that a loader can name the one it refuses (LlamaTests check that).
    func testEveryKnownTypeParses() throws {
        var writer = sampleWriter()
        writer.addTensor("q6", dims: [256, 2], type: .q6_K)
        writer.addTensor("iq2", dims: [256], type: .iq2_xxs)
        try withParsed(writer.bytes()) { file in
            let info = try file.tensor("q6")
            XCTAssertEqual(info.type, .q6_K)
            XCTAssertEqual(info.byteCount, 2 * 210)
            XCTAssertEqual(try file.tensor("iq2").byteCount, 66)
            assertThrows(.missingTensor("nope"), mentioning: ["'nope'", "missing"]) { try file.tensor("nope") }
        }
    }

    func testRequireShapeAndType() throws {
        try withParsed(sampleWriter().bytes()) { file in
            XCTAssertEqual(try file.requireShape("a", [4, 2]).name, "a")
            XCTAssertEqual(try file.requireShape("b", [8, 1]).dims, [8])  // trailing 1s are not a difference
            assertThrows(.wrongShape(tensor: "a", expected: [2, 4], found: [4, 2]), mentioning: ["'a'", "[4, 2]", "[2, 4]"]) {
                try file.requireShape("a", [2, 4])
            }
            assertThrows(.wrongShape(tensor: "b", expected: [8, 2], found: [8])) { try file.requireShape("b", [8, 2]) }
            assertThrows(.missingTensor("c")) { try file.requireShape("c", [1]) }
            XCTAssertEqual(try file.requireType("a", [.f16, .f32]).type, .f32)
            assertThrows(.wrongTensorType(tensor: "a", expected: "Q4_0 or Q8_0", found: .f32),
                         mentioning: ["'a'", "F32", "Q4_0 or Q8_0"]) { try file.requireType("a", [.q4_0, .q8_0]) }
            assertThrows(.missingTensor("c")) { try file.requireType("c", [.f32]) }
        }
    }

    func testMisalignedOffset() {
        assertParse(bytes([f32("a", [8]), f32("b", [8], offset: 48)]),
                    throws: .misalignedOffset(tensor: "b", offset: 48, alignment: 32),
                    mentioning: ["'b'", "offset 48", "alignment 32"])
        // Aligned for the default 32, not for the file's declared 64.
        assertParse(bytes([f32("a", [8]), f32("b", [8], offset: 32)], alignment: 64),
                    throws: .misalignedOffset(tensor: "b", offset: 32, alignment: 64))
    }

    func testOverlappingOffsets() {
        assertParse(bytes([f32("a", [16]), f32("b", [8], offset: 32)]), throws: .overlappingTensors("a", "b"),
                    mentioning: ["'a'", "'b'", "overlap"])
        // Same offset, listed in reverse order of name: still caught.
        assertParse(bytes([f32("z", [8], offset: 64), f32("y", [8], offset: 0), f32("x", [8], offset: 64)]),
                    throws: .overlappingTensors("z", "x"))
    }

    func testTensorDataPastEnd() {
        let full = sampleWriter().bytes()
        let cut = Array(full.dropLast(10))
        // Tensor "b" (8 f32 at offset 32) loses its last 10 bytes; "a" is intact.
        assertParse(cut, throws: .tensorDataPastEnd(tensor: "b", end: full.count, fileSize: cut.count),
                    mentioning: ["truncated", "10 bytes missing", "'b'", "\(full.count)"])
        let header = sampleWriter().headerBytes()
        assertParse(header, throws: .tensorDataPastEnd(tensor: "a", end: full.count, fileSize: header.count),
                    mentioning: ["\(full.count - header.count) bytes missing"])
        // Cut inside the padding before the data section (the real model has none to cut).
        let padded = Array(header.dropLast(3))
        XCTAssertEqual(header.suffix(3), [0, 0, 0], "the sample header should end in padding")
        assertParse(padded, throws: .tensorDataPastEnd(tensor: "a", end: full.count, fileSize: padded.count))
    }

    func testOffsetFarPastEnd() {
        let file = header([f32("far", [8], offset: 1 << 62)])
        assertParse(file, throws: .tensorDataPastEnd(tensor: "far", end: 1 << 62, fileSize: file.count),
                    mentioning: ["'far'", "truncated"])
        let almost = header([f32("near", [8], offset: (1 << 61) - 32)])
        assertParse(almost, throws: .tensorDataPastEnd(tensor: "near", end: almost.count + (1 << 61), fileSize: almost.count))
    }

    func testInvalidUTF8TensorName() {
        var file = bytes([f32("wX", [8])])
        file[firstTensor + 8 + 1] = 0xFE  // the 'X'
        assertParse(file, throws: .invalidUTF8(what: "name of tensor #0", offset: firstTensor))
    }
}
