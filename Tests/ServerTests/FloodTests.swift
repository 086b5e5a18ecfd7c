import Foundation
import TestSupport
import Wire
import XCTest

/// Issue 15, acceptance 5 (and issue 17's): 64 concurrent streaming requests through `baton serve` over two workers
/// while another peer floods both workers' control and data ports with junk. Every stream completes and equals its
/// prompt's output when run alone.
final class FloodTests: XCTestCase {
    func testSixtyFourStreamsCompleteWhileAPeerFloodsTheWorkersWithJunk() throws {
        let cluster = try ServedCluster(workers: 2, serverArguments: ["--max-sessions", "64", "--ctx-size", "256"])
        defer { cluster.shutdown() }
        let api = API(port: cluster.port)
        let prompts = (0..<64).map { "\(ConcurrencyTests.prompts[$0 % ConcurrencyTests.prompts.count]) (\($0))" }
        let maxTokens = 8
        let alone = try prompts.map { try api.complete($0, maxTokens: maxTokens) }

        let flood = try Flood(endpoints: cluster.workers.flatMap { [($0.controlEndpoint, true), ($0.dataEndpoint, false)] })
        let results = Locked([String?](repeating: nil, count: prompts.count))
        let failures = Locked([String]())
        let done = DispatchGroup()
        for (i, prompt) in prompts.enumerated() {
            done.enter()
            Thread.detachNewThread {
                defer { done.leave() }
                do {
                    let (_, events) = try api.stream("/v1/completions", ["prompt": prompt, "max_tokens": maxTokens, "temperature": 0])
                    guard events.last == "[DONE]" else { throw HTTPTestError("stream \(i) did not end with [DONE]") }
                    let text = try events.dropLast().map { try SSE.json($0).choice["text"] as? String ?? "" }.joined()
                    results.update { $0[i] = text }
                } catch {
                    failures.update { $0.append("stream \(i): \(error)") }
                }
            }
        }
        let finished = done.wait(timeout: .now() + 300)
        let junk = flood.stop()
        XCTAssertEqual(finished, .success, "the 64 streams did not finish within 300 s")
        XCTAssertEqual(failures.get(), [])
        for (i, text) in results.get().enumerated() {
            XCTAssertEqual(text, alone[i], "stream \(i) (\(prompts[i])) differs from its single-request output")
        }
        XCTAssertGreaterThan(junk, 1000, "the flood sent junk the whole time")
        print("flood: \(junk) junk messages while 64 streams ran")
        let health = try api.get("/health")
        XCTAssertEqual(health.status, 200, health.text)
        XCTAssertEqual((try health.json()["sessions"] as? [String: Int])?["active"], 0)
    }
}

/// A peer that sends random bytes to every endpoint (a DEALER to control ports, a PUSH to data ports) in bursts,
/// until stopped. Invariant for `@unchecked Sendable`: the sockets live on its own thread only.
private final class Flood: @unchecked Sendable {
    private let stopped = Locked(false)
    private let sent = Locked(0)
    private let finished = DispatchSemaphore(value: 0)

    init(endpoints: [(String, Bool)]) throws {
        Thread.detachNewThread { [self] in
            defer { finished.signal() }
            guard let context = try? ZMQContext() else { return }
            var options = ZMQSocketOptions()
            options.maxMessageSize = nil
            let sockets = endpoints.compactMap { endpoint, control -> ZMQSocket? in
                guard let socket = try? context.socket(control ? .dealer : .push, options: options) else { return nil }
                try? socket.connect(endpoint)
                return socket
            }
            var generator = SystemRandomNumberGenerator()
            while !stopped.get() {
                for socket in sockets {
                    for _ in 0..<20 {
                        let junk = (0..<Int.random(in: 1...2048, using: &generator)).map { _ in UInt8.random(in: 0...255, using: &generator) }
                        if (try? socket.send(junk, timeout: .zero)) != nil { sent.update { $0 += 1 } }
                        if socket.type == .dealer { _ = try? socket.receive(timeout: .zero) }   // drop the Error replies
                    }
                }
                usleep(10_000)
            }
        }
    }

    /// Stops the flood; returns how many junk messages went out.
    func stop() -> Int {
        stopped.set(true)
        finished.wait()
        return sent.get()
    }
}
