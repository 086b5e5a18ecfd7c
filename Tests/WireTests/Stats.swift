import Foundation

/// Latency figures in microseconds, printed so a run of the tests reports them.
struct LatencyStats: CustomStringConvertible {
    let median: Double
    let p99: Double
    let min: Double

    init(_ samples: [Duration]) {
        let us = samples.map { Double($0.components.seconds) * 1e6 + Double($0.components.attoseconds) / 1e12 }.sorted()
        median = us.isEmpty ? 0 : us[us.count / 2]
        p99 = us.isEmpty ? 0 : us[Swift.min(us.count - 1, us.count * 99 / 100)]
        min = us.first ?? 0
    }

    var description: String {
        String(format: "median %.1f µs, p99 %.1f µs, min %.1f µs", median, p99, min)
    }
}

/// Average cost of `body` in microseconds over `iterations` runs.
func microsecondsPerCall(_ iterations: Int, _ body: () throws -> Void) rethrows -> Double {
    let clock = ContinuousClock()
    let start = clock.now
    for _ in 0..<iterations { try body() }
    let elapsed = clock.now - start
    return (Double(elapsed.components.seconds) * 1e6 + Double(elapsed.components.attoseconds) / 1e12) / Double(iterations)
}

/// Resident set size of this process in bytes (Linux /proc), or nil elsewhere.
func residentBytes() -> Int? {
    guard let statm = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8),
          let pages = statm.split(separator: " ").dropFirst().first.flatMap({ Int($0) }) else { return nil }
    return pages * Int(sysconf(Int32(_SC_PAGESIZE)))
}
