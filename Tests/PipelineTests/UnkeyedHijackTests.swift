@testable import Coordinator
import Foundation
import Wire
import XCTest

/// Issue 15, the stage hijack on a network trusted without keys: a peer re-points a loaded stage's next hop at
/// itself. The request in flight fails at its step deadline with a clear error and frees its session slots; the
/// next request sets the ring up again and gets the one-process tokens — nothing hangs, nothing stays broken.
final class UnkeyedHijackTests: XCTestCase {
    func testAHijackedRingFailsAtTheDeadlineAndTheNextRequestIsServedCorrectly() async throws {
        let cluster = try Cluster(workers: 2)
        let pipeline = try await cluster.pipeline(try cluster.evenPlan(2), context: 64) { $0.stepTimeout = .seconds(2) }
        let prompt = cluster.tokenizer.encode("The capital of France is")
        let expected = try await cluster.generate(try cluster.localPipeline(context: 64), prompt: prompt, maxTokens: 8)

        let trap = try ZMQContext().socket(.pull)
        let trapEndpoint = try trap.bind("tcp://127.0.0.1:*")
        let hijacker = try Connection(context: try ZMQContext(), endpoint: cluster.workers[1].controlEndpoint)
        _ = try hijacker.hello(peerID: "hijacker", timeout: .seconds(5))
        guard case .loadStageReply = try hijacker.request(.loadStage(pipeline.loadRequest(stage: 1, nextHop: trapEndpoint)),
                                                          timeout: .seconds(30)) else {
            return XCTFail("the hijacking LoadStage was not accepted (without keys nobody can be told apart)")
        }
        await assertThrowsAsync(try await cluster.generate(pipeline, prompt: prompt, maxTokens: 8)) {
            XCTAssertTrue("\($0)".contains("no result within 2"), "\($0)")
        }
        XCTAssertNoThrow(try trap.receive(timeout: .seconds(1)), "the hijacker got the stage's result")
        let sessions = try await sessions(on: pipeline, settlingTo: [0, 0])
        XCTAssertEqual(sessions, [0, 0], "the failed request's session was closed on every stage")
        let again = try await cluster.generate(pipeline, prompt: prompt, maxTokens: 8)
        XCTAssertEqual(again, expected, "the next request re-pointed the ring and was served correctly")
    }
}
