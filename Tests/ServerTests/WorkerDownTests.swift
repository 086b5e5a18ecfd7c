import Foundation
import TestSupport
import XCTest

/// A worker that dies: 503 naming its stage, liveness dead in /health and /metrics, recovery once it is back (and
/// liveness alive again), then a clean SIGTERM shutdown.
final class WorkerDownTests: XCTestCase {
    func testDeadWorkerIs503NamingStageThenRecovers() throws {
        let cluster = try ServedCluster(workers: 2)
        defer { cluster.shutdown() }
        let api = API(port: cluster.port)
        XCTAssertEqual(try api.post("/v1/completions", ["prompt": "hi", "max_tokens": 2]).status, 200)

        let endpoint = cluster.workers[1].controlEndpoint
        cluster.workers[1].kill()
        let reply = try api.post("/v1/completions", ["prompt": "hi", "max_tokens": 2])
        XCTAssertEqual(reply.status, 503, reply.text)
        let error = try XCTUnwrap(try reply.json()["error"] as? [String: Any])
        XCTAssertEqual(error["type"] as? String, "unavailable_error")
        XCTAssertTrue((error["message"] as? String ?? "").contains("stage 1"), "\(error)")
        XCTAssertEqual(try api.get("/health").status, 503)
        XCTAssertTrue(try waitForLiveness(api, stage: 1, "dead"), "heartbeats mark the killed worker's stage dead")
        let stages = try XCTUnwrap(try api.get("/health").json()["stages"] as? [[String: Any]])
        XCTAssertEqual(stages.compactMap { $0["liveness"] as? String }, ["alive", "dead"])

        let replacement = try WorkerProcess(listen: endpoint)
        defer { replacement.stop() }
        let deadline = Date().addingTimeInterval(30)
        var status = 0
        while Date() < deadline, status != 200 {
            status = try api.post("/v1/completions", ["prompt": "hi", "max_tokens": 2]).status
            if status != 200 { Thread.sleep(forTimeInterval: 0.5) }
        }
        XCTAssertEqual(status, 200, "the server reloads the restarted worker's stage")
        XCTAssertTrue(try waitForLiveness(api, stage: 1, "alive"), "the stage is back")
        XCTAssertEqual(cluster.server.stop(), 0, "SIGTERM shuts the server down cleanly")
    }

    /// Whether /metrics shows `stage` in `state` within 10 s.
    private func waitForLiveness(_ api: API, stage: Int, _ state: String) throws -> Bool {
        let line = "baton_stage_liveness{stage=\"\(stage)\",state=\"\(state)\"} 1"
        let deadline = Date().addingTimeInterval(10)
        while Date() < deadline {
            if try api.get("/metrics").text.contains(line) { return true }
            Thread.sleep(forTimeInterval: 0.2)
        }
        return false
    }
}
