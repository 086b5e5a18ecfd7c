import Coordinator
import Foundation
import Synchronization
import Wire
import XCTest

/// Issue 16, acceptance 4: a stage that answers Health (it looks alive and loaded) but never delivers a result. The
/// request fails with a clear error at its step deadline, its session is closed on every stage, and nothing hangs.
final class SwallowingStageTests: XCTestCase {
    func testAStageThatSwallowsForwardsFailsTheRequestAtItsDeadline() async throws {
        let cluster = try Cluster(workers: 1)
        let fake = try SwallowingStage()
        defer { fake.stop() }
        let plan = try cluster.evenPlan(2)
        var options = RemotePipelineOptions(modelPath: cluster.modelPath,
                                            workers: [cluster.workers[0].controlEndpoint, fake.endpoint], plan: plan,
                                            contextLength: 128)
        options.stepTimeout = .seconds(2)
        let pipeline = try RemotePipeline(options: options)
        try await pipeline.connect()
        let started = ContinuousClock.now
        await assertThrowsAsync(try await cluster.generate(pipeline, prompt: cluster.tokenizer.encode("Hello"), maxTokens: 8)) {
            XCTAssertTrue("\($0)".contains("no result within 2"), "\($0)")
        }
        let waited = ContinuousClock.now - started
        XCTAssertGreaterThanOrEqual(waited, .seconds(2))
        XCTAssertLessThan(waited, .seconds(4), "the step failed at its deadline, not later")
        XCTAssertGreaterThan(fake.forwardsSwallowed, 0, "the fake stage was sent the step")
        let sessions = try await sessions(on: pipeline, settlingTo: [0, 0])
        XCTAssertEqual(sessions, [0, 0], "the session was closed on every stage")
    }
}

/// A stage that does everything a worker does on the control socket, and swallows every data message.
/// Invariant for `@unchecked Sendable`: the sockets are used only by the thread `init` starts; `stopped` and
/// `swallowed` are atomic.
private final class SwallowingStage: @unchecked Sendable {
    let endpoint: String
    private let control: ControlServer
    private let data: ZMQSocket
    private let dataEndpoint: String
    private let stopped = Atomic<Bool>(false)
    private let swallowed = Atomic<Int>(0)
    private let finished = DispatchSemaphore(value: 0)

    var forwardsSwallowed: Int { swallowed.load(ordering: .relaxed) }

    init() throws {
        let context = try ZMQContext()
        control = try ControlServer(context: context, bindTo: "tcp://127.0.0.1:*")
        data = try context.socket(.pull)
        dataEndpoint = try data.bind("tcp://127.0.0.1:*")
        endpoint = control.endpoint
        Thread.detachNewThread { [self] in serve() }
    }

    private func serve() {
        var sessions = Set<UInt64>()
        while !stopped.load(ordering: .relaxed) {
            guard let ready = try? ZMQPoller.readable([control.socket, data], timeout: .milliseconds(50)) else { break }
            if ready[1], (try? data.receive(timeout: .zero)) != nil { swallowed.add(1, ordering: .relaxed) }
            if ready[0], let request = try? control.receiveRequest(timeout: .zero), case .success(let message) = request.message {
                try? control.reply(to: request, with: Self.answer(message, dataEndpoint: dataEndpoint, sessions: &sessions))
            }
        }
        finished.signal()
    }

    func stop() {
        stopped.store(true, ordering: .relaxed)
        finished.wait()
    }

    private static func answer(_ message: WireMessage, dataEndpoint: String, sessions: inout Set<UInt64>) -> WireMessage {
        switch message {
        case .hello:
            return .helloReply(HelloReply(workerID: "swallower", threads: 1, freeMemoryBytes: 1 << 30, totalMemoryBytes: 1 << 30,
                                          capabilities: [.kvF16, .kvF32, .promptLogprobs], dataEndpoint: dataEndpoint))
        case .loadStage(let load):
            return .loadStageReply(LoadStageReply(weightBytes: 1, kvBytesPerSession: 1, loadMilliseconds: 1, nEmbd: 576,
                                                  nLayersTotal: max(load.layerEnd, 30)))
        case .openSession(let open):
            sessions.insert(open.sessionID)
            return .openSessionReply(OpenSessionReply(sessionID: open.sessionID, kvBytes: 1))
        case .closeSession(let close):
            return .closeSessionReply(CloseSessionReply(sessionID: close.sessionID, existed: sessions.remove(close.sessionID) != nil))
        case .health:
            var health = HealthReply()
            health.loaded = true
            health.sessions = UInt32(sessions.count)
            return .healthReply(health)
        default:
            return .error(ErrorMessage(code: .badRequest, message: "not served by this fake"))
        }
    }
}
