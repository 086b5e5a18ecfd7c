import Foundation
import TestSupport
import XCTest

/// `baton bench --stages`: the table's shape and the figures that do not depend on speed.
final class BenchCommandTests: XCTestCase {
    func testStagesTableHasARowPerStageCountAndFewBytesPerToken() throws {
        guard TestPaths.modelAvailable else { throw XCTSkip("test model missing: run scripts/fetch-model.sh") }
        let run = try BatonRun.run(["bench", "-m", TestPaths.model, "-t", "1", "--stages", "1,2", "--prompt-tokens", "4",
                                    "--gen-tokens", "4", "--repetitions", "1", "--poll", "0"], timeout: 120)
        XCTAssertEqual(run.status, 0, run.stderr)
        let lines = run.stdout.split(separator: "\n").map(String.init)
        let header = try XCTUnwrap(lines.first { $0.hasPrefix("config") })
        let columns = header.components(separatedBy: "  ").filter { !$0.isEmpty }.map { $0.trimmingCharacters(in: .whitespaces) }
        let bytesColumn = try XCTUnwrap(columns.firstIndex(of: "bytes/token"))
        func cells(_ name: String) throws -> [String] {
            let line = try XCTUnwrap(lines.first { $0.hasPrefix(name) }, "no row \(name) in\n\(run.stdout)")
            return line.dropFirst(name.count).split(separator: " ").map(String.init)
        }
        XCTAssertEqual(try cells("1 process").count, columns.count - 1)
        // A decode step sends one token id to stage 0, 576 floats from stage 0 to 1, one token id back.
        let twoStages = try XCTUnwrap(Double(try cells("2 stages × 1 thread")[bytesColumn - 1]))
        XCTAssertGreaterThan(twoStages, 576 * 4)
        XCTAssertLessThanOrEqual(twoStages, 2500)
        XCTAssertTrue(run.stdout.contains("decode vs 1 process: median over repetitions"), run.stdout)
    }

    func testWorkersWithoutConcurrencyAreRefused() throws {
        guard TestPaths.modelAvailable else { throw XCTSkip("test model missing: run scripts/fetch-model.sh") }
        let run = try BatonRun.run(["bench", "-m", TestPaths.model, "--stages", "2", "--workers", "tcp://127.0.0.1:7101"],
                                   timeout: 30)
        XCTAssertNotEqual(run.status, 0)
        XCTAssertTrue(run.stderr.contains("--workers is used with --concurrency only"), run.stderr)
    }
}
