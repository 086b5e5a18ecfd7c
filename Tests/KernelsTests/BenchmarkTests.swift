import XCTest
@testable import Kernels
#if canImport(Glibc)
import Glibc
#endif

/// Prints kernel timings; runs only with BATON_KERNEL_BENCH=1 (no timing is ever asserted).
/// BATON_KERNEL_BENCH_THREADS="1,2" picks the thread counts.
final class BenchmarkTests: XCTestCase {
    func testBenchmarkPrintKernelTimings() throws {
        guard ProcessInfo.processInfo.environment["BATON_KERNEL_BENCH"] == "1" else {
            throw XCTSkip("set BATON_KERNEL_BENCH=1 to run")
        }
        let threadCounts = (ProcessInfo.processInfo.environment["BATON_KERNEL_BENCH_THREADS"] ?? "1,2")
            .split(separator: ",").compactMap { Int($0) }
        var rng = TestRNG(seed: 1)
        let shapes: [(WeightFormat, Int, Int)] = [
            (.q4_1, 576, 576), (.q4_1, 1536, 576), (.q4_1, 576, 1536), (.q8_0, 49152, 576),
        ]
        let matrices = try shapes.map { try TestMatrix(format: $0.0, rows: $0.1, cols: $0.2, rng: &rng) }
        let input = QuantizedInput(maxTokens: 128, maxCols: 1536)
        let x = rng.activations(128 * 1536)
        var out = [Float](repeating: 0, count: 128 * 49152)
        for threads in threadCounts {
            let pool = ThreadPool(threads: threads)
            for (m, shape) in zip(matrices, shapes) {
                for tokens in [1, 128] {
                    input.prepare(x, tokens: tokens, cols: shape.2, for: shape.0, pool: pool)
                    let repeats = max(1, 20_000_000 / (shape.1 * shape.2 * (tokens == 1 ? 1 : 64)))
                    let seconds = bestOf(5) {
                        for _ in 0..<repeats { matmul(m.matrix, input, into: &out, pool: pool) }
                    } / Double(repeats)
                    let perToken = tokens == 1 ? "" : String(format: "  (%.1f µs per token)", seconds * 1e6 / Double(tokens))
                    print(String(format: "bench %@ %5d×%-5d tokens %3d threads %d: %9.1f µs%@",
                                 "\(shape.0)", shape.1, shape.2, tokens, threads, seconds * 1e6, perToken))
                }
            }
            try modelLikeToken(pool: pool, input: input, rng: &rng)
        }
    }

    /// Every mat-vec of one SmolLM2-135M decode step over distinct memory (~96 MB streamed, like the
    /// real model), plus the batch-128 prefill equivalent: an upper bound on tokens/s from the kernels.
    private func modelLikeToken(pool: ThreadPool, input: QuantizedInput, rng: inout TestRNG) throws {
        let layer: [(Int, Int)] = [(576, 576), (192, 576), (192, 576), (576, 576), (1536, 576), (1536, 576), (576, 1536)]
        var plan: [(WeightFormat, Int, Int)] = []
        for _ in 0..<30 { plan += layer.map { (.q4_1, $0.0, $0.1) } }
        plan.append((.q8_0, 49152, 576))
        let totalBytes = plan.reduce(0) { $0 + $1.1 * quantizedByteCount(count: $1.2, format: $1.0) }
        let storage = UnsafeMutableRawPointer.allocate(byteCount: totalBytes, alignment: 64)
        defer { storage.deallocate() }
        for i in Swift.stride(from: 0, to: totalBytes, by: 8) {
            storage.storeBytes(of: rng.next() & 0x03FF_03FF_03FF_03FF | 0x2000_2000_2000_2000, toByteOffset: i, as: UInt64.self)
        }
        // BATON_KERNEL_BENCH_SHARED=1: every layer reads layer 0's weights (cache-resident), which
        // separates kernel arithmetic from memory streaming.
        let shared = ProcessInfo.processInfo.environment["BATON_KERNEL_BENCH_SHARED"] == "1"
        var offset = 0
        let matrices = try plan.enumerated().map { index, entry in
            let (format, rows, cols) = entry
            if shared, index % layer.count == 0, index < plan.count - 1 { offset = 0 }
            defer { offset += rows * quantizedByteCount(count: cols, format: format) }
            return try WeightMatrix(format: format, rows: rows, cols: cols, data: storage + offset)
        }
        let x = rng.activations(128 * 1536)
        var out = [Float](repeating: 0, count: 128 * 49152)
        for tokens in [1, 128] {
            let seconds = bestOf(3) {
                for m in matrices {
                    input.prepare(x, tokens: tokens, cols: m.cols, for: m.format, pool: pool)
                    matmul(m, input, into: &out, pool: pool)
                }
            }
            print(String(format: "bench model-like step (%d MB%@) tokens %3d threads %d: %8.2f ms = %6.1f tokens/s",
                         totalBytes >> 20, shared ? ", layers share weights" : "", tokens, pool.threads, seconds * 1e3, Double(tokens) / seconds))
        }
    }

    private func bestOf(_ n: Int, _ body: () -> Void) -> Double {
        body()
        var best = Double.infinity
        for _ in 0..<n {
            var start = timespec(), end = timespec()
            clock_gettime(CLOCK_MONOTONIC, &start)
            body()
            clock_gettime(CLOCK_MONOTONIC, &end)
            best = min(best, Double(end.tv_sec - start.tv_sec) + Double(end.tv_nsec - start.tv_nsec) * 1e-9)
        }
        return best
    }
}
