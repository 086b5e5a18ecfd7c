import Foundation
import GGUF
import Kernels
import XCTest

/// Tiny llama GGUF files written by the tests themselves, and a temporary directory per test.
enum TinyModel {
    /// A one-block llama file: `tensors` (name, dims, type) with deterministic values, `extra` metadata after the
    /// architecture keys, data laid out at `alignment`. Tensors of a type Baton cannot quantize are zero-filled.
    static func write(to path: String, tensors: [(String, [Int], GGMLType)], arch: String = "llama",
                      extra: [(String, GGUFValue)] = [], alignment: Int = GGUFFile.defaultAlignment) throws {
        var writer = GGUFWriter()
        writer.alignment = alignment  // a non-default one is written as general.alignment
        writer.set(GGUFKey.architecture, .string(arch))
        writer.set(GGUFKey.blockCount(arch), .uint32(1))
        writer.set(GGUFKey.headCount(arch), .uint32(4))
        writer.set(GGUFKey.headCountKV(arch), .uint32(1))
        for (key, value) in extra { writer.set(key, value) }
        for (name, dims, type) in tensors { writer.addTensor(name, dims: dims, type: type) }
        try writer.write(to: path) { index in
            let entry = writer.tensors[index]
            var bytes = [UInt8](repeating: 0, count: entry.byteCount)
            let cols = Int(entry.dims[0]), rows = entry.dims.dropFirst().reduce(1) { $0 * Int($1) }
            guard let format = WeightFormat(ggmlType: entry.typeID), format.traits.canQuantize else { return bytes }
            let rowBytes = quantizedByteCount(count: cols, format: format)
            bytes.withUnsafeMutableBytes { out in
                guard let base = out.baseAddress else { return }
                var values = (0..<cols).map { _ in Float(0) }
                for r in 0..<rows {
                    for c in 0..<cols { values[c] = sin(Float(r * cols + c) * 0.37) }
                    quantizeRow(values, count: cols, format: format, into: base + r * rowBytes)
                }
            }
            return bytes
        }
    }

    /// The usual tensors: an embedding, a norm and one matrix of `type` whose rows are `cols` wide.
    static func standard(_ type: GGMLType = .q8_0, cols: Int = 256) -> [(String, [Int], GGMLType)] {
        [("token_embd.weight", [cols, 8], type), ("blk.0.attn_norm.weight", [cols], .f32),
         ("blk.0.ffn_down.weight", [cols, 4], type)]
    }
}

func temporaryDirectory() throws -> URL {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("quantize-tests-\(UUID())")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    return dir
}

struct FixtureError: Error, CustomStringConvertible {
    let description: String
}
