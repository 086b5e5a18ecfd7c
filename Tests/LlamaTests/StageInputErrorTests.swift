import GGUF
import Llama
import TestSupport
import XCTest

/// Bad requests to a stage get a typed error and leave it able to serve the next request.
final class StageInputErrorTests: XCTestCase {
    func testLayerRangeOutsideTheModelIsRejected() throws {
        let m = try ModelFixture.load()
        let spec = StageSpec(layers: 25..<31, hasEmbedding: false, hasHead: true)
        XCTAssertThrowsError(try StageWeights(file: m.file, config: m.config, spec: spec)) { error in
            XCTAssertEqual(error as? LlamaError, .invalidLayerRange(requested: 25..<31, blockCount: 30))
            XCTAssertTrue("\(error)".contains("0..<30"))
        }
    }

    func testBadBatchesAreRejectedAndTheStageKeepsWorking() throws {
        let stage = try ModelFixture.stage(maxBatch: 8, context: 16)
        guard let cache = stage.makeCache(), let fresh = stage.makeCache() else { return XCTFail("no KV cache") }
        XCTAssertThrowsError(try stage.forward(.tokens([1, 49152]), cache: cache)) {
            XCTAssertEqual($0 as? LlamaError, .tokenOutOfRange(token: 49152, vocabularySize: 49152))
        }
        XCTAssertThrowsError(try stage.forward(.tokens([-1]), cache: cache))
        XCTAssertThrowsError(try stage.forward(.tokens([]), cache: cache))
        XCTAssertThrowsError(try stage.forward(.tokens(Array(repeating: 5, count: 9)), cache: cache)) {
            XCTAssertEqual($0 as? LlamaError, .batchTooLarge(tokens: 9, maximum: 8))
        }
        XCTAssertEqual(cache.length, 0, "a rejected batch must not advance the cache")
        _ = try stage.forward(.tokens(Array(repeating: 5, count: 8)), cache: cache)
        _ = try stage.forward(.tokens(Array(repeating: 5, count: 8)), cache: cache)
        XCTAssertThrowsError(try stage.forward(.tokens([5]), cache: cache)) {
            XCTAssertEqual($0 as? LlamaError, .contextExceeded(position: 16, tokens: 1, contextLength: 16))
        }
        let ok = try stage.forward(.tokens([504, 3575]), cache: fresh)
        XCTAssertEqual(ok.count, stage.config.vocabularySize)
    }

    func testHiddenStateOfWrongSizeIsRejected() throws {
        let config = try ModelFixture.load().config
        let back = try ModelFixture.stage(StageSpec(layers: 15..<30, hasEmbedding: false, hasHead: true))
        guard let cache = back.makeCache() else { return XCTFail("no KV cache") }
        let hidden = [Float](repeating: 0.1, count: config.embeddingLength + 3)
        XCTAssertThrowsError(try hidden.withUnsafeBufferPointer { try back.forward(.hidden($0), cache: cache) }) {
            XCTAssertEqual($0 as? LlamaError, .hiddenStateSize(floats: config.embeddingLength + 3, embeddingLength: config.embeddingLength))
        }
        XCTAssertThrowsError(try back.forward(.tokens([1]), cache: cache)) {
            XCTAssertEqual($0 as? LlamaError, .missingInput("this stage has no token embedding"))
        }
    }
}
