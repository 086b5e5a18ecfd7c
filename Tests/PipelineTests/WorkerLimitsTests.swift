import Foundation
import GGUF
import Llama
import TestSupport
import Wire
@testable import Worker
import XCTest

/// Issue 15, limits: message sizes a worker takes, on the control socket and in the data ring.
final class WorkerLimitsTests: XCTestCase {
    /// A control message past `Envelope.controlMaxSize` gets its sender cut off by libzmq, not decoded; the worker
    /// answers the next peer at once.
    func testAnOversizedControlMessageIsDroppedAndTheWorkerServesOn() throws {
        let worker = try WorkerProcess()
        let context = try ZMQContext()
        var options = ZMQSocketOptions.control
        options.maxMessageSize = nil
        let flooder = try context.socket(.dealer, options: options)
        try flooder.connect(worker.controlEndpoint)
        try flooder.send([UInt8](repeating: 0x0a, count: Envelope.controlMaxSize + 1), timeout: .seconds(5))
        XCTAssertNil(try? flooder.receive(timeout: .seconds(1)), "nothing of the oversized message was answered")

        let peer = try Connection(context: context, endpoint: worker.controlEndpoint)
        let hello = try peer.hello(peerID: "after", timeout: .seconds(5))
        XCTAssertFalse(hello.dataEndpoint.isEmpty)
    }

    /// A stage whose `--batch-size` rows of hidden states would not fit one data message is refused naming the
    /// batch size to use, instead of a chunk libzmq would drop.
    func testABatchSizeWhoseHiddenStatesCannotFitAMessageIsRefused() throws {
        guard TestPaths.modelAvailable else { throw XCTSkip("test model missing: run scripts/fetch-model.sh") }
        var config = try LlamaConfig(gguf: try GGUFFile(path: TestPaths.model))
        config.embeddingLength = 4096
        XCTAssertNoThrow(try ComputeLoop.checkDataMessages(config: config, maxBatch: 4000))
        XCTAssertThrowsError(try ComputeLoop.checkDataMessages(config: config, maxBatch: 8192)) { error in
            XCTAssertTrue("\(error)".contains("--batch-size 4032 or less"), "\(error)")
        }
    }
}
