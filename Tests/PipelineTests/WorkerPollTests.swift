import Foundation
import TestSupport
import XCTest

/// `baton worker --poll`: the compute thread spins only while hidden states keep arriving, and spinning never
/// changes what is computed.
final class WorkerPollTests: XCTestCase {
    func testSpinningAndSleepingWorkersGiveTheSameTokens() async throws {
        let spinning = try Cluster(workers: 2)
        let sleeping = try Cluster(workers: 2, extra: ["--poll", "0"])
        let prompt = spinning.tokenizer.encode("The capital of France is")
        let a = try await spinning.generate(try await spinning.pipeline(try spinning.evenPlan(2)), prompt: prompt, maxTokens: 16)
        let b = try await sleeping.generate(try await sleeping.pipeline(try sleeping.evenPlan(2)), prompt: prompt, maxTokens: 16)
        XCTAssertEqual(a.count, 16)
        XCTAssertEqual(a, b)
    }

    /// A worker left idle after a generation must go back to sleeping in the poll: one that kept spinning would
    /// burn a whole core for as long as nobody sends it anything.
    func testAnIdleWorkerStopsSpinningAfterItsWindow() async throws {
        let cluster = try Cluster(workers: 1, extra: ["--poll", "100"])
        let pipeline = try await cluster.pipeline(try cluster.evenPlan(1))
        _ = try await cluster.generate(pipeline, prompt: cluster.tokenizer.encode("Hello"), maxTokens: 8)
        let pid = cluster.workers[0].process.processIdentifier
        usleep(300_000)  // past the 100 ms window
        guard let before = cpuSeconds(pid) else { throw XCTSkip("no /proc/\(pid)/stat") }
        usleep(1_000_000)
        let after = try XCTUnwrap(cpuSeconds(pid))
        XCTAssertLessThan(after - before, 0.1, "an idle worker used \(after - before) s of CPU in 1 s")
    }

    func testAPollWindowOutOfRangeIsRefused() throws {
        let run = try BatonRun.run(["worker", "--listen", "tcp://127.0.0.1:*", "--poll", "70000"], timeout: 30)
        XCTAssertNotEqual(run.status, 0)
        XCTAssertTrue(run.stderr.contains("--poll must be between 0 and 60000"), run.stderr)
    }

    /// User + system CPU time of a process, from fields 14 and 15 of /proc/PID/stat (clock ticks).
    private func cpuSeconds(_ pid: Int32) -> Double? {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")") else { return nil }
        // Fields after the command name, which may itself hold spaces: state is field 3, utime 14, stime 15.
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        guard fields.count > 12, let user = Double(fields[11]), let system = Double(fields[12]) else { return nil }
        return (user + system) / Double(sysconf(Int32(_SC_CLK_TCK)))
    }
}
