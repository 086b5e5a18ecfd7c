import TestSupport
import Wire
import Worker
import XCTest

/// ForwardBatch from the network (SocketlessWorker: the worker's real data handling): a batch of more members than
/// the worker's --batch-size is dropped before it reaches the inbox; a good one gives each member its own result,
/// its members of one session in order.
final class ForwardBatchInputTests: XCTestCase {
    func testOversizedBatchesAreDroppedAndGoodOnesAnswerEveryMember() throws {
        try XCTSkipUnless(TestPaths.modelAvailable, "test model missing: run scripts/fetch-model.sh")
        let worker = try FuzzFoundTests.worker()                         // --batch-size 8
        var stage = FuzzFoundTests.stage(layers: 0..<30, contextLength: 64)
        stage.maxSessions = 4
        guard case .loadStageReply = try FuzzFoundTests.send(.loadStage(stage), to: worker) else { return XCTFail("not loaded") }
        for id: UInt64 in [1, 2] {
            let reply = try FuzzFoundTests.send(.openSession(OpenSession(sessionID: id, contextLength: 64)), to: worker)
            guard case .openSessionReply = reply else { return XCTFail("\(reply)") }
        }
        let tiny = (0..<9).map { Forward(sessionID: UInt64($0 % 2 + 1), step: UInt64($0), startPosition: 0, tokens: [1], sample: true) }
        XCTAssertEqual(WireMessage.forwardBatch(tiny).encode().withUnsafeBytes { worker.data($0) }, [], "9 members > 8: dropped")

        // Session 1's two chunks (in order) and session 2's prompt: three results, session 1's second after its first.
        let good = [Forward(sessionID: 1, step: 1, startPosition: 0, tokens: [1, 2], sample: false),
                    Forward(sessionID: 2, step: 1, startPosition: 0, tokens: [3], sample: true),
                    Forward(sessionID: 1, step: 2, startPosition: 2, tokens: [4], sample: true)]
        let out = try WireMessage.forwardBatch(good).encode().withUnsafeBytes { worker.data($0) }
            .map { try WireMessage.decode($0, maxSize: 1 << 20) }
        let answered = out.compactMap { message -> [UInt64]? in
            guard case .tokenResult(let r) = message else { return nil }
            return [r.sessionID, r.step]
        }
        XCTAssertEqual(answered.count, 3, "\(out)")
        XCTAssertEqual(Set(answered), [[1, 1], [2, 1], [1, 2]])
        XCTAssertLessThan(try XCTUnwrap(answered.firstIndex(of: [1, 1])), try XCTUnwrap(answered.firstIndex(of: [1, 2])))
    }
}
