import Foundation
import GGUF
import XCTest
@testable import Kernels

/// The format registry against outside oracles: ggml's type table, and rows written by llama.cpp's llama-quantize
/// with their values as the gguf Python package dequantizes them (Tests/Fixtures/formats, scripts/format-fixtures.py).
final class QuantizeTests: XCTestCase {
    func testRegistryAgreesWithGGMLTypeTable() throws {
        for format in WeightFormat.allCases {
            let type = try XCTUnwrap(GGMLType(rawValue: format.traits.ggmlType), "\(format)")
            XCTAssertEqual(type.description, format.description)
            XCTAssertEqual(type.blockSize, format.blockSize, "\(format)")
            XCTAssertEqual(type.blockBytes, format.blockBytes, "\(format)")
            XCTAssertEqual(WeightFormat(ggmlType: type.rawValue), format)
            XCTAssertTrue(format.traits.canQuantize, "\(format)")
            XCTAssertEqual(format.traits.activation.blockSize <= format.blockSize || format.blockSize == 1, true)
        }
        for type in GGMLType.allCases where WeightFormat(ggmlType: type.rawValue) == nil {
            XCTAssertFalse(WeightFormat.allCases.map(\.description).contains(type.description), "\(type)")
        }
        XCTAssertNil(WeightFormat(ggmlType: GGMLType.iq2_xxs.rawValue))
        XCTAssertNil(WeightFormat(ggmlType: 9999))
    }

    func testShapeValidation() throws {
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: 64, alignment: 16)
        defer { buffer.deallocate() }
        XCTAssertThrowsError(try WeightMatrix(format: .q4_1, rows: 1, cols: 48, data: buffer))
        XCTAssertThrowsError(try WeightMatrix(format: .q4_K, rows: 1, cols: 576, data: buffer))
        XCTAssertThrowsError(try WeightMatrix(format: .q8_0, rows: 1, cols: 0, data: buffer))
        XCTAssertThrowsError(try WeightMatrix(format: .f32, rows: -1, cols: 4, data: buffer))
        XCTAssertThrowsError(try WeightMatrix(format: .f32, rows: 1, cols: 1 << 40, data: buffer))
        XCTAssertThrowsError(try WeightMatrix(format: .q8_0, rows: 1 << 33, cols: 32, data: buffer))
        XCTAssertEqual(try WeightMatrix(format: .q4_1, rows: 3, cols: 64, data: buffer).rowBytes, 40)
        XCTAssertEqual(try WeightMatrix(format: .q6_K, rows: 3, cols: 512, data: buffer).rowBytes, 420)
        XCTAssertEqual(try WeightMatrix(format: .f16, rows: 1, cols: 7, data: buffer).rowBytes, 14)
    }

    /// Our dequantize gives gguf-py's values for llama-quantize's bytes, in every format.
    func testDequantizeMatchesGGUFPy() throws {
        let fixture = try FormatFixture.load()
        for format in fixture.formats {
            let raw = try fixture.bytes(format), expected = try fixture.dequantized(format)
            let count = fixture.rows * fixture.cols
            var got = [Float](repeating: .nan, count: count)
            raw.withUnsafeBytes { dequantize(format, $0.baseAddress!, count: count, into: &got) }
            var worst: Float = 0
            for i in 0..<count { worst = max(worst, abs(got[i] - expected[i]) / max(abs(expected[i]), 1e-30)) }
            XCTAssertLessThanOrEqual(worst, 1e-6, "\(format): largest relative difference from gguf-py \(worst)")
        }
    }

    /// Our quantizers write llama-quantize's bytes, in every format (the same f32 input, no importance matrix).
    func testQuantizeMatchesLlamaQuantize() throws {
        let fixture = try FormatFixture.load()
        let source = try fixture.source()
        for format in fixture.formats {
            let expected = try fixture.bytes(format)
            var got = [UInt8](repeating: 0xAA, count: expected.count)
            got.withUnsafeMutableBytes { out in
                source.withUnsafeBufferPointer { x in
                    for r in 0..<fixture.rows {
                        let rowBytes = quantizedByteCount(count: fixture.cols, format: format)
                        XCTAssertTrue(quantizeRow(x.baseAddress! + r * fixture.cols, count: fixture.cols, format: format,
                                                  into: out.baseAddress! + r * rowBytes))
                    }
                }
            }
            let differing = zip(got, expected).filter { $0 != $1 }.count
            XCTAssertEqual(differing, 0, "\(format): \(differing) of \(expected.count) bytes differ from llama-quantize")
        }
        XCTAssertEqual(Set(fixture.formats), Set(WeightFormat.allCases.filter { $0 != .f32 }))
    }

    func testOutOfRangeRowReadsZeros() throws {
        var rng = TestRNG(seed: 4)
        for format in WeightFormat.allCases {
            let m = try TestMatrix(format: format, rows: 2, cols: commonCols, rng: &rng)
            var out = [Float](repeating: .nan, count: commonCols)
            m.matrix.dequantizeRow(2, into: &out)
            XCTAssertEqual(out, [Float](repeating: 0, count: commonCols), "\(format)")
            m.matrix.dequantizeRow(-1, into: &out)
            XCTAssertEqual(out, [Float](repeating: 0, count: commonCols), "\(format)")
        }
    }

    /// Quantize → dequantize stays within a format's resolution of the input (a coarse sanity bound per bit width).
    func testQuantizeRoundTripError() throws {
        var rng = TestRNG(seed: 5)
        let bound: [WeightFormat: Float] = [
            .f32: 0, .f16: 1e-3, .bf16: 8e-3, .q8_0: 0.01, .q6_K: 0.04, .q5_0: 0.07, .q5_1: 0.04, .q5_K: 0.05,
            .q4_0: 0.15, .q4_1: 0.08, .q4_K: 0.1, .iq4_nl: 0.15, .iq4_xs: 0.15, .q3_K: 0.3, .q2_K: 0.6,
        ]
        for format in WeightFormat.allCases {
            let m = try TestMatrix(format: format, rows: 4, cols: commonCols, rng: &rng)
            let back = m.dequantized()
            var err: Float = 0, norm: Float = 0
            for i in back.indices { err += (back[i] - m.floats[i]) * (back[i] - m.floats[i]); norm += m.floats[i] * m.floats[i] }
            let relative = (err / norm).squareRoot()
            XCTAssertLessThanOrEqual(relative, try XCTUnwrap(bound[format]), "\(format): relative RMS error \(relative)")
        }
    }
}

/// Tests/Fixtures/formats: two rows in every format from llama-quantize, their gguf-py values, and the f32 source.
struct FormatFixture {
    let directory: URL
    let rows: Int
    let cols: Int
    let formats: [WeightFormat]

    static func load() throws -> FormatFixture {
        var dir = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { dir.deleteLastPathComponent() }
        dir.appendPathComponent("Tests/Fixtures/formats")
        let index = try JSONSerialization.jsonObject(with: Data(contentsOf: dir.appendingPathComponent("index.json"))) as? [String: Any]
        let sums = try XCTUnwrap(index?["source_sha256"] as? [String: String])
        let formats = sums.keys.sorted().compactMap { name in WeightFormat.allCases.first { $0.description == name } }
        return FormatFixture(directory: dir, rows: try XCTUnwrap(index?["rows"] as? Int), cols: try XCTUnwrap(index?["cols"] as? Int),
                             formats: formats)
    }

    func bytes(_ format: WeightFormat) throws -> [UInt8] {
        [UInt8](try Data(contentsOf: directory.appendingPathComponent("\(format).bin")))
    }

    func dequantized(_ format: WeightFormat) throws -> [Float] { try floats("\(format).f32") }
    func source() throws -> [Float] { try floats("source.f32") }

    private func floats(_ name: String) throws -> [Float] {
        let data = try Data(contentsOf: directory.appendingPathComponent(name))
        return data.withUnsafeBytes { raw in (0..<data.count / 4).map { raw.loadUnaligned(fromByteOffset: $0 * 4, as: Float.self) } }
    }
}
