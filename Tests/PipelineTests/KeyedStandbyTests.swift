import Coordinator
import Foundation
import TestSupport
import XCTest

/// Issues 15 and 16 together: with CURVE keys on every link, a pinned standby takes a dead worker's stage — the
/// last stage (whose key the coordinator's result socket must now admit) and then the first (whose key the
/// coordinator's PUSH must pin) — and each stream goes on with the tokens an undisturbed run gives.
final class KeyedStandbyTests: XCTestCase {
    func testPinnedStandbysTakeTheLastAndThenTheFirstStageWithIdenticalTokens() async throws {
        let keys = try TestKeys(workers: 4)
        defer { keys.remove() }
        let cluster = try Cluster(workers: 4, perWorker: keys.workerArguments)   // workers 2 and 3 stand by
        let prompt = cluster.tokenizer.encode("1, 2, 3, 4,")
        let expected = try await cluster.generate(try cluster.localPipeline(context: 512), prompt: prompt, maxTokens: 200)
        let security = PipelineSecurity(keys: keys.coordinator, workerKeys: keys.workers.prefix(2).map(\.publicKey),
                                        standbyKeys: keys.workers.suffix(2).map(\.publicKey))
        let pipeline = try await cluster.pipeline(try cluster.evenPlan(2), context: 512) {
            $0.security = security
            $0.standbys = [cluster.workers[2].controlEndpoint, cluster.workers[3].controlEndpoint]
        }
        for (victim, standby) in [(1, 2), (0, 3)] {
            let generation = Task { [cluster] in try await cluster.generate(pipeline, prompt: prompt, maxTokens: 200) }
            try await Task.sleep(for: .milliseconds(300))
            cluster.workers[victim].kill()
            let got = try await generation.value
            XCTAssertEqual(got, expected, "worker \(victim) killed: the stream resumed on standby \(standby) with the same tokens")
            let endpoints = await pipeline.stageStatus().map(\.endpoint)
            XCTAssertEqual(endpoints[victim], cluster.workers[standby].controlEndpoint, "the standby serves stage \(victim)")
        }
    }
}
