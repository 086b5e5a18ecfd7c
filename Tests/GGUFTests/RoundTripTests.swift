import GGUF
import XCTest

/// Write with GGUFWriter, parse, and get back exactly what was written: metadata (in order), tensor infos and
/// tensor bytes, for every value type, every supported tensor type, versions 2 and 3, and several alignments.
final class RoundTripTests: XCTestCase {
    /// One entry of every value type, arrays of every element type, and nested arrays.
    static let metadata: [(key: String, value: GGUFValue)] = [
        (GGUFKey.architecture, .string("llama")),
        ("t.u8", .uint8(.max)), ("t.i8", .int8(.min)), ("t.u16", .uint16(0xBEEF)), ("t.i16", .int16(-12345)),
        ("t.u32", .uint32(.max)), ("t.i32", .int32(.min)), ("t.u64", .uint64(.max)), ("t.i64", .int64(.min)),
        ("t.f32", .float32(-0.0)), ("t.f32.inf", .float32(.infinity)), ("t.f32.tiny", .float32(.leastNonzeroMagnitude)),
        ("t.f64", .float64(.pi)), ("t.true", .bool(true)), ("t.false", .bool(false)),
        ("t.empty", .string("")), ("t.unicode", .string("Ġhello ✓ 日本 🦙 \u{0}nul")),
        ("", .string("empty key")), ("t.ключ", .uint8(1)),
        ("t.a.u8", .array(.uint8, [.uint8(0), .uint8(255)])), ("t.a.i8", .array(.int8, [.int8(-1)])),
        ("t.a.u16", .array(.uint16, [.uint16(1), .uint16(2)])), ("t.a.i16", .array(.int16, [.int16(-2)])),
        ("t.a.u32", .array(.uint32, [.uint32(3)])), ("t.a.i32", .array(.int32, [.int32(-3), .int32(4)])),
        ("t.a.u64", .array(.uint64, [.uint64(1 << 63)])), ("t.a.i64", .array(.int64, [.int64(-1 << 40)])),
        ("t.a.f32", .array(.float32, [.float32(1.5), .float32(-2)])), ("t.a.f64", .array(.float64, [.float64(1e-300)])),
        ("t.a.bool", .array(.bool, [.bool(true), .bool(false)])),
        ("t.a.str", .array(.string, [.string("a"), .string(""), .string("Ġ t")])),
        ("t.a.empty", .array(.float32, [])),
        ("t.a.nested", .array(.array, [
            .array(.string, [.string("x"), .string("y")]),
            .array(.uint8, []),
            .array(.array, [.array(.int64, [.int64(1), .int64(-1)])]),
        ])),
        ("t.a.deep", nestedArray(depth: 6)),
    ]

    /// Two tensors of each supported type, in 1 to 4 dimensions.
    static let tensors: [(name: String, dims: [Int], type: GGMLType)] = [
        ("f32.a", [7], .f32), ("f32.b", [3, 2, 2, 2], .f32),
        ("f16.a", [5, 3], .f16), ("f16.b", [1], .f16),
        ("q4_0.a", [32, 3], .q4_0), ("q4_0.b", [64, 2, 2], .q4_0),
        ("q4_1.a", [32], .q4_1), ("q4_1.b", [96, 5], .q4_1),
        ("q8_0.a", [32, 4], .q8_0), ("q8_0.b", [128, 1, 3], .q8_0),
    ]

    private func writer(version: UInt32, alignment: Int) -> GGUFWriter {
        var writer = GGUFWriter()
        writer.version = version
        writer.alignment = alignment
        writer.metadata = Self.metadata
        if alignment != GGUFFile.defaultAlignment { writer.set(GGUFKey.alignment, .uint32(UInt32(alignment))) }
        for t in Self.tensors { writer.addTensor(t.name, dims: t.dims, type: t.type) }
        return writer
    }

    /// Distinct deterministic bytes per tensor, so a swapped or shifted tensor is caught.
    private func data(for writer: GGUFWriter) -> [[UInt8]] {
        writer.tensors.enumerated().map { index, t in
            (0..<t.byteCount).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ index &* 101 &+ 7) }
        }
    }

    private func check(_ file: GGUFFile, _ writer: GGUFWriter, _ data: [[UInt8]],
                       file f: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(file.version, writer.version, file: f, line: line)
        XCTAssertEqual(file.alignment, writer.alignment, file: f, line: line)
        XCTAssertEqual(file.metadataKeys, writer.metadata.map(\.key), file: f, line: line)
        for (key, value) in writer.metadata { XCTAssertEqual(file.metadata[key], value, key, file: f, line: line) }
        XCTAssertEqual(file.metadata.count, writer.metadata.count, file: f, line: line)
        XCTAssertEqual(file.dataOffset, writer.headerBytes().count, file: f, line: line)
        XCTAssertEqual(file.dataOffset % writer.alignment, 0, file: f, line: line)
        XCTAssertEqual(file.tensors.count, Self.tensors.count, file: f, line: line)
        for (index, (info, expected)) in zip(file.tensors, Self.tensors).enumerated() {
            let entry = writer.tensors[index]
            XCTAssertEqual(info.name, expected.name, file: f, line: line)
            XCTAssertEqual(info.dims, expected.dims, file: f, line: line)
            XCTAssertEqual(info.type, expected.type, file: f, line: line)
            XCTAssertEqual(info.offset, Int(entry.offset), file: f, line: line)
            XCTAssertEqual(info.offset % writer.alignment, 0, file: f, line: line)
            XCTAssertEqual(info.byteCount, expected.dims.reduce(1, *) / expected.type.blockSize * expected.type.blockBytes,
                           file: f, line: line)
            XCTAssertEqual(file.tensorsByName[info.name], info, file: f, line: line)
            XCTAssertEqual(Array(file.data(of: info)), data[index], info.name, file: f, line: line)
        }
    }

    func testRoundTripInMemory() throws {
        for version: UInt32 in [2, 3] {
            for alignment in [1, 8, 32, 64, 4096] {
                let writer = writer(version: version, alignment: alignment)
                let data = data(for: writer)
                try withParsed(writer.bytes(tensorData: data)) { check($0, writer, data) }
            }
        }
    }

    func testStreamedWriteMatchesInMemoryAndParsesFromDisk() throws {
        let writer = writer(version: 3, alignment: 64)
        let data = data(for: writer)
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("roundtrip-\(UUID()).gguf").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        var progress: [Int] = []
        try writer.write(to: path, produce: { data[$0] }, progress: { written, _ in progress.append(written) })
        let onDisk = try XCTUnwrap(FileManager.default.contents(atPath: path))
        XCTAssertEqual(Array(onDisk), writer.bytes(tensorData: data))
        XCTAssertEqual(progress.count, Self.tensors.count)
        let file = try GGUFFile(path: path)
        XCTAssertEqual(file.path, path)
        XCTAssertEqual(file.fileSize, onDisk.count)
        check(file, writer, data)
    }

    /// Each tensor streamed in pieces of 7 bytes (and an empty piece) gives the same file as whole tensors.
    func testPiecewiseStreamedWriteMatchesInMemory() throws {
        let writer = writer(version: 3, alignment: 64)
        let data = data(for: writer)
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("pieces-\(UUID()).gguf").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        var last = 0, calls = 0
        try writer.write(to: path, pieces: { index, emit in
            try data[index].withUnsafeBytes { bytes in
                try emit(UnsafeRawBufferPointer(rebasing: bytes[0..<0]))
                for start in stride(from: 0, to: bytes.count, by: 7) {
                    try emit(UnsafeRawBufferPointer(rebasing: bytes[start..<min(start + 7, bytes.count)]))
                }
            }
        }, progress: { written, total in
            XCTAssertGreaterThanOrEqual(written, last)
            XCTAssertLessThanOrEqual(written, total)
            last = written; calls += 1
        })
        let onDisk = try XCTUnwrap(FileManager.default.contents(atPath: path))
        XCTAssertEqual(Array(onDisk), writer.bytes(tensorData: data))
        XCTAssertGreaterThan(calls, Self.tensors.count)
    }

    func testNonDefaultAlignmentIsWrittenToMetadata() throws {
        var writer = GGUFWriter()
        writer.alignment = 128
        writer.addTensor("a", dims: [3], type: .f32)
        writer.addTensor("b", dims: [3], type: .f32)
        try withParsed(writer.bytes()) { file in
            XCTAssertEqual(file.alignment, 128)
            XCTAssertEqual(file.metadata[GGUFKey.alignment], .uint32(128))
            XCTAssertEqual(file.tensors.map(\.offset), [0, 128])
            XCTAssertEqual(file.dataOffset % 128, 0)
        }
    }

    func testNaNSurvivesBitExact() throws {
        let nan = Float(bitPattern: 0x7FC0_1234)
        try withParsed(singleKeyWriter("nan", .float32(nan)).bytes()) { file in
            guard case .float32(let value) = try file.value("nan") else { return XCTFail("not a float32") }
            XCTAssertEqual(value.bitPattern, 0x7FC0_1234)
        }
    }

    func testEmptyFileWithNoTensorsOrMetadata() throws {
        try withParsed(GGUFWriter().bytes()) { file in
            XCTAssertTrue(file.metadata.isEmpty)
            XCTAssertTrue(file.tensors.isEmpty)
            XCTAssertEqual(file.dataOffset, 32)  // the 24-byte header, padded to the default alignment
        }
    }
}
