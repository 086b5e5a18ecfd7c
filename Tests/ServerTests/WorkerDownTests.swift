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
        let status = try statusOnceServed(api)
        XCTAssertEqual(status, 200, "the server reloads the restarted worker's stage")
        XCTAssertTrue(try waitForLiveness(api, stage: 1, "alive"), "the stage is back")
        XCTAssertEqual(cluster.server.stop(), 0, "SIGTERM shuts the server down cleanly")
    }

    /// Issue 16, acceptance 3: no standby and no --recover-timeout. A worker killed mid-stream ends the SSE stream
    /// with an error event naming its stage within 2 s, the session slot is free at once, and the next request is
    /// served once the worker is back.
    func testAKilledWorkerEndsTheSSEStreamWithAnErrorEventWithinTwoSeconds() throws {
        let cluster = try ServedCluster(workers: 2, serverArguments: ["--max-sessions", "1"])
        defer { cluster.shutdown() }
        let api = API(port: cluster.port)
        let stream = try HTTPConnection(port: api.port)
        let body: [String: Any] = ["prompt": "1, 2, 3, 4,", "max_tokens": 2000, "temperature": 0, "stream": true]
        try stream.send(method: "POST", path: "/v1/completions", body: Array(try JSONSerialization.data(withJSONObject: body)))
        XCTAssertEqual(try stream.readHead().status, 200)
        let endpoint = cluster.workers[1].controlEndpoint
        var bytes: [UInt8] = []
        var chunks = 0
        var killedAt = Date.distantFuture
        while let chunk = try stream.readChunk() {
            bytes += chunk
            chunks += 1
            if chunks == 10 {
                cluster.workers[1].kill()
                killedAt = Date()
            }
        }
        let waited = Date().timeIntervalSince(killedAt)
        XCTAssertLessThan(waited, 2, "the stream ended \(waited) s after the kill")
        let last = try XCTUnwrap(try SSE.events(bytes).last)
        let error = try XCTUnwrap(try SSE.json(last)["error"] as? [String: Any], "the stream's last event: \(last)")
        XCTAssertEqual(error["type"] as? String, "unavailable_error")
        XCTAssertTrue((error["message"] as? String ?? "").contains("stage 1"), "\(error)")
        let sessions = try api.get("/health").json()["sessions"] as? [String: Int]
        XCTAssertEqual(sessions?["active"], 0, "the slot was freed")

        let replacement = try WorkerProcess(listen: endpoint)
        defer { replacement.stop() }
        let status = try statusOnceServed(api)
        XCTAssertEqual(status, 200, "the next request is served once the worker is back")
    }

    /// A small completion's HTTP status, retried every 0.5 s for up to 30 s until it is 200 (the server sets the
    /// pipeline up again once the worker is back).
    private func statusOnceServed(_ api: API) throws -> Int {
        let deadline = Date().addingTimeInterval(30)
        var status = 0
        while Date() < deadline, status != 200 {
            status = try api.post("/v1/completions", ["prompt": "hi", "max_tokens": 2]).status
            if status != 200 { Thread.sleep(forTimeInterval: 0.5) }
        }
        return status
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
