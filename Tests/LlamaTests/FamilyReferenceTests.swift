import Digest
import Foundation
import GGUF
import Kernels
import Llama
import TestSupport
import XCTest

/// Each architecture Baton runs, on a synthetic model of its family (made by `baton synth` with the family's
/// tokenizer), against llama.cpp's greedy run on the same file: teacher-forced logits of llama.cpp's top-10 within
/// 0.3 at every step, and the same greedy tokens over 1, 2 and 3 stages as in one process.
/// Tests/Fixtures/families/README.md says how the references were made.
final class FamilyReferenceTests: XCTestCase {
    func testLlama3WithRopeFrequenciesAndUntiedHead() throws { try check("llama3") }
    func testMistral() throws { try check("mistral") }
    func testQwen2WithBiases() throws { try check("qwen2") }
    func testQwen3WithQKNorms() throws { try check("qwen3") }
    /// YaRN-scaled Qwen 2 trained at 16 positions: most positions of these prompts lie past the original context.
    func testQwen2YarnPastTheOriginalContext() throws { try check("qwen2-yarn") }

    private func check(_ name: String) throws {
        let family = try FamilyFixture.load(name)
        let path = try family.synthesize()
        defer { unlink(path) }
        let file = try GGUFFile(path: path)
        let config = try LlamaConfig(gguf: file)
        let whole = try stage(file, config, .whole(config))
        let largest = try teacherForced(whole, family.reference)
        print(String(format: "%@: largest teacher-forced logit difference from llama.cpp %.4f", name, largest))
        XCTAssertLessThan(largest, 0.3, "\(name): teacher-forced logits")
        try sameTokensOverStages(file, config, whole: whole, prompt: family.reference.results[1].prompt_ids)
    }

    private func stage(_ file: GGUFFile, _ config: LlamaConfig, _ spec: StageSpec) throws -> LlamaStage {
        LlamaStage(weights: try StageWeights(file: file, config: config, spec: spec),
                   pool: ThreadPool(threads: ThreadPool.physicalCores), maxBatch: 64, maxContext: 128)
    }

    /// The largest |ours − llama.cpp| over the top-10 logits of every step of every prompt.
    private func teacherForced(_ stage: LlamaStage, _ ref: QuantizedGreedyReference) throws -> Float {
        var largest: Float = 0
        for test in ref.results {
            let diffs = topTenDifferences(try stage.teacherForced(test), test)
            XCTAssertLessThan(diffs.max() ?? 0, 0.3, "\(test.prompt.debugDescription)")
            largest = max(largest, diffs.max() ?? 0)
        }
        return largest
    }

    /// Greedy decoding through 2 and 3 in-process stages (hidden states handed on) equals one process's.
    private func sameTokensOverStages(_ file: GGUFFile, _ config: LlamaConfig, whole: LlamaStage, prompt: [Int32]) throws {
        let expected = try greedy([whole], prompt: prompt)
        for count in [2, 3] {
            // Middle stages hold at least one layer; the first and last may hold only the embedding or the head.
            let n = config.blockCount
            let bounds = [0] + (1..<count).map { i in min(n, max(i - 1, i * n / count)) } + [n]
            let stages = try (0..<count).map { i in
                try stage(file, config, StageSpec(layers: bounds[i]..<bounds[i + 1], hasEmbedding: i == 0,
                                                   hasHead: i == count - 1))
            }
            XCTAssertEqual(try greedy(stages, prompt: prompt), expected, "\(count) stages")
        }
    }

    private func greedy(_ stages: [LlamaStage], prompt: [Int32], steps: Int = 8) throws -> [Int32] {
        let caches = try stages.map { try XCTUnwrap($0.makeCache()) }
        var next = prompt, out: [Int32] = []
        for _ in 0..<steps {
            var hidden: [Float] = []
            for (i, stage) in stages.enumerated() {
                let input: [Float]? = i == 0 ? nil : hidden
                let result = try input.map { h in try h.withUnsafeBufferPointer { try stage.forward(.hidden($0), cache: caches[i]) } }
                    ?? stage.forward(.tokens(next), cache: caches[i])
                hidden = Array(result)
            }
            let token = argmax(hidden[...])
            out.append(token)
            next = [token]
        }
        return out
    }
}

/// One family's fixture: the `baton synth` arguments of its file, the vocabulary its tokenizer comes from, and
/// llama.cpp's greedy run on that file (whose sha256 it records).
struct FamilyFixture: Decodable {
    let name: String
    let vocabulary: String
    let synth: [String]
    var reference: QuantizedGreedyReference!

    private enum CodingKeys: String, CodingKey { case name, vocabulary, synth }

    static let directory = TestPaths.packageRoot.appendingPathComponent("Tests/Fixtures/families")

    static func load(_ name: String) throws -> FamilyFixture {
        let all = try JSONDecoder().decode([FamilyFixture].self,
                                           from: Data(contentsOf: directory.appendingPathComponent("families.json")))
        var family = try XCTUnwrap(all.first { $0.name == name }, "no family \(name) in families.json")
        family.reference = try JSONDecoder().decode(
            QuantizedGreedyReference.self, from: Data(contentsOf: directory.appendingPathComponent("ref-\(name).json")))
        return family
    }

    /// Writes the file with `baton synth` into a temporary path and checks it is the one llama.cpp ran.
    func synthesize() throws -> String {
        let vocab = TestPaths.vocabulary(vocabulary)
        guard FileManager.default.fileExists(atPath: vocab) else {
            throw FixtureMissing(description: "\(vocab) is missing: run scripts/fetch-vocab.sh (scripts/setup.sh does)")
        }
        let out = NSTemporaryDirectory() + "baton-family-\(name)-\(getpid()).gguf"
        let run = try BatonRun.run(["synth"] + synth + ["--tokenizer-model", vocab, "--out", out])
        XCTAssertEqual(run.status, 0, run.stderr)
        let digest = try FileDigest.sha256(path: out).map { String(format: "%02x", $0) }.joined()
        XCTAssertEqual(digest, reference.model_sha256, "\(name): `baton synth \(synth.joined(separator: " "))` no longer "
                       + "writes the file llama.cpp's reference was made from")
        return out
    }
}

struct FixtureMissing: Error, CustomStringConvertible {
    let description: String
}
