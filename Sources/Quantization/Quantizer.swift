#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import GGUF
import Kernels

/// Writes a plan's output file, tensor by tensor: copied tensors straight from the mapped input, converted
/// ones a chunk of rows at a time (rows split across the pool, each row dequantized to f32 and quantized on
/// its own, so the bytes never depend on the thread count). Memory stays at one chunk plus one f32 row per
/// thread; the input's pages are released after each tensor.
public struct Quantizer {
    public let file: GGUFFile
    public let plan: QuantizationPlan
    public let pool: ThreadPool

    /// Output bytes each parallel step makes: large enough that dispatch costs nothing, small enough to
    /// keep memory flat.
    static let chunkBytes = 4 << 20

    public init(file: GGUFFile, plan: QuantizationPlan, pool: ThreadPool) {
        (self.file, self.plan, self.pool) = (file, plan, pool)
    }

    /// Writes the file to `path` through `path.part`, renamed at the end: a failed or interrupted run never
    /// leaves a complete-looking model. Refuses to overwrite the input. `progress(written, total)` counts
    /// bytes of tensor data.
    public func write(to path: String, progress: (Int, Int) -> Void = { _, _ in }) throws {
        if let input = file.path, Self.sameFile(input, path) { throw QuantizationError.sameFile(path) }
        let partial = path + ".part"
        if let input = file.path, Self.sameFile(input, partial) { throw QuantizationError.sameFile(partial) }
        let largestRow = plan.entries.compactMap { $0.conversion?.outputRowBytes }.max() ?? 0
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: max(Self.chunkBytes, largestRow), alignment: 64)
        defer { buffer.deallocate() }
        do {
            try plan.writer.write(to: partial, pieces: { index, emit in
                let entry = plan.entries[index]
                defer { file.releasePages(of: entry.source) }
                if let conversion = entry.conversion {
                    try convert(file.data(of: entry.source), conversion, buffer: buffer, emit: emit)
                } else {
                    try copy(file.data(of: entry.source), emit: emit)
                }
            }, progress: progress)
        } catch let error as GGUFError {
            unlink(partial)
            if case .cannotOpen(_, let reason) = error { throw QuantizationError.cannotWrite(path: path, reason: reason) }
            throw error
        } catch {
            unlink(partial)
            throw error
        }
        guard rename(partial, path) == 0 else {
            let reason = String(cString: strerror(errno))
            unlink(partial)
            throw QuantizationError.cannotWrite(path: path, reason: reason)
        }
    }

    private func copy(_ data: UnsafeRawBufferPointer, emit: (UnsafeRawBufferPointer) throws -> Void) throws {
        for start in stride(from: 0, to: data.count, by: Self.chunkBytes) {
            try emit(UnsafeRawBufferPointer(rebasing: data[start..<min(data.count, start + Self.chunkBytes)]))
        }
    }

    private func convert(_ data: UnsafeRawBufferPointer, _ c: QuantizationPlan.Conversion, buffer: UnsafeMutableRawPointer,
                         emit: (UnsafeRawBufferPointer) throws -> Void) throws {
        guard let source = data.baseAddress else { return }
        let rowsPerChunk = max(1, Self.chunkBytes / max(c.outputRowBytes, 1))
        var row = 0
        while row < c.rows {
            let count = min(rowsPerChunk, c.rows - row), first = row
            pool.parallelRanges(count) { part in
                let scratch = UnsafeMutablePointer<Float>.allocate(capacity: c.cols)
                defer { scratch.deallocate() }
                for r in part {
                    dequantize(c.from, source + (first + r) * c.inputRowBytes, count: c.cols, into: scratch)
                    quantizeRow(scratch, count: c.cols, format: c.to, into: buffer + r * c.outputRowBytes)
                }
            }
            try emit(UnsafeRawBufferPointer(start: buffer, count: count * c.outputRowBytes))
            row += count
        }
    }

    /// Whether `a` and `b` name the same file (same device and inode), so that neither a hard link nor a
    /// different spelling of the input path slips through.
    static func sameFile(_ a: String, _ b: String) -> Bool {
        var sa = stat(), sb = stat()
        guard stat(a, &sa) == 0, stat(b, &sb) == 0 else { return false }
        return sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino
    }
}
