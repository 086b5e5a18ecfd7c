import Coordinator
import Foundation
import TestSupport
import XCTest

/// Issue 16: a standby worker takes the stage of a worker that died mid-stream, and the stream goes on with the
/// tokens an undisturbed run gives.
final class StandbyTests: XCTestCase {
    func testAStandbyTakesADeadWorkersStageAndTheStreamGoesOnWithIdenticalTokens() async throws {
        let cluster = try Cluster(workers: 3)   // the third is the standby
        let standby = cluster.workers[2].controlEndpoint
        let prompt = cluster.tokenizer.encode("1, 2, 3, 4,")
        let expected = try await cluster.generate(try cluster.localPipeline(context: 1024), prompt: prompt, maxTokens: 600)
        let pipeline = try await cluster.pipeline(try cluster.evenPlan(2), context: 1024) { $0.standbys = [standby] }
        let generation = Task { [cluster] in try await cluster.generate(pipeline, prompt: prompt, maxTokens: 600) }
        try await Task.sleep(for: .milliseconds(400))
        cluster.workers[1].kill()
        let started = ContinuousClock.now
        let got = try await generation.value
        XCTAssertEqual(got, expected, "the stream resumed on the standby with the same tokens")
        print("stream finished \(ContinuousClock.now - started) after the kill")

        let stages = await pipeline.stageStatus()
        XCTAssertEqual(stages.map(\.endpoint), [cluster.workers[0].controlEndpoint, standby], "the standby serves stage 1")
        XCTAssertTrue(stages.allSatisfy { $0.loaded && $0.problem == nil && $0.liveness == "alive" }, "\(stages)")
        XCTAssertGreaterThan(stages[1].forwardsDone, 0, "the standby computed the rest of the stream")
        let again = try await cluster.generate(pipeline, prompt: prompt, maxTokens: 8)
        XCTAssertEqual(again, Array(expected.prefix(8)), "the next request runs on the new pipeline")
    }

    /// Planned maintenance: SIGTERM on a worker mid-stream. It reports draining, the coordinator moves its stage to
    /// the standby and closes its sessions there, the stream goes on with the same tokens, and the worker exits 0.
    func testSIGTERMOnAWorkerMovesItsStageToTheStandbyWithoutFailingTheStream() async throws {
        let cluster = try Cluster(workers: 3)
        let standby = cluster.workers[2].controlEndpoint
        let prompt = cluster.tokenizer.encode("1, 2, 3, 4,")
        let expected = try await cluster.generate(try cluster.localPipeline(context: 1024), prompt: prompt, maxTokens: 600)
        let pipeline = try await cluster.pipeline(try cluster.evenPlan(2), context: 1024) { $0.standbys = [standby] }
        let generation = Task { [cluster] in try await cluster.generate(pipeline, prompt: prompt, maxTokens: 600) }
        try await Task.sleep(for: .milliseconds(400))
        cluster.workers[1].signal(SIGTERM)
        let got = try await generation.value
        XCTAssertEqual(got, expected, "the stream moved to the standby with the same tokens")
        XCTAssertEqual(cluster.workers[1].ending(within: 10), ChildExit.Ending(code: 0, bySignal: false),
                       "the drained worker exited cleanly once its sessions were closed")
        let stages = await pipeline.stageStatus()
        XCTAssertEqual(stages.map(\.endpoint), [cluster.workers[0].controlEndpoint, standby])
        XCTAssertGreaterThan(stages[1].forwardsDone, 0, "the standby computed the rest of the stream")
    }
}
