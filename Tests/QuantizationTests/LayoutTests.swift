import Foundation
import GGUF
import Kernels
import Quantization
import XCTest

/// llama-quantize's file layout on a tiny model: metadata in input order with general.quantization_version and
/// general.file_type removed and appended (in that order) and split keys dropped, tensors in llama.cpp's order
/// (outside the blocks first, then blocks numerically), trailing 1 dims dropped, data aligned to 32 bytes up to
/// the end of the file, and each converted tensor the row-by-row requantization of its input.
final class LayoutTests: XCTestCase {
    func testMetadataTensorOrderAndData() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let input = dir.appendingPathComponent("in.gguf").path, output = dir.appendingPathComponent("out.gguf").path
        let tensors: [(String, [Int], GGMLType)] = [
            ("blk.10.ffn_up.weight", [64, 3], .q8_0), ("blk.2.ffn_up.weight", [64, 3], .q8_0),
            ("blk.0.ffn_gate.weight", [64, 1], .f32), ("blk.0.attn_norm.weight", [64], .f32),
            ("token_embd.weight", [64, 5], .f16),
        ]
        try TinyModel.write(to: input, tensors: tensors, extra: [
            (GGUFKey.fileType, .uint32(7)), ("split.count", .uint16(1)),
            ("x.custom", .array(.string, [.string("a"), .string("b")])),
        ], alignment: 64)
        let source = try GGUFFile(path: input)
        XCTAssertEqual(source.alignment, 64)
        let plan = try QuantizationPlan(file: source, fileType: .q4_0)
        try Quantizer(file: source, plan: plan, pool: ThreadPool(threads: 2)).write(to: output)

        let file = try GGUFFile(path: output)
        XCTAssertEqual(file.metadataKeys, [GGUFKey.architecture, GGUFKey.blockCount("llama"), GGUFKey.headCount("llama"),
                                           GGUFKey.headCountKV("llama"), "x.custom", GGUFKey.quantizationVersion, GGUFKey.fileType])
        XCTAssertEqual(file.metadata[GGUFKey.fileType], .uint32(2))
        XCTAssertEqual(file.metadata[GGUFKey.quantizationVersion], .uint32(2))
        XCTAssertEqual(file.metadata["x.custom"], source.metadata["x.custom"])
        XCTAssertEqual(file.alignment, 32)
        XCTAssertEqual(file.tensors.map(\.name), ["token_embd.weight", "blk.0.attn_norm.weight", "blk.0.ffn_gate.weight",
                                                  "blk.2.ffn_up.weight", "blk.10.ffn_up.weight"])
        // The tied embedding is the head: Q6_K does not fit 64-wide rows, so Q8_0, as llama.cpp's output rule says.
        XCTAssertEqual(file.tensors.map(\.type), [.q8_0, .f32, .f32, .q4_0, .q4_0])
        XCTAssertEqual(try file.tensor("blk.0.ffn_gate.weight").dims, [64])
        XCTAssertEqual(file.fileSize, plan.fileSize)
        XCTAssertEqual(file.fileSize % 32, 0)
        XCTAssertTrue(file.tensors.allSatisfy { $0.offset % 32 == 0 })

        for (name, format) in [("token_embd.weight", WeightFormat.q8_0), ("blk.10.ffn_up.weight", .q4_0)] {
            let from = try source.tensor(name), to = try file.tensor(name)
            let inFormat = try XCTUnwrap(WeightFormat(ggmlType: from.type.rawValue))
            var row = [Float](repeating: 0, count: 64), expected = [UInt8](repeating: 0, count: to.byteCount)
            let outRow = quantizedByteCount(count: 64, format: format)
            let data = try XCTUnwrap(source.data(of: from).baseAddress)
            try expected.withUnsafeMutableBytes { out in
                let base = try XCTUnwrap(out.baseAddress)
                for r in 0..<from.rowCount {
                    dequantize(inFormat, data + r * from.rowBytes, count: 64, into: &row)
                    quantizeRow(row, count: 64, format: format, into: base + r * outRow)
                }
            }
            XCTAssertEqual(Array(file.data(of: to)), expected, name)
        }
        XCTAssertEqual(Array(file.data(of: try file.tensor("blk.0.attn_norm.weight"))),
                       Array(source.data(of: try source.tensor("blk.0.attn_norm.weight"))))
    }
}
