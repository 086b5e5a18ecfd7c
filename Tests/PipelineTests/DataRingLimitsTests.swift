import Coordinator
import Engine
import Foundation
import TestSupport
import Wire
import XCTest

/// Issue 15, the data ring: a next hop that takes nothing never blocks a worker, the data socket's message limit
/// is sized from the loaded model, and sessions nobody uses expire. Attacks come from this process, speaking the
/// real protocol to real workers on 127.0.0.1.
final class DataRingLimitsTests: XCTestCase {
    private let context = 64

    /// Stage 0 of `cluster`'s even 2-stage split, pointed at `nextHop` (as a peer without keys may ask).
    private func loadStage0(_ cluster: Cluster, via peer: Connection, nextHop: String) throws {
        let layers = try cluster.evenPlan(2).ranges[0]
        let request = LoadStage(modelPath: cluster.modelPath, modelSHA256: "", layerBegin: UInt32(layers.lowerBound),
                                layerEnd: UInt32(layers.upperBound), isFirst: true, isLast: false, contextLength: UInt32(context),
                                kvType: .f16, maxSessions: 4, nextHop: nextHop, stageIndex: 0, stageCount: 2)
        guard case .loadStageReply = try peer.request(.loadStage(request), timeout: .seconds(60)) else {
            return XCTFail("LoadStage was not answered with a LoadStageReply")
        }
    }

    private func peer(_ worker: WorkerProcess) throws -> Connection {
        let connection = try Connection(context: try ZMQContext(), endpoint: worker.controlEndpoint)
        _ = try connection.hello(peerID: "peer", timeout: .seconds(5))
        return connection
    }

    /// A stage whose next hop is down, flooded with data messages: its sends never wait (before, each waited 2 s
    /// once libzmq's queue was full, and stage requests queued behind them), the results it holds stay bounded,
    /// and once a real coordinator loads the pipeline its greedy output is the one-process output.
    func testAFloodTowardsADeadNextHopNeitherStallsTheWorkerNorHarmsTheNextClient() async throws {
        let cluster = try Cluster(workers: 2)
        let zmq = try ZMQContext()
        let dead: String = try {
            let socket = try zmq.socket(.pull)
            return try socket.bind("tcp://127.0.0.1:*")   // closed when this returns: nothing listens there
        }()
        let attacker = try peer(cluster.workers[0])
        try loadStage0(cluster, via: attacker, nextHop: dead)
        let flood = try zmq.socket(.push)
        try flood.connect(cluster.workers[0].dataEndpoint)
        var sent = 0
        for i in 0..<3000 {
            let junk = Forward(sessionID: 424_242, step: UInt64(i), startPosition: 0, tokens: [1], sample: false)
            if (try? flood.send(.forward(junk), timeout: .milliseconds(20))) != nil { sent += 1 }
        }
        try await Task.sleep(for: .milliseconds(500))
        let clock = ContinuousClock()
        let elapsed = try clock.measure {
            for id in 1...20 as ClosedRange<UInt64> {
                _ = try attacker.request(.closeSession(CloseSession(sessionID: id)), timeout: .seconds(30))
            }
            _ = try attacker.request(.openSession(OpenSession(sessionID: 7, contextLength: UInt32(context))), timeout: .seconds(30))
        }
        XCTAssertLessThan(elapsed, .seconds(2), "21 stage requests behind \(sent) data messages for a dead next hop")

        let pipeline = try await cluster.pipeline(try cluster.evenPlan(2), context: context)
        let prompt = cluster.tokenizer.encode("The capital of France is")
        let tokens = try await cluster.generate(pipeline, prompt: prompt, maxTokens: 12)
        let expected = try await cluster.generate(try cluster.localPipeline(context: context), prompt: prompt, maxTokens: 12)
        XCTAssertEqual(tokens, expected)
    }

    /// Once a stage is loaded, its data socket takes messages up to a batch of the model's hidden rows (from a
    /// previous stage with up to 4× its --batch-size): a bigger one gets its sender cut off by libzmq before it is
    /// decoded, and the ring serves on.
    func testTheDataSocketTakesMessagesUpToABatchOfTheLoadedModel() throws {
        let cluster = try Cluster(workers: 1)
        let zmq = try ZMQContext()
        let trap = try zmq.socket(.pull)
        let trapEndpoint = try trap.bind("tcp://127.0.0.1:*")
        let attacker = try peer(cluster.workers[0])
        try loadStage0(cluster, via: attacker, nextHop: trapEndpoint)
        _ = try attacker.request(.openSession(OpenSession(sessionID: 5, contextLength: UInt32(context))), timeout: .seconds(5))
        // 4 × 256 rows × (576 × 4 + 1 KiB) + 64 KiB ≈ 3.3 MiB. A stage 0 reads no hidden states, so this one-token
        // Forward padded with 6 MB of them would come out as one row of hidden states if it were ever read.
        let padding = HiddenStates(nEmbd: 1_500_000, values: [Float](repeating: 0.25, count: 1_500_000))
        let oversized = Forward(sessionID: 5, step: 1, startPosition: 0, tokens: [1], hidden: padding, sample: false)
        let big = try zmq.socket(.push)
        try big.connect(cluster.workers[0].dataEndpoint)
        try big.send(.forward(oversized), timeout: .seconds(5))
        XCTAssertThrowsError(try trap.receiveMessage(timeout: .seconds(1)), "the oversized message was read")

        let small = try zmq.socket(.push)
        try small.connect(cluster.workers[0].dataEndpoint)
        try small.send(.forward(Forward(sessionID: 5, step: 2, startPosition: 0, tokens: [1, 2, 3], sample: false)), timeout: .seconds(5))
        guard case .forward(let out) = try trap.receiveMessage(timeout: .seconds(10)) else {
            return XCTFail("a Forward within the limit did not come out as hidden states")
        }
        XCTAssertEqual(out.hidden?.values.count, 3 * cluster.config.embeddingLength)
    }

    /// A session may ask for at most 20 alternatives per token, which bounds a TokenResult below the coordinator's
    /// result-socket limit (a peer asking for the whole vocabulary would make each result megabytes).
    func testASessionAskingForMoreThanTwentyAlternativesIsRefused() throws {
        let cluster = try Cluster(workers: 1)
        let peer = try peer(cluster.workers[0])
        try loadStage0(cluster, via: peer, nextHop: "tcp://127.0.0.1:1")
        XCTAssertThrowsError(try peer.request(.openSession(OpenSession(sessionID: 3, contextLength: 16, topLogprobs: 21)),
                                              timeout: .seconds(5))) { error in
            guard case .remote(let e) = error as? WireError else { return XCTFail("\(error)") }
            XCTAssertEqual(e.code, .badRequest, e.message)
        }
        XCTAssertNoThrow(try peer.request(.openSession(OpenSession(sessionID: 3, contextLength: 16, topLogprobs: 20)),
                                          timeout: .seconds(5)))
    }

    /// A peer that opens sessions and leaves them idle cannot hold a worker's session limit: past
    /// `--session-idle-timeout` without a forward pass they are closed, while a session in use lives on.
    func testSessionsNobodyUsesExpireWhileOneInUseLivesOn() async throws {
        let cluster = try Cluster(workers: 2, extra: ["--session-idle-timeout", "1"])
        let pipeline = try await cluster.pipeline(try cluster.evenPlan(2), context: context) { $0.maxSessions = 3 }
        let options = SessionOptions(contextLength: context)
        try await pipeline.open(1, options: options)
        let squatter = try peer(cluster.workers[0])
        for id in [901, 902] as [UInt64] {
            _ = try squatter.request(.openSession(OpenSession(sessionID: id, contextLength: UInt32(context))), timeout: .seconds(5))
        }
        await assertThrowsAsync(try await pipeline.open(2, options: options)) { error in
            XCTAssertTrue("\(error)".contains("session"), "\(error)")
        }
        var position = 0
        for _ in 0..<10 {
            _ = try await pipeline.step(1, tokens: [Int32(100 + position)], sample: true, promptLogprobs: false)
            position += 1
            try await Task.sleep(for: .milliseconds(300))
        }
        let sessions = try await pipeline.stageHealth().map(\.sessions)
        XCTAssertEqual(sessions, [1, 1], "the squatter's idle sessions were closed, the one in use kept")
        try await pipeline.open(2, options: options)
        let token = try await pipeline.step(1, tokens: [7], sample: true, promptLogprobs: false)
        XCTAssertNotNil(token, "the session in use still computes")
    }
}
