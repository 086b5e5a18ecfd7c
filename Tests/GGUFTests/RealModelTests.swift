import Foundation
import GGUF
import TestSupport
import XCTest

/// The real SmolLM2 model parses, and what we read agrees with llama.cpp's own dump of it
/// (model_facts.json and gguf_dump.txt in the refs directory).
final class RealModelTests: XCTestCase {
    /// Keys of model_facts.json that are not metadata, and how each is checked (or why it is not).
    private static let nonMetadataFacts: Set = [
        "tensor_count", "tensor_classes", "tensor_data_bytes", "has_output_weight", "source_file_bytes",
        "tokenizer.ggml.tokens.len", "tokenizer.ggml.merges.len",
        "derived", "source_file", "dumped_with",  // llama.cpp's derived figures and provenance: nothing to read
    ]

    func testMetadataMatchesFacts() throws {
        let file = try RealModel.file()
        let facts = try RealModel.facts()
        var compared = 0
        for (key, expected) in facts where !Self.nonMetadataFacts.contains(key) {
            let value = try XCTUnwrap(file.metadata[key], "model lacks '\(key)' that llama.cpp reports")
            switch value {
            case .string(let s): XCTAssertEqual(s, expected as? String, key)
            case .bool(let b): XCTAssertEqual(b, expected as? Bool, key)
            case .float32, .float64: XCTAssertEqual(value.double, expected as? Double, key)  // exact: same float
            default: XCTAssertEqual(try file.int(key), expected as? Int, key)
            }
            compared += 1
        }
        XCTAssertEqual(compared, facts.count - Self.nonMetadataFacts.count)
        XCTAssertEqual(try file.stringArray(GGUFKey.tokens).count, facts["tokenizer.ggml.tokens.len"] as? Int)
        XCTAssertEqual(try file.stringArray(GGUFKey.merges).count, facts["tokenizer.ggml.merges.len"] as? Int)
        XCTAssertEqual(try file.intArray(GGUFKey.tokenTypes).count, 49152)
        XCTAssertEqual(file.fileSize, facts["source_file_bytes"] as? Int)
        XCTAssertEqual(try file.stringArray(GGUFKey.tokens).prefix(3), ["<|endoftext|>", "<|im_start|>", "<|im_end|>"])
        XCTAssertEqual(try file.stringArray(GGUFKey.merges).first, "Ġ t")
    }

    func testMetadataOrderTypesAndCountsMatchDump() throws {
        let file = try RealModel.file()
        let dumped = try RealModel.dumpLines().compactMap(DumpedKey.init)
        XCTAssertEqual(dumped.first { $0.key == "GGUF.version" }?.count, 1)
        XCTAssertEqual(file.version, 3)
        let keys = dumped.filter { !$0.key.hasPrefix("GGUF.") }
        XCTAssertEqual(keys.count, 33)
        XCTAssertEqual(file.metadataKeys, keys.map(\.key))
        for entry in keys {
            let value = try file.value(entry.key)
            if case .array(let element, let items) = value {
                XCTAssertEqual(entry.type, "[\(element.dumpName)]", entry.key)
                XCTAssertEqual(items.count, entry.count, entry.key)
            } else {
                XCTAssertEqual(entry.type, value.type.dumpName, entry.key)
                XCTAssertEqual(entry.count, 1, entry.key)
            }
        }
    }

    func testTensorsMatchDump() throws {
        let file = try RealModel.file()
        let dumped = try RealModel.dumpLines().compactMap(DumpedTensor.init)
        XCTAssertEqual(dumped.count, 272)
        XCTAssertEqual(file.tensors.count, 272)
        for (info, expected) in zip(file.tensors, dumped) {
            XCTAssertEqual(info.name, expected.name)
            XCTAssertEqual(info.type.description, expected.type, info.name)
            XCTAssertEqual(info.elementCount, expected.elements, info.name)
            XCTAssertEqual(info.dims + Array(repeating: 1, count: 4 - info.dims.count), expected.ne, info.name)
            XCTAssertEqual(info.byteCount, info.elementCount / info.type.blockSize * info.type.blockBytes, info.name)
        }
    }

    func testTensorClassesAndLayoutMatchFacts() throws {
        let file = try RealModel.file()
        let facts = try RealModel.facts()
        XCTAssertEqual(file.tensors.count, facts["tensor_count"] as? Int)
        let classes = try XCTUnwrap(facts["tensor_classes"] as? [String: [String: Any]])
        var seen: [String: [String: Int]] = [:]
        for info in file.tensors {
            let cls = Self.tensorClass(info.name)
            let expected = try XCTUnwrap(classes[cls], "unexpected tensor \(info.name)")
            XCTAssertEqual(info.dims, expected["shape_ne"] as? [Int], info.name)
            seen[cls, default: [:]][info.type.description, default: 0] += 1
        }
        XCTAssertEqual(Set(seen.keys), Set(classes.keys))
        for (cls, counts) in seen { XCTAssertEqual(counts, classes[cls]?["types"] as? [String: Int], cls) }
        XCTAssertEqual(file.tensorsByName[TensorName.output] != nil, facts["has_output_weight"] as? Bool)
        // The data section holds exactly the tensors: it ends at the end of the file.
        let dataBytes = try XCTUnwrap(facts["tensor_data_bytes"] as? Int)
        XCTAssertEqual(file.tensors.map { $0.offset + $0.byteCount }.max(), dataBytes)
        XCTAssertEqual(file.fileSize - file.dataOffset, dataBytes)
        XCTAssertEqual(file.dataOffset % file.alignment, 0)
    }

    func testEveryLayerTensorIsLoadable() throws {
        let file = try RealModel.file()
        let blocks = try file.positiveInt(GGUFKey.blockCount("llama"))
        let embedding = try file.int(GGUFKey.embeddingLength("llama"))
        let kvDim = try embedding / file.int(GGUFKey.headCount("llama")) * file.int(GGUFKey.headCountKV("llama"))
        XCTAssertEqual(kvDim, 192)
        for layer in 0..<blocks {
            for name in TensorName.layer(layer) { XCTAssertNoThrow(try file.tensor(name), name) }
            try file.requireShape(TensorName.attentionK(layer), [embedding, kvDim])
            try file.requireType(TensorName.attentionNorm(layer), [.f32])
        }
        try file.requireShape(TensorName.tokenEmbedding, [embedding, 49152])
        try file.requireType(TensorName.tokenEmbedding, [.q8_0])
        assertThrows(.missingTensor(TensorName.output)) { try file.tensor(TensorName.output) }
    }

    func testNormWeightsAreFiniteFloats() throws {
        let file = try RealModel.file()
        let norm = try file.requireType(TensorName.outputNorm, [.f32])
        let raw = file.data(of: norm)
        let values = (0..<raw.count / 4).map { raw.loadUnaligned(fromByteOffset: $0 * 4, as: Float.self) }
        XCTAssertEqual(values.count, 576)
        XCTAssertTrue(values.allSatisfy(\.isFinite))
        XCTAssertTrue(values.contains { $0 != 0 }, "output_norm is all zeros: data offset is wrong")
    }

    /// `blk.7.attn_q.weight` → `attn_q.weight`, as model_facts.json groups tensors.
    private static func tensorClass(_ name: String) -> String {
        guard name.hasPrefix("blk.") else { return name }
        return name.split(separator: ".").dropFirst(2).joined(separator: ".")
    }
}
