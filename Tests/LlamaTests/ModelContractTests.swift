import Foundation
import GGUF
import Llama
import TestSupport
import XCTest

/// What would change the arithmetic and is not implemented is refused at load, naming it: an architecture, a
/// metadata key, a rope scaling type, a tensor no step reads, a context past the trained positions.
final class ModelContractTests: XCTestCase {
    func testAMinimalModelOfEachArchitectureLoads() throws {
        for arch in ModelArchitecture.allCases {
            let config = try LlamaConfig(gguf: try TinyModel(architecture: arch.rawValue).file())
            XCTAssertEqual(config.architecture, arch)
        }
        let qwen3 = try LlamaConfig(gguf: try TinyModel(architecture: "qwen3", keys: [("qwen3.attention.key_length", .uint32(32)),
                                                                                       ("qwen3.attention.value_length", .uint32(32))]).file())
        XCTAssertEqual(qwen3.headDimension, 32)
        XCTAssertEqual(qwen3.queryDimension, 128)
    }

    func testUnknownArchitectureIsRefusedNamingIt() throws {
        try assertRefused(TinyModel(architecture: "gemma2"), mentioning: ["'gemma2'", "llama, qwen2, qwen3"])
    }

    func testUnknownKeyUnderTheArchitectureIsRefusedNamingIt() throws {
        try assertRefused(TinyModel(keys: [("llama.attention.sliding_window", .uint32(4096))]),
                          mentioning: ["'llama.attention.sliding_window'"])
        try assertRefused(TinyModel(keys: [("llama.logit_scale", .float32(0.5))]), mentioning: ["'llama.logit_scale'"])
    }

    func testUnknownRopeScalingTypeIsRefusedNamingIt() throws {
        try assertRefused(TinyModel(keys: [("llama.rope.scaling.type", .string("longrope"))]),
                          mentioning: ["'llama.rope.scaling.type'", "longrope", "none, linear, yarn"])
    }

    func testMixtureOfExpertsIsRefused() throws {
        try assertRefused(TinyModel(keys: [("llama.expert_count", .uint32(8))]), mentioning: ["'llama.expert_count' = 8", "dense"])
        XCTAssertNoThrow(try LlamaConfig(gguf: try TinyModel(keys: [("llama.expert_count", .uint32(0))]).file()))
    }

    func testATensorNoStepReadsIsRefusedNamingIt() throws {
        try assertRefused(TinyModel(extraTensors: [("blk.0.attn_qkv.weight", [64, 192])]),
                          mentioning: ["'blk.0.attn_qkv.weight'", "'llama'"])
        // A bias Llama may carry is read; Qwen 3 has none.
        XCTAssertNoThrow(try LlamaConfig(gguf: try TinyModel(extraTensors: [("blk.0.attn_output.bias", [64])]).file()))
        try assertRefused(TinyModel(architecture: "qwen3", extraTensors: [("blk.0.attn_output.bias", [64])]),
                          mentioning: ["'blk.0.attn_output.bias'", "'qwen3'"])
        try assertRefused(TinyModel(architecture: "qwen2", extraTensors: [(TensorName.ropeFrequencies, [8])]),
                          mentioning: ["'rope_freqs.weight'"])
    }

    func testRopeFrequencyFactorsMustBePositive() throws {
        let file = try TinyModel(extraTensors: [(TensorName.ropeFrequencies, [8])]).file()   // all zero
        let config = try LlamaConfig(gguf: file)
        XCTAssertThrowsError(try StageWeights(file: file, config: config, spec: .whole(config))) { error in
            XCTAssertTrue("\(error)".contains("rope_freqs.weight[0] is 0.0"), "\(error)")
        }
    }

    func testContextPastTheTrainedPositionsIsRefusedUnlessScalingCoversIt() throws {
        let plain = try LlamaConfig(gguf: try TinyModel().file())   // context_length 64
        XCTAssertNoThrow(try plain.checkContext(64))
        XCTAssertThrowsError(try plain.checkContext(65)) { error in
            XCTAssertEqual(error as? LlamaError, .contextBeyondTraining(requested: 65, trained: 64, scaling: .none))
            XCTAssertTrue("\(error)".contains("context 65 is past the 64 positions"), "\(error)")
        }
        let yarn = try LlamaConfig(gguf: try TinyModel(keys: [("llama.rope.scaling.type", .string("yarn")),
                                                              ("llama.rope.scaling.factor", .float32(4)),
                                                              ("llama.rope.scaling.original_context_length", .uint32(32))]).file())
        XCTAssertEqual(yarn.ropeScaling, .yarn(factor: 4, originalContext: 32))
        XCTAssertNoThrow(try yarn.checkContext(128))
        XCTAssertThrowsError(try yarn.checkContext(129))
    }

    func testRopeScalingOverrideCoversALongerContext() throws {
        let plain = try LlamaConfig(gguf: try TinyModel().file())
        let yarn = try plain.overridingRopeScaling(RopeScaling(name: "yarn", factor: 4, originalContext: nil,
                                                                 trainingContext: plain.contextLength))
        XCTAssertEqual(yarn.ropeScaling, .yarn(factor: 4, originalContext: 64))
        XCTAssertNoThrow(try yarn.checkContext(256))
        XCTAssertEqual(try RopeScaling(name: "linear", factor: 2, originalContext: nil, trainingContext: 64), .linear(factor: 2))
        XCTAssertThrowsError(try RopeScaling(name: "longrope", factor: 2, originalContext: nil, trainingContext: 64)) { error in
            XCTAssertTrue("\(error)".contains("'longrope'"), "\(error)")
        }
        XCTAssertThrowsError(try RopeScaling(name: "yarn", factor: 0, originalContext: nil, trainingContext: 64))
    }

    /// The command line refuses it before loading any weights.
    func testGenerateRefusesACtxSizePastTheTrainingContext() throws {
        try XCTSkipUnless(TestPaths.modelAvailable, "test model missing: run scripts/fetch-model.sh")
        let run = try BatonRun.run(["generate", "-m", TestPaths.model, "-p", "hi", "-n", "1", "--ctx-size", "9000"])
        XCTAssertNotEqual(run.status, 0)
        XCTAssertTrue(run.exitedNormally)
        XCTAssertTrue(run.stderr.contains("context 9000 is past the 8192 positions"), run.stderr)
        let extended = try BatonRun.run(["generate", "-m", TestPaths.model, "-p", "hi", "-n", "1", "--ctx-size", "9000",
                                         "--rope-scaling", "yarn", "--rope-scale", "2"])
        XCTAssertEqual(extended.status, 0, extended.stderr)
    }

    private func assertRefused(_ model: TinyModel, mentioning parts: [String], line: UInt = #line) throws {
        let file = try model.file()
        XCTAssertThrowsError(try LlamaConfig(gguf: file), line: line) { error in
            for part in parts { XCTAssertTrue("\(error)".contains(part), "\(error) lacks \(part)", line: line) }
        }
    }
}

/// A one-layer model of 64 wide, 4 heads of 16, every tensor F32 and zero: enough header for the contract.
struct TinyModel {
    var architecture = "llama"
    var keys: [(String, GGUFValue)] = []
    var extraTensors: [(String, [Int])] = []

    func file() throws -> GGUFFile {
        let a = architecture
        var w = GGUFWriter()
        w.set(GGUFKey.architecture, .string(a))
        for (key, value) in [(GGUFKey.blockCount(a), 1), (GGUFKey.contextLength(a), 64), (GGUFKey.embeddingLength(a), 64),
                             (GGUFKey.feedForwardLength(a), 128), (GGUFKey.headCount(a), 4), (GGUFKey.headCountKV(a), 2),
                             (GGUFKey.vocabSize(a), 8)] {
            w.set(key, .uint32(UInt32(value)))
        }
        for (key, value) in keys { w.set(key, value) }
        let hd = keys.first { $0.0.hasSuffix(".attention.key_length") }.flatMap { $0.1.int } ?? 16
        let q = 4 * hd, kv = 2 * hd
        var tensors: [(String, [Int])] = [(TensorName.tokenEmbedding, [64, 8]), (TensorName.outputNorm, [64])]
        tensors += [(TensorName.attentionNorm(0), [64]), (TensorName.attentionQ(0), [64, q]),
                    (TensorName.attentionK(0), [64, kv]), (TensorName.attentionV(0), [64, kv]),
                    (TensorName.attentionOutput(0), [q, 64]), (TensorName.ffnNorm(0), [64]),
                    (TensorName.ffnGate(0), [64, 128]), (TensorName.ffnUp(0), [64, 128]), (TensorName.ffnDown(0), [128, 64])]
        if a == "qwen3" { tensors += [(TensorName.attentionQNorm(0), [hd]), (TensorName.attentionKNorm(0), [hd])] }
        for (name, dims) in tensors + extraTensors { w.addTensor(name, dims: dims, type: .f32) }
        let bytes = w.bytes()
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: bytes.count, alignment: 64)
        buffer.copyBytes(from: bytes)
        // The parsed file reads tensor data from this buffer for as long as the test runs; it is small.
        return try GGUFFile(bytes: UnsafeRawBufferPointer(buffer))
    }
}
