import Coordinator
import Engine
import Foundation
import XCTest

/// Issue 16: a worker that hears nothing from its coordinator for `--coordinator-timeout` frees that
/// coordinator's sessions; a coordinator that lives (heartbeats while idle) keeps them.
final class QuietCoordinatorTests: XCTestCase {
    func testSessionsOutliveTheTimeoutWhileTheCoordinatorBeatsAndAreFreedOnceItFallsSilent() async throws {
        let cluster = try Cluster(workers: 2, extra: ["--coordinator-timeout", "1"])
        let plan = try cluster.evenPlan(2)
        let options = SessionOptions(contextLength: 64)

        var beating: RemotePipeline? = try await cluster.pipeline(plan, context: 64)
        try await XCTUnwrap(beating).open(1, options: options)
        try await Task.sleep(for: .seconds(2.5))
        let kept = try await XCTUnwrap(beating).stageHealth().map(\.sessions)
        XCTAssertEqual(kept, [1, 1], "heartbeats keep an idle session")
        let token = try await XCTUnwrap(beating).step(1, tokens: cluster.tokenizer.encode("Hello"), sample: true, promptLogprobs: false)
        XCTAssertNotNil(token, "the session still computes")
        try await XCTUnwrap(beating).close(1)
        beating = nil

        // A coordinator that stops talking (its heartbeat is an hour away), as a crashed one would.
        let silent = try await cluster.pipeline(plan, context: 64) { $0.heartbeatInterval = .seconds(3600) }
        try await silent.open(2, options: options)
        let opened = try await silent.stageHealth().map(\.sessions)
        XCTAssertEqual(opened, [1, 1])
        try await Task.sleep(for: .seconds(2.5))
        let freed = try await silent.stageHealth().map(\.sessions)
        XCTAssertEqual(freed, [0, 0], "both workers freed the quiet coordinator's session")
        await assertThrowsAsync(try await silent.step(2, tokens: [1], sample: true, promptLogprobs: false)) { error in
            XCTAssertTrue("\(error)".contains("unknown session 2"), "\(error)")
        }
    }
}
