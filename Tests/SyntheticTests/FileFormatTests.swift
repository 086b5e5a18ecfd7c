import GGUF
import Llama
import Synthetic
import TestSupport
import XCTest

/// The file parses with Baton's GGUF reader, says it is synthetic, and has the published shape.
final class FileFormatTests: XCTestCase {
    /// The 135m shape is SmolLM2-135M's: same tensors, same dimensions, same hyper-parameters as the real file.
    func test135mMatchesTheRealModelsTensorDirectory() throws {
        let dir = try Synth.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = try GGUFFile(path: Synth.write(Synth.model("135m", .q8_0), in: dir, name: "m.gguf"))
        let real = try GGUFFile(path: TestPaths.model)
        XCTAssertEqual(Set(file.tensors.map(\.name)), Set(real.tensors.map(\.name)))
        for info in file.tensors {
            XCTAssertEqual(info.dims, try real.tensor(info.name).dims, info.name)
            XCTAssertEqual(info.type, info.dims.count == 1 ? .f32 : .q8_0, info.name)
        }
        XCTAssertEqual(try LlamaConfig(gguf: file), try LlamaConfig(gguf: real))
        for key in real.metadataKeys where key.hasPrefix(GGUFKey.tokenizerPrefix) {
            XCTAssertEqual(file.metadata[key], real.metadata[key], key)
        }
        XCTAssertTrue(try file.string(GGUFKey.name).contains("synthetic"))
        XCTAssertTrue(try file.string(GGUFKey.name).contains("random weights"))
        XCTAssertEqual(try file.int(GGUFKey.fileType), 7)
        // Norm weights are exactly 1.
        let norm = try file.tensor(TensorName.attentionNorm(5))
        XCTAssertTrue(file.data(of: norm).withMemoryRebound(to: Float.self) { $0.allSatisfy { $0 == 1 } })
    }

    /// Every tensor's byte count is its shape's, with the file ending right after the last tensor.
    func test7bOneLayerSizesAndMetadata() throws {
        let dir = try Synth.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let model = try Synth.model("7b", .q4_1, seed: 3, layers: 1)
        let path = try Synth.write(model, in: dir, name: "m.gguf")
        let file = try GGUFFile(path: path)
        XCTAssertEqual(file.fileSize, model.fileSize)
        let expected: [String: (rows: Int, cols: Int)] = [
            TensorName.tokenEmbedding: (49152, 4096), TensorName.output: (49152, 4096),
            TensorName.attentionQ(0): (4096, 4096), TensorName.attentionK(0): (4096, 4096),
            TensorName.attentionV(0): (4096, 4096), TensorName.attentionOutput(0): (4096, 4096),
            TensorName.ffnGate(0): (11008, 4096), TensorName.ffnUp(0): (11008, 4096), TensorName.ffnDown(0): (4096, 11008),
        ]
        XCTAssertEqual(file.tensors.count, expected.count + 3)
        for (name, shape) in expected {
            let info = try file.tensor(name)
            XCTAssertEqual(info.dims, [shape.cols, shape.rows], name)
            XCTAssertEqual(info.type, .q4_1, name)
            XCTAssertEqual(info.byteCount, shape.rows * shape.cols / 32 * 20, name)
        }
        for name in [TensorName.attentionNorm(0), TensorName.ffnNorm(0), TensorName.outputNorm] {
            XCTAssertEqual(try file.tensor(name).byteCount, 4096 * 4, name)
        }
        let last = try XCTUnwrap(file.tensors.max { $0.offset < $1.offset })
        XCTAssertEqual(file.dataOffset + last.offset + last.byteCount, file.fileSize)

        let config = try LlamaConfig(gguf: file)
        XCTAssertEqual(config, try LlamaConfig(blockCount: 1, embeddingLength: 4096, headCount: 32, headCountKV: 32,
                                               feedForwardLength: 11008, vocabularySize: 49152, contextLength: 4096,
                                               ropeFreqBase: 10000, ropeDimensions: 128, rmsEpsilon: 1e-5))
        let name = try file.string(GGUFKey.name)
        XCTAssertEqual(name, "Baton synthetic llama 7b q4_1 seed 3 (random weights, 1 of 32 layers, vocab 49152 "
                       + "instead of Llama-2-7B's 32000; shape of Llama-2-7B)")
        XCTAssertEqual(try file.int(GGUFKey.fileType), 3)
    }

    /// The full-depth sizes of every shape, computed without writing: what the lead's benchmarks can expect.
    func testFullSizesOfEveryShape() throws {
        let sizes = try ModelShape.names.map { try Synth.model($0, .q4_1).fileSize }
        // Weights per shape, from the published numbers (vocabulary at least the tokenizer's 49152).
        for (shape, size) in zip(ModelShape.published, sizes) {
            let vocab = max(shape.vocabularySize, 49152), e = shape.embeddingLength, f = shape.feedForwardLength
            let q = shape.queryDimension, kv = shape.kvDimension, hd = shape.headDimension
            let layer = 2 * e * q + 2 * e * kv + 3 * e * f
            let matrices = vocab * e * (shape.tiedOutput ? 1 : 2) + shape.blockCount * layer
            // f32 vectors: norms, Qwen 2's biases, Qwen 3's Q/K norms, Llama 3's rope frequency factors.
            let perLayer = 2 * e + (shape.hasQKVBias ? q + 2 * kv : 0) + (shape.hasQKNorm ? 2 * hd : 0)
            let norms = (shape.blockCount * perLayer + e + (shape.llama3Rope == nil ? 0 : hd / 2)) * 4
            let data = matrices / 32 * 20 + norms
            XCTAssertGreaterThan(size, data, shape.name)
            XCTAssertLessThan(size, data + 8 << 20, "\(shape.name): header plus padding is more than 8 MB")
        }
    }
}
