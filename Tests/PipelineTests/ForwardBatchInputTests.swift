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

    /// How a stage forms its batches (ComputeLoop.computeNextBatch), read from the batch sizes each result
    /// reports: the oldest item always goes; a chunk that does not fit --batch-size (8) waits, and so does
    /// everything behind it of its session, while later sessions' items join; one-token steps are capped at
    /// ⌈open sessions / stages⌉ per batch (5 sessions over 2 stages: 3), so the stages share the streams.
    func testBatchesTakeTheOldestFirstPassOverWhatDoesNotFitAndCapOneTokenSteps() throws {
        try XCTSkipUnless(TestPaths.modelAvailable, "test model missing: run scripts/fetch-model.sh")
        let worker = try FuzzFoundTests.worker()                         // --batch-size 8
        var stage = FuzzFoundTests.stage(layers: 0..<15, contextLength: 64)
        (stage.isLast, stage.stageCount, stage.maxSessions, stage.nextHopTakesBatches) = (false, 2, 5, true)
        guard case .loadStageReply = try FuzzFoundTests.send(.loadStage(stage), to: worker) else { return XCTFail("not loaded") }
        for id: UInt64 in 1...5 {
            guard case .openSessionReply = try FuzzFoundTests.send(.openSession(OpenSession(sessionID: id, contextLength: 64)),
                                                                  to: worker) else { return XCTFail("session \(id)") }
        }
        func step(_ session: UInt64, at start: UInt32, _ count: Int) -> Forward {
            Forward(sessionID: session, step: 1, startPosition: start, tokens: [Int32](repeating: 9, count: count), sample: false)
        }
        /// (session, sessions in its batch, rows in its batch) for each result, in the order they were sent.
        func batches(_ members: [Forward]) throws -> [[UInt64]] {
            try WireMessage.forwardBatch(members).encode().withUnsafeBytes { worker.data($0) }.flatMap { bytes -> [Forward] in
                switch try WireMessage.decode(bytes, maxSize: 1 << 24) {
                case .forwardBatch(let forwards): forwards
                case .forward(let forward): [forward]
                default: []
                }
            }.map { [$0.sessionID, UInt64($0.timings.last?.batchSessions ?? 0), UInt64($0.timings.last?.batchRows ?? 0)] }
        }
        // Session 1's chunk of 4, session 5's chunk of 6 (4 + 6 > 8: it waits), session 1's next chunk (waits for
        // the first), three one-token steps (they join: 7 rows); then session 5's chunk with session 1's second.
        let first = try batches([step(1, at: 0, 4), step(5, at: 0, 6), step(1, at: 4, 2), step(2, at: 0, 1), step(3, at: 0, 1),
                                 step(4, at: 0, 1)])
        XCTAssertEqual(first, [[1, 4, 7], [2, 4, 7], [3, 4, 7], [4, 4, 7], [5, 2, 8], [1, 2, 8]])
        // Four one-token steps: three in a batch, the fourth in the next.
        let second = try batches([step(2, at: 1, 1), step(3, at: 1, 1), step(4, at: 1, 1), step(5, at: 6, 1)])
        XCTAssertEqual(second, [[2, 3, 3], [3, 3, 3], [4, 3, 3], [5, 1, 1]])
    }
}
