import GGUF
import Kernels
import Llama
import Synthetic
import TestSupport
import Tokenizer
import XCTest

/// A synthetic model runs through Baton's engine like a real one: the prompt tokenizes with our Tokenizer,
/// every layer runs, and the logits are finite and informative (not all equal) at every step.
final class FiniteLogitsTests: XCTestCase {
    static let prompt = "<|im_start|>user\nThe capital of France is<|im_end|>"

    func test135mAllThirtyLayers() throws {
        try checkRuns("135m", .q4_1, layers: nil)
    }

    /// 1b pads the tokenizer from 49152 to 128256 tokens; the padding must load, never come out of text and
    /// decode to nothing.
    func test1bFewLayersWithPaddedVocabulary() throws {
        let file = try checkRuns("1b", .q8_0, layers: 3)
        let tokenizer = try Tokenizer(gguf: file)
        let original = try Tokenizer(gguf: GGUFFile(path: TestPaths.model))
        XCTAssertEqual(tokenizer.vocabularySize, 128256)
        XCTAssertEqual(tokenizer.encode(Self.prompt), original.encode(Self.prompt))
        let pad = Int32(100_000)
        XCTAssertEqual(tokenizer.tokenText(pad), TokenizerMetadata.padText(100_000))
        XCTAssertEqual(tokenizer.piece(pad), [])
        XCTAssertFalse(tokenizer.isEndOfGeneration(pad))
        XCTAssertFalse(tokenizer.encode(TokenizerMetadata.padText(100_000)).contains(pad),
                       "unused padding tokens must not be matched in text")
        var decoder = StreamingDecoder(tokenizer: tokenizer)
        XCTAssertEqual(decoder.append(pad) + decoder.flush(), "")
        XCTAssertEqual(try file.string(GGUFKey.chatTemplate), try GGUFFile(path: TestPaths.model).string(GGUFKey.chatTemplate))
    }

    /// 7b has a separate output head (`output.weight`) and a vocabulary raised from 32000 to the tokenizer's.
    func test7bOneLayerUntiedHead() throws {
        let file = try checkRuns("7b", .q4_1, layers: 1)
        XCTAssertNotNil(file.tensorsByName[TensorName.output])
        XCTAssertEqual(try LlamaConfig(gguf: file).vocabularySize, 49152)
    }

    /// Writes the model, runs the prompt as one batch then greedy single-token steps, checking the logits.
    @discardableResult
    private func checkRuns(_ shape: String, _ type: SyntheticType, layers: Int?) throws -> GGUFFile {
        let dir = try Synth.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let model = try Synth.model(shape, type, layers: layers)
        let file = try GGUFFile(path: Synth.write(model, in: dir, name: "m.gguf"))
        let config = try LlamaConfig(gguf: file)
        XCTAssertEqual(config.blockCount, layers ?? model.spec.shape.blockCount)
        let tokenizer = try Tokenizer(gguf: file)
        XCTAssertEqual(tokenizer.vocabularySize, config.vocabularySize)
        let weights = try StageWeights(file: file, config: config, spec: .whole(config))
        let stage = LlamaStage(weights: weights, pool: Synth.pool, maxBatch: 64, maxContext: 128)
        let cache = try XCTUnwrap(stage.makeCache())
        var input = tokenizer.encode(Self.prompt)
        XCTAssertGreaterThan(input.count, 5)
        for step in 0..<4 {
            let logits = try stage.forward(.tokens(input), cache: cache, logits: .all)
            XCTAssertEqual(logits.count, input.count * config.vocabularySize)
            for row in 0..<input.count {
                let slice = logits[(row * config.vocabularySize)..<((row + 1) * config.vocabularySize)]
                XCTAssertTrue(slice.allSatisfy(\.isFinite), "\(shape) step \(step) row \(row): non-finite logits")
                let spread = (slice.max() ?? 0) - (slice.min() ?? 0)
                XCTAssertGreaterThan(spread, 0.1, "\(shape) step \(step) row \(row): logits nearly all equal")
                XCTAssertLessThan(spread, 1000, "\(shape) step \(step) row \(row): logits blew up")
            }
            let last = logits[((input.count - 1) * config.vocabularySize)...]
            input = [Int32(try XCTUnwrap(last.indices.max { last[$0] < last[$1] }) - (input.count - 1) * config.vocabularySize)]
        }
        return file
    }
}
