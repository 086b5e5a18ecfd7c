import Foundation
import TestSupport
import XCTest

/// A worker that dies: 503 naming its stage, recovery once it is back, then a clean SIGTERM shutdown.
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

        let replacement = try WorkerProcess(listen: endpoint)
        defer { replacement.stop() }
        let deadline = Date().addingTimeInterval(30)
        var status = 0
        while Date() < deadline, status != 200 {
            status = try api.post("/v1/completions", ["prompt": "hi", "max_tokens": 2]).status
            if status != 200 { Thread.sleep(forTimeInterval: 0.5) }
        }
        XCTAssertEqual(status, 200, "the server reloads the restarted worker's stage")
        XCTAssertEqual(cluster.server.stop(), 0, "SIGTERM shuts the server down cleanly")
    }
}
