import Foundation
import TestSupport
import XCTest

/// Issue 16, acceptance 1: `baton serve --standby`, a worker killed with SIGKILL in the middle of an SSE stream:
/// the stream completes, its greedy text identical to an undisturbed run.
final class StandbyStreamTests: XCTestCase {
    func testAnSSEStreamCompletesOnTheStandbyAfterItsWorkerIsKilled() throws {
        let standby = try WorkerProcess()
        defer { standby.stop() }
        let cluster = try ServedCluster(workers: 2, serverArguments: ["--standby", standby.controlEndpoint])
        defer { cluster.shutdown() }
        let api = API(port: cluster.port)
        let body: [String: Any] = ["prompt": "1, 2, 3, 4,", "max_tokens": 400, "temperature": 0]
        let undisturbed = try API.text(api.ok("/v1/completions", body))

        let stream = try HTTPConnection(port: api.port)
        var request = body
        request["stream"] = true
        try stream.send(method: "POST", path: "/v1/completions", body: Array(try JSONSerialization.data(withJSONObject: request)))
        XCTAssertEqual(try stream.readHead().status, 200)
        var bytes: [UInt8] = []
        var chunks = 0
        var longestGap = 0.0
        var last = Date()
        while let chunk = try stream.readChunk() {
            bytes += chunk
            chunks += 1
            longestGap = max(longestGap, Date().timeIntervalSince(last))
            last = Date()
            if chunks == 20 { cluster.workers[1].kill() }
        }
        let events = try SSE.events(bytes)
        XCTAssertEqual(events.last, "[DONE]")
        let pieces = try events.dropLast().map { event -> String in
            let json = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(event.utf8)) as? [String: Any], event)
            XCTAssertNil(json["error"], "the stream carried an error: \(event)")
            return API.text(json)
        }
        XCTAssertEqual(pieces.joined(), undisturbed, "the stream's text is an undisturbed run's")
        print("SSE over a standby: longest pause between chunks \(String(format: "%.2f", longestGap)) s")
        let health = try api.get("/health")
        XCTAssertEqual(health.status, 200, health.text)
        XCTAssertTrue(health.text.contains(standby.controlEndpoint), "the standby serves stage 1: \(health.text)")
    }
}
