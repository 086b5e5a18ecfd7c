import Engine
import Foundation
import GGUF
import Llama
import TestSupport
import Wire
import Worker
import XCTest

/// Worker requests the Envelope fuzzer (scripts/fuzz.sh) found doing harm, each sent to a worker without sockets
/// (SocketlessWorker: the real IO- and compute-thread handling). Their inputs are in Fuzz/Corpus/envelope/crash-*.
final class FuzzFoundTests: XCTestCase {
    static let peer = Array("coordinator".utf8)

    /// A LoadStage of no layers (embedding and head) with a 2^32-1 context: the stage sized its attention scores
    /// threads × context floats (16 GiB a thread, zeroed) though it never attends, and the budget did not count
    /// them — out of memory.
    func testAHeadOnlyStageWithAHugeContextAllocatesNoScores() throws {
        try XCTSkipUnless(TestPaths.modelAvailable, "test model missing: run scripts/fetch-model.sh")
        let worker = try Self.worker()
        let before = SystemMemory.resident().current
        var request = Self.stage(layers: 0..<0, contextLength: .max)
        request.maxSessions = .max
        let reply = try Self.send(.loadStage(request), to: worker)
        guard case .loadStageReply = reply else { return XCTFail("\(reply)") }
        XCTAssertLessThan(SystemMemory.resident().current - before, 512 << 20, "a head-only stage allocates no scores")
    }

    /// With layers, the scores count in the budget: threads × context × 4 bytes.
    func testTheBudgetCountsAttentionScores() throws {
        try XCTSkipUnless(TestPaths.modelAvailable, "test model missing: run scripts/fetch-model.sh")
        let file = try GGUFFile(path: TestPaths.model)
        let config = try LlamaConfig(gguf: file)
        let spec = StageSpec(layers: 0..<1, hasEmbedding: false, hasHead: false)
        let without = StageFootprint.scratchBytes(config: config, spec: spec, maxBatch: 8)
        let with = StageFootprint.scratchBytes(config: config, spec: spec, maxBatch: 8, contextLength: 1 << 20, threads: 8)
        XCTAssertEqual(with - without, 8 * (1 << 20) * MemoryLayout<Float>.size)
        let headOnly = StageSpec(layers: 0..<0, hasEmbedding: true, hasHead: true)
        XCTAssertEqual(StageFootprint.scratchBytes(config: config, spec: headOnly, maxBatch: 8, contextLength: 1 << 20, threads: 8),
                       StageFootprint.scratchBytes(config: config, spec: headOnly, maxBatch: 8))
    }

    static func worker() throws -> SocketlessWorker {
        let worker = try SocketlessWorker(options: WorkerOptions(listen: "tcp://127.0.0.1:0", threads: 2, workerID: "t",
                                                                 maxBatch: 8, memoryBudget: 1 << 30, modelPath: TestPaths.model))
        guard case .helloReply = try send(.hello(Hello(peerID: "t", role: .coordinator)), to: worker) else {
            throw XCTSkip("no HelloReply")
        }
        return worker
    }

    static func stage(layers: Range<UInt32>, contextLength: UInt32) -> LoadStage {
        LoadStage(modelPath: TestPaths.model, modelSHA256: "", layerBegin: layers.lowerBound, layerEnd: layers.upperBound,
                  isFirst: true, isLast: true, contextLength: contextLength, kvType: .f16, maxSessions: 1,
                  nextHop: "inproc://nowhere", stageIndex: 0, stageCount: 1)
    }

    static func send(_ message: WireMessage, to worker: SocketlessWorker) throws -> WireMessage {
        let bytes = Envelope(requestID: 7, message: message).encode()
        let reply = try XCTUnwrap(bytes.withUnsafeBytes { worker.control($0, from: peer) }, "no reply")
        return try Envelope.decode(reply, maxSize: 1 << 20).message
    }
}
