import Foundation
import TestSupport
import XCTest

/// `baton bench --stages` and `--concurrency`: the tables' shape and the figures that do not depend on speed.
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

    /// Two local workers at one thread each, levels 1 and 2: every row has S_TG, time to first token and
    /// inter-token latency columns with numbers that can be right whatever the speed. No llama.cpp (CI has none).
    func testConcurrencyRowsHaveLatencyColumns() throws {
        guard TestPaths.modelAvailable else { throw XCTSkip("test model missing: run scripts/fetch-model.sh") }
        let run = try BatonRun.run(["bench", "-m", TestPaths.model, "--concurrency", "1,2", "--stages", "2", "-t", "1",
                                    "--gen-tokens", "8", "--repetitions", "1"], timeout: 60)
        XCTAssertEqual(run.status, 0, run.stderr)
        let lines = run.stdout.split(separator: "\n").map(String.init)
        func cells(_ line: String) -> [String] {
            line.components(separatedBy: "  ").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        }
        let header = cells(try XCTUnwrap(lines.first { $0.hasPrefix("streams") }, run.stdout))
        func column(_ name: String) throws -> Int { try XCTUnwrap(header.firstIndex(of: name), "no \(name) in \(header)") }
        let (decode, ttft, p50, p99) = (try column("S_TG t/s"), try column("TTFT p50 ms"), try column("ITL p50 ms"),
                                        try column("ITL p99 ms"))
        XCTAssertNil(header.firstIndex(of: "llama.cpp S_TG t/s"), "llama.cpp columns without --llama-bench")
        for level in ["1", "2"] {
            let row = cells(try XCTUnwrap(lines.first { cells($0).first == level }, "no row \(level) in\n\(run.stdout)"))
            XCTAssertEqual(row.count, header.count, run.stdout)
            func number(_ c: Int) throws -> Double { try XCTUnwrap(Double(row[c]), "\(header[c]) of \(level): \(row[c])") }
            XCTAssertGreaterThan(try number(decode), 0)
            XCTAssertGreaterThan(try number(ttft), 0)
            XCTAssertGreaterThan(try number(p50), 0)
            XCTAssertGreaterThanOrEqual(try number(p99), try number(p50))
            // Two 8-token prompts through 135M parameters take well under ten seconds even on a busy machine.
            XCTAssertLessThan(try number(ttft), 10_000)
        }
        XCTAssertTrue(run.stdout.contains("S_TG = decode tokens / T_TG"), run.stdout)
        XCTAssertTrue(run.stdout.contains("8-token prompts"), run.stdout)
    }

    func testWorkersWithoutConcurrencyAreRefused() throws {
        guard TestPaths.modelAvailable else { throw XCTSkip("test model missing: run scripts/fetch-model.sh") }
        let run = try BatonRun.run(["bench", "-m", TestPaths.model, "--stages", "2", "--workers", "tcp://127.0.0.1:7101"],
                                   timeout: 30)
        XCTAssertNotEqual(run.status, 0)
        XCTAssertTrue(run.stderr.contains("--workers is used with --concurrency only"), run.stderr)
    }
}
