import Kernels

/// Makes a tensor's bytes a chunk of rows at a time: the rows of a chunk are drawn and quantized in parallel
/// (each thread with its own float scratch row), then the chunk is handed on while the buffer is reused.
final class RowGenerator {
    let seed: UInt64
    let pool: ThreadPool
    let chunkBytes: Int
    private let buffer: UnsafeMutableRawPointer
    private let capacity: Int

    init(seed: UInt64, pool: ThreadPool, chunkBytes: Int, largestRow: Int) {
        self.seed = seed
        self.pool = pool
        self.chunkBytes = chunkBytes
        // A chunk is at least one row: the largest row is at most `largestRow` f32 values.
        capacity = max(chunkBytes, largestRow * 4)
        buffer = .allocate(byteCount: capacity, alignment: 64)
    }

    deinit { buffer.deallocate() }

    /// Emits `plan`'s bytes in order, in chunks of whole rows.
    func produce(_ plan: TensorPlan, emit: (UnsafeRawBufferPointer) throws -> Void) throws {
        let rowBytes = plan.rowBytes
        let rowsPerChunk = max(1, capacity / max(rowBytes, 1))
        let key = tensorKey(seed: seed, name: plan.name)
        var row = 0
        while row < plan.rows {
            let count = min(rowsPerChunk, plan.rows - row)
            fill(plan, key: key, rows: row..<row + count)
            try emit(UnsafeRawBufferPointer(start: buffer, count: count * rowBytes))
            row += count
        }
    }

    /// Draws and encodes `rows` into the buffer, rows split across the pool's threads.
    private func fill(_ plan: TensorPlan, key: UInt64, rows: Range<Int>) {
        let buffer = self.buffer, first = rows.lowerBound, cols = plan.cols, rowBytes = plan.rowBytes
        let format = plan.format
        let amplitude = plan.amplitude
        pool.parallelRanges(rows.count) { part in
            let scratch = UnsafeMutablePointer<Float>.allocate(capacity: cols)
            defer { scratch.deallocate() }
            for r in part {
                switch plan.values {
                case .ones: scratch.update(repeating: 1, count: cols)
                case .given(let values): for c in 0..<cols { scratch[c] = c < values.count ? values[c] : 0 }
                case .uniform: fillUniform(scratch, count: cols, key: rowKey(tensor: key, row: first + r),
                                           amplitude: amplitude)
                }
                quantizeRow(scratch, count: cols, format: format, into: buffer + r * rowBytes)
            }
        }
    }
}
