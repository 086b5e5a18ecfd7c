import Foundation
import Kernels

/// `baton bench --kernels`: the decode mat-vec of every format in GB/s of weights read, next to this machine's
/// memory-read bandwidth measured the same way (each thread streaming its own part of a buffer larger than the
/// caches), per thread count. A decode step streams every weight byte once, so the ratio is how close a format
/// gets to the limit.
struct KernelBench {
    let threadCounts: [Int]
    /// Bytes of weights per format (far beyond the last-level cache).
    var bytes = 512 << 20

    func run() -> String {
        var rows: [[String]] = [["format", "layout"] + threadCounts.map { "GB/s \($0) thread\($0 == 1 ? "" : "s")" }]
        let pools = threadCounts.map { ThreadPool(threads: $0) }
        rows.append(["memory read", "-"] + pools.map { String(format: "%.1f", readBandwidth(pool: $0)) })
        for format in WeightFormat.allCases where format.traits.activation != .f32 {
            guard let (matrix, storage) = makeMatrix(format) else { continue }
            defer { storage.deallocate() }
            let layouts = [matrix] + (matrix.interleaved().map { [$0] } ?? [])
            for m in layouts {
                rows.append(["\(format)", m.layout == .rows ? "rows" : "interleaved"]
                            + pools.map { String(format: "%.1f", matvecBandwidth(m, pool: $0)) })
            }
        }
        return "kernels: \(DotKernels.selected.name) (BATON_KERNELS picks another level)\n"
            + alignedColumns(rows, leftAligned: 2)
    }

    /// A matrix of `bytes` with 4096-wide rows of plausible blocks (finite f16 scales).
    private func makeMatrix(_ format: WeightFormat) -> (WeightMatrix, UnsafeMutableRawPointer)? {
        let cols = 4096, rowBytes = quantizedByteCount(count: cols, format: format)
        let rows = max(16, bytes / rowBytes / 16 * 16)
        let storage = UnsafeMutableRawPointer.allocate(byteCount: rows * rowBytes, alignment: 64)
        let source = (0..<cols).map { Float(sin(Double($0) * 0.37)) * 0.05 }
        source.withUnsafeBufferPointer { x in
            guard let x = x.baseAddress else { return }
            _ = quantizeRow(x, count: cols, format: format, into: storage)
        }
        for r in 1..<rows { (storage + r * rowBytes).copyMemory(from: storage, byteCount: rowBytes) }
        guard let m = try? WeightMatrix(format: format, rows: rows, cols: cols, data: storage) else {
            storage.deallocate()
            return nil
        }
        return (m, storage)
    }

    private func matvecBandwidth(_ m: WeightMatrix, pool: ThreadPool) -> Double {
        let input = QuantizedInput(maxTokens: 1, maxCols: m.cols)
        let x = (0..<m.cols).map { Float(cos(Double($0) * 0.11)) }
        input.prepare(x, tokens: 1, cols: m.cols, for: m.format, pool: pool)
        let out = UnsafeMutablePointer<Float>.allocate(capacity: m.rows)
        defer { out.deallocate() }
        let seconds = bestOf(5) { matmul(m, input, into: out, pool: pool) }
        return Double(m.byteCount) / seconds / 1e9
    }

    /// Memory-read GB/s with `threads` threads.
    func readBandwidth(threads: Int) -> Double { readBandwidth(pool: ThreadPool(threads: threads)) }

    /// Every thread sums its share of a buffer with wide loads; the best of five passes.
    private func readBandwidth(pool: ThreadPool) -> Double {
        let count = bytes / 8
        // On huge pages where the kernel grants them, as the interleaved weights are (PackedStorage).
        var raw: UnsafeMutableRawPointer?
        guard posix_memalign(&raw, 2 << 20, count * 8) == 0, let raw else { return 0 }
        #if os(Linux)
        _ = madvise(raw, count * 8, Int32(MADV_HUGEPAGE))
        #endif
        let buffer = raw.bindMemory(to: UInt64.self, capacity: count)
        defer { free(raw) }
        buffer.initialize(repeating: 1, count: count)
        let sink = UnsafeMutablePointer<UInt64>.allocate(capacity: pool.threads * 8)
        defer { sink.deallocate() }
        let seconds = bestOf(5) {
            pool.parallelRanges(count / 8) { range in
                var acc = SIMD8<UInt64>()
                let raw = UnsafeRawPointer(buffer)
                for i in range { acc &+= raw.loadUnaligned(fromByteOffset: i &* 64, as: SIMD8<UInt64>.self) }
                sink[range.lowerBound % (pool.threads * 8)] = acc.wrappedSum()
            }
        }
        return Double(count * 8) / seconds / 1e9
    }

    private func bestOf(_ n: Int, _ body: () -> Void) -> Double {
        body()
        var best = Double.infinity
        for _ in 0..<n {
            let start = ContinuousClock.now
            body()
            best = min(best, (ContinuousClock.now - start).seconds)
        }
        return best
    }
}

/// Why a comparison with llama.cpp may not be representative: a loaded machine, or llama.cpp itself far below
/// what this machine's memory allows (the runs the project's first published ratios came from). Nil when fine.
func benchmarkWarning(loadBefore: Double?, llamaDecode: [Double], weightBytes: Int, bandwidth: Double) -> String? {
    var reasons: [String] = []
    if let loadBefore, loadBefore >= 1 {
        reasons.append(String(format: "the load average was %.2f before the run (≥ 1: something else is running)", loadBefore))
    }
    let sorted = llamaDecode.sorted()
    if !sorted.isEmpty, bandwidth > 0 {
        let effective = sorted[sorted.count / 2] * Double(weightBytes) / 1e9
        if effective < 0.25 * bandwidth {
            reasons.append(String(format: "llama.cpp decoded at %.1f GB/s of weights, under a quarter of the %.1f GB/s this machine reads", effective, bandwidth))
        }
    }
    guard !reasons.isEmpty else { return nil }
    return "warning: this run may not be representative: " + reasons.joined(separator: "; ") + ". Benchmark on a quiet machine and do not quote these ratios."
}

/// The 1-minute load average, from /proc/loadavg.
func loadAverage() -> Double? {
    guard let text = try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8) else { return nil }
    return text.split(separator: " ").first.flatMap { Double($0) }
}
