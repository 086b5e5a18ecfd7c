import Foundation

/// A plain-text table of tokens/s: min, median and max per test.
struct BenchTable {
    let title: String
    private var rows: [(String, String, String, String)] = []

    init(title: String) { self.title = title }

    mutating func add(_ name: String, _ samples: [Double]) {
        let s = samples.sorted()
        guard let lo = s.first, let hi = s.last else { return }
        rows.append((name, fmt(lo), fmt(s[s.count / 2]), fmt(hi)))
    }

    /// Ratio of medians, and of the extremes (min/max, max/min) as a range.
    mutating func ratio(_ name: String, _ ours: [Double], _ theirs: [Double]) {
        let a = ours.sorted(), b = theirs.sorted()
        guard let a0 = a.first, let a1 = a.last, let b0 = b.first, let b1 = b.last, b0 > 0, b1 > 0 else { return }
        rows.append((name, fmt(a0 / b1, "x"), fmt(a[a.count / 2] / b[b.count / 2], "x"), fmt(a1 / b0, "x")))
    }

    private var notes: [String] = []

    /// A line printed under the table.
    mutating func note(_ text: String) { notes.append(text) }

    func render() -> String {
        let header = ("test", "min t/s", "median t/s", "max t/s")
        let all = [header] + rows
        let w0 = all.map(\.0.count).max() ?? 4
        func line(_ r: (String, String, String, String)) -> String {
            r.0.padding(toLength: w0, withPad: " ", startingAt: 0) + "  " + [r.1, r.2, r.3].map(pad).joined(separator: "  ")
        }
        return ([title, line(header)] + rows.map(line) + notes).joined(separator: "\n")
    }

    private func pad(_ s: String) -> String { String(repeating: " ", count: max(0, 11 - s.count)) + s }
    private func fmt(_ x: Double, _ suffix: String = "") -> String { String(format: "%.2f", x) + suffix }
}

/// The pipeline benchmark's table: one row per configuration, medians with the ratio to the single process.
struct PipelineTable {
    let rows: [PipelineBench.Row]

    init(_ rows: [PipelineBench.Row]) { self.rows = rows }

    func render() -> String {
        func median(_ xs: [Double]) -> Double { xs.sorted()[xs.count / 2] }
        let base = rows.first.map { median($0.decode) } ?? 1
        let withRPC = rows.contains { $0.llamaRPCDecode != nil }
        let header = ["config", "prefill t/s", "decode t/s", "decode vs 1 process", "per-hop µs", "bytes/token", "load s",
                      "peak RSS MiB (per process)"]
            + (withRPC ? ["llama.cpp RPC decode t/s", "decode vs llama.cpp RPC"] : [])
        let body = rows.map { r in
            [r.name, String(format: "%.1f", median(r.prefill)), String(format: "%.1f", median(r.decode)),
             String(format: "%.2fx", median(r.decodeAlone.map { zip(r.decode, $0).map(/) } ?? [median(r.decode) / base])),
             r.hopMicroseconds.map { String(format: "%.0f", $0) } ?? "-",
             r.bytesPerToken.map { String(format: "%.0f", $0) } ?? "-",
             (r.loadSeconds.map { String(format: "%.1f", $0) } ?? "-")
                + (r.bytesStreamed.map { String(format: " (%.0f MB streamed)", Double($0) / 1e6) } ?? ""),
             r.peakResident.map { "\($0 >> 20)" }.joined(separator: " / ")]
            + (!withRPC ? [] : r.llamaRPCDecode.flatMap { $0.isEmpty ? nil : median($0) }.map {
                [String(format: "%.1f", $0), String(format: "%.2fx", median(r.decode) / $0)]
            } ?? ["-", "-"])
        }
        let alongside = rows.compactMap { r in r.decodeAlone.map { "\(r.name) \(String(format: "%.1f", median($0)))" } }
        return alignedColumns([header] + body, leftAligned: 1) + (alongside.isEmpty ? "" :
            "\ndecode vs 1 process: median over repetitions of each one's t/s over that of a single-process decode run just "
            + "before it; those ran at (median t/s) " + alongside.joined(separator: ", "))
    }
}

/// Rows of cells as text columns two spaces apart: the first `leftAligned` columns padded on the right (names),
/// the others on the left (numbers).
func alignedColumns(_ rows: [[String]], leftAligned: Int) -> String {
    let widths = (rows.first ?? []).indices.map { c in rows.map { $0[c].count }.max() ?? 0 }
    return rows.map { row in
        row.enumerated().map { c, cell in
            let pad = String(repeating: " ", count: widths[c] - cell.count)
            return c < leftAligned ? cell + pad : pad + cell
        }.joined(separator: "  ")
    }.joined(separator: "\n")
}
