import Digest
import Foundation
import GGUF
import Kernels
import Quantization
import TestSupport
import XCTest

/// Byte-identical to llama-quantize where every K-quant fits: a small model the test writes itself (the one
/// scripts/wide-model.py writes, checked by its sha256) with 256- and 768-wide rows, 8 blocks, 4 query heads per
/// KV head and an untied head, requantized from f32 to all 19 types and compared with llama-quantize's files
/// (Tests/Fixtures/quantized/wide-outputs.txt). Together these take a few seconds.
final class WideModelTests: XCTestCase {
    static let (embd, ff, vocab, blocks, heads, kvHeads) = (256, 768, 512, 8, 16, 4)

    func testEveryTypeIsByteIdenticalToLlamaQuantize() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let text = try String(contentsOf: TestPaths.quantizedRefs.appendingPathComponent("wide-outputs.txt"), encoding: .utf8)
        let lines = text.split(separator: "\n").map { $0.split(separator: " ").map(String.init) }
        let input = dir.appendingPathComponent("wide.gguf").path
        try Self.write(to: input)
        let declared = try XCTUnwrap(lines.first { $0.count == 4 && $0[1] == "input" })
        XCTAssertEqual(try FileDigest.sha256(path: input).hexString, declared[3], "the input is not scripts/wide-model.py's")
        let file = try GGUFFile(path: input)
        let pool = ThreadPool(threads: 2)
        var checked = 0
        for fields in lines where fields.count == 3 && fields[0] != "#" {
            let type = try XCTUnwrap(LlamaFileType(name: fields[0]), fields[0])
            let out = dir.appendingPathComponent("\(fields[0]).gguf").path
            try Quantizer(file: file, plan: QuantizationPlan(file: file, fileType: type), pool: pool).write(to: out)
            XCTAssertEqual(String(try FileDigest.size(path: out)), fields[1], fields[0])
            XCTAssertEqual(try FileDigest.sha256(path: out).hexString, fields[2], fields[0])
            try FileManager.default.removeItem(atPath: out)
            checked += 1
        }
        XCTAssertEqual(checked, LlamaFileType.allCases.count)
    }

    /// scripts/wide-model.py's file: llama metadata, tensors in forward order, f32 values from SplitMix64.
    static func write(to path: String) throws {
        var writer = GGUFWriter()
        writer.set(GGUFKey.architecture, .string("llama"))
        for (key, value) in [(GGUFKey.blockCount("llama"), blocks), (GGUFKey.contextLength("llama"), 256),
                             (GGUFKey.embeddingLength("llama"), embd), (GGUFKey.feedForwardLength("llama"), ff),
                             (GGUFKey.headCount("llama"), heads), (GGUFKey.headCountKV("llama"), kvHeads)] {
            writer.set(key, .uint32(UInt32(value)))
        }
        writer.set(GGUFKey.rmsEpsilon("llama"), .float32(1e-5))
        writer.set(GGUFKey.fileType, .uint32(0))
        let kv = embd * kvHeads / heads
        var tensors: [(String, [Int])] = [(TensorName.tokenEmbedding, [embd, vocab])]
        for layer in 0..<blocks {
            tensors += [(TensorName.attentionNorm(layer), [embd]), (TensorName.attentionQ(layer), [embd, embd]),
                        (TensorName.attentionK(layer), [embd, kv]), (TensorName.attentionV(layer), [embd, kv]),
                        (TensorName.attentionOutput(layer), [embd, embd]), (TensorName.ffnNorm(layer), [embd]),
                        (TensorName.ffnGate(layer), [embd, ff]), (TensorName.ffnUp(layer), [embd, ff]),
                        (TensorName.ffnDown(layer), [ff, embd])]
        }
        tensors += [(TensorName.outputNorm, [embd]), (TensorName.output, [embd, vocab])]
        for (name, dims) in tensors { writer.addTensor(name, dims: dims, type: .f32) }
        var drawn: UInt64 = 0
        try writer.write(to: path) { index in
            let (name, dims) = tensors[index]
            let count = dims.reduce(1, *)
            let values: [Float] = name.hasSuffix("norm.weight") ? Array(repeating: 1, count: count) : (0..<count).map { _ in
                drawn += 1
                return splitMix(drawn)
            }
            return values.withUnsafeBytes { Array($0) }
        }
    }

    /// SplitMix64's output number `n` as an f32 in [-1/16, 1/16): exact in any language.
    static func splitMix(_ n: UInt64) -> Float {
        var z = n &* 0x9E37_79B9_7F4A_7C15
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        z ^= z >> 31
        return (Float(z >> 40) - Float(1 << 23)) * 0x1p-27
    }
}
