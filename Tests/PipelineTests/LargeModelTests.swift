import Foundation
import TestSupport
import Engine
import XCTest

/// Issue 6's proof: a model of more than 1 GB, on three workers that each offer less memory than the file,
/// split automatically; no process holds the whole model, and the tokens equal a single process's.
final class LargeModelTests: XCTestCase {
    struct Output: Decodable {
        let tokens: [Int32]
        let peak_rss_bytes: UInt64
        let worker_peak_rss_bytes: [UInt64]?
    }

    private func generate(_ arguments: [String]) throws -> Output {
        let run = try BatonRun.run(["generate", "-p", "The capital of France is", "-n", "16", "--temperature", "0",
                                "--ctx-size", "256", "--json"] + arguments)
        guard run.status == 0 else { throw WorkerProcessError(description: "baton generate failed: \(run.stderr)") }
        return try JSONDecoder().decode(Output.self, from: run.output)
    }

    func testModelLargerThanEveryWorkerRunsSplitAutoWithinMemory() throws {
        guard TestPaths.modelAvailable else { throw XCTSkip("test model missing: run scripts/fetch-model.sh") }
        let synth = try SyntheticFile(["--shape", "1b", "--type", "q8_0", "--seed", "3"])
        defer { synth.remove() }
        let model = synth.path
        let size = try XCTUnwrap(FileManager.default.attributesOfItem(atPath: model)[.size] as? Int)
        XCTAssertGreaterThanOrEqual(size, 1_000_000_000, "the model must be at least 1 GB")

        let reference = try generate(["-m", model, "--threads", "2"])
        XCTAssertEqual(reference.tokens.count, 16)

        let budget = size * 3 / 4                                  // each worker offers less than the whole file
        let workers = try (0..<3).map { _ in try WorkerProcess(extra: ["--max-memory", "\(budget)"]) }
        defer { workers.forEach { $0.stop() } }
        let split = try generate(["-m", model, "--workers", workers.map(\.controlEndpoint).joined(separator: ","),
                                  "--split", "auto", "--max-sessions", "1"])
        XCTAssertEqual(split.tokens, reference.tokens, "3 workers with --split auto vs the single process")

        let peaks = workers.map { SystemMemory.resident(pid: "\($0.process.processIdentifier)").peak }
        for (i, peak) in peaks.enumerated() {
            XCTAssertGreaterThan(peak, 0, "worker \(i)'s VmHWM is readable")
            XCTAssertLessThan(Double(peak), 0.6 * Double(size), "worker \(i) peak RSS \(peak >> 20) MiB of a \(size >> 20) MiB model")
        }
        XCTAssertEqual(split.worker_peak_rss_bytes?.count, 3)
        XCTAssertGreaterThan(split.peak_rss_bytes, 0)
        XCTAssertLessThan(Double(split.peak_rss_bytes), 0.1 * Double(size),
                          "coordinator peak RSS \(split.peak_rss_bytes >> 20) MiB of a \(size >> 20) MiB model")
        print("large model: \(size >> 20) MiB file, budget \(budget >> 20) MiB/worker, worker peaks "
              + "\(peaks.map { "\($0 >> 20)" }.joined(separator: "/")) MiB, coordinator \(split.peak_rss_bytes >> 20) MiB")
    }
}
